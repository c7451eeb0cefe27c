package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

// probeTimeout is how long `sesame knock` waits, after a one-time knock,
// for the door's port to answer.
const probeTimeout = 3 * time.Second

// probeAttempt bounds one connection attempt: a SYN the firewall dropped
// because the door was not open yet is not waited on for the kernel's
// retransmits.
const probeAttempt = 500 * time.Millisecond

// probeDoor reports whether port on addr answers within timeout: a
// connection, or a refusal (the firewall let the SYN through to a port
// nothing listens on), means the door is open; silence means it is not.
// how says which it was, for the message.
func probeDoor(parent context.Context, addr netip.Addr, port int, timeout time.Duration) (open bool, how string) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	target := net.JoinHostPort(addr.String(), strconv.Itoa(port))
	for {
		actx, acancel := context.WithTimeout(ctx, probeAttempt)
		var d net.Dialer
		c, err := d.DialContext(actx, "tcp", target)
		acancel()
		switch {
		case err == nil:
			c.Close()
			return true, fmt.Sprintf("port %d answers", port)
		case errors.Is(err, syscall.ECONNREFUSED):
			return true, fmt.Sprintf("port %d answers (refused: nothing listens there, but the firewall let the connection through)", port)
		}
		if ctx.Err() != nil {
			return false, fmt.Sprintf("port %d did not answer within %s", port, seconds(timeout))
		}
		// An error that came at once (no route yet, unreachable): wait
		// out the attempt's time before trying again.
		<-actx.Done()
	}
}

// confirmOneTime says whether the door opened after a one-time knock and
// decides whether the sequence stays spent: yes when the door opened or
// the user, asked at a terminal, says it did; otherwise unspend puts it
// back for the next knock. An interrupted check leaves it spent. open is
// what the probe saw.
func confirmOneTime(ctx context.Context, streams IOStreams, name string, addr netip.Addr, port int, unspend func() error) (open, spent bool, err error) {
	open, how := probeDoor(ctx, addr, port, probeTimeout)
	if err := ctx.Err(); err != nil {
		return false, true, err
	}
	if open {
		fmt.Fprintf(streams.ErrOut, "sesame knock: %s: the door opened: %s\n", name, how)
		return true, true, nil
	}
	fmt.Fprintf(streams.ErrOut, "sesame knock: %s: the door did not open: %s. The knock may have been lost, sent within the door's cooldown after another knock, "+
		"or the server may be more than 3 sequences ahead of this profile (sesamed accepts the next 3 unused, knockd only the next); "+
		"or the door opens another port than %d (--probe-port).\n", name, how, port)
	if isTerminalReader(streams.In) {
		fmt.Fprintf(streams.ErrOut, "Count the one-time sequence as used anyway? [y/N] ")
		answer, _ := bufio.NewReader(streams.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" {
			return false, true, nil
		}
	}
	if err := unspend(); err != nil {
		return false, true, fmt.Errorf("the one-time sequence could not be put back for the next knock (it stays counted as used): %w", err)
	}
	fmt.Fprintf(streams.ErrOut, "sesame knock: %s: the one-time sequence is not counted as used: the next knock sends it again\n", name)
	return false, false, nil
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
