package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"sesame/knock"
	"sesame/knocker"
)

// UDPThroughJumpError refuses a profile behind a jump host whose knocks
// include UDP when the jump host has no sesame to send them: SSH carries
// no UDP (a TCP knock through it is a direct-tcpip channel, which the
// jump host turns into a SYN), so UDP knocks are sent by `sesame knock`
// run on the jump host. Nothing of the sequence was sent.
type UDPThroughJumpError struct {
	Profile, Jump string
}

func (e *UDPThroughJumpError) Error() string {
	return fmt.Sprintf("profile %s is reached through the jump host %s, and its knock sequence has UDP knocks, "+
		"which SSH cannot carry: they are sent by sesame on %s, and %s has no sesame command",
		e.Profile, e.Jump, e.Jump, e.Jump)
}

// Advice implements Adviser.
func (e *UDPThroughJumpError) Advice() string {
	return fmt.Sprintf("Install sesame on %s (on the PATH of a command run over SSH), or give %s's door a TCP-only sequence.", e.Jump, e.Profile)
}

// JumpNeededError refuses to connect directly to a profile that goes
// through jump hosts, which only RunVia and ProxyVia do.
type JumpNeededError struct {
	Profile string
	Jump    []string
}

func (e *JumpNeededError) Error() string {
	return fmt.Sprintf("profile %s is reached through the jump host(s) %s, each knocked from the one before, and this way of connecting cannot do that",
		e.Profile, strings.Join(e.Jump, ","))
}

// Advice implements Adviser.
func (e *JumpNeededError) Advice() string {
	return fmt.Sprintf("Connect with: sesame connect %s", e.Profile)
}

// RunVia runs the flow to cfg's host through the jump hosts hops, first
// hop first. Each hop is a flow of its own: its door is knocked from the
// hop before it (the first from here) and its SSH connection made through
// that hop, so every hop's door opens for the address that really
// connects. The doors close in reverse order when the session ends, the
// inner one first, while the hop it is knocked from is still connected.
//
// Knocks behind a hop are sent by sesame on the hop, or, without it, a
// TCP-only sequence through its SSH connection (knockVia). A chain that passes a profile
// twice is refused before any door opens.
func RunVia(ctx context.Context, hops []Config, cfg Config, session func(ctx context.Context, c *Conn) error) error {
	if err := checkChain(hops, cfg); err != nil {
		return err
	}
	return throughHops(ctx, nil, hops, func(ctx context.Context, via *Conn) error {
		cfg.behind(via)
		cfg.jumped = true
		return Run(ctx, cfg, session)
	})
}

// ProxyVia is Proxy through jump hosts, as RunVia: the relayed connection
// is a channel through the last hop, to cfg's host, whose door that hop
// knocked.
func ProxyVia(ctx context.Context, hops []Config, cfg Config, host string, port int, in io.Reader, out io.Writer) error {
	if err := checkChain(hops, cfg); err != nil {
		return err
	}
	return throughHops(ctx, nil, hops, func(ctx context.Context, via *Conn) error {
		cfg.behind(via)
		cfg.jumped = true
		return Proxy(ctx, cfg, host, port, in, out)
	})
}

// checkChain refuses a chain that passes a profile twice, before any
// door opens.
func checkChain(hops []Config, cfg Config) error {
	seen := map[string]bool{}
	for _, c := range append(append([]Config{}, hops...), cfg) {
		n := strings.ToLower(c.Profile.Name)
		if seen[n] {
			return fmt.Errorf("the way to %s passes %s twice: a jump host is passed once", cfg.Profile.Name, c.Profile.Name)
		}
		seen[n] = true
	}
	return nil
}

// throughHops opens the hops' doors and connections in turn and calls
// last with the last one (nil when there are no hops).
func throughHops(ctx context.Context, via *Conn, hops []Config, last func(context.Context, *Conn) error) error {
	if len(hops) == 0 {
		return last(ctx, via)
	}
	c := hops[0]
	c.behind(via)
	// A hop's own jump hosts and forwards are not followed: the chain is
	// the one given.
	c.jumped, c.hop = true, true
	var beyond error
	err := Run(ctx, c, func(ctx context.Context, conn *Conn) error {
		beyond = throughHops(ctx, conn, hops[1:], last)
		return beyond
	})
	if err != nil && err != beyond {
		// The hop's own failure (its door, its login), not one further on.
		return &HopError{Profile: c.Profile.Name, Err: err}
	}
	return err
}

// HopError is the failure of a jump host on the way, named, so that the
// caller knows whose door did not open.
type HopError struct {
	Profile string
	Err     error
}

func (e *HopError) Error() string { return "jump host " + e.Profile + ": " + e.Err.Error() }

func (e *HopError) Unwrap() error { return e.Err }

// HopFailed returns the profile name of the jump host whose own failure
// err is, or "".
func HopFailed(err error) string {
	var h *HopError
	if errors.As(err, &h) {
		return h.Profile
	}
	return ""
}

// behind makes the flow go through via (nothing when via is nil): knocks
// and the dial leave from it.
func (c *Config) behind(via *Conn) {
	if via == nil {
		return
	}
	c.via = via
	c.knock = knockVia(via, c.Profile.Name)
	// A close keeper would knock from here, not from the jump host.
	c.CloseKeeper = nil
}

func hasUDP(seq knocker.Sequence) bool {
	for _, st := range seq {
		if st.Proto != knocker.TCP {
			return true
		}
	}
	return false
}

// minViaGap spaces knocks sent as channel opens through a jump host.
const minViaGap = 20 * time.Millisecond

// knockVia sends a sequence from the jump host via, for the profile
// named profile. It is sent by sesame on the jump host when it has one
// (knockWithSesame): one process sends the knocks in order, and the
// sequence stays out of the jump host's sshd log. Without sesame, a
// TCP-only sequence goes as direct-tcpip channel opens (knockChannels),
// which OpenSSH logs as "connect_to HOST port N: failed." for a port that
// resets; a sequence with UDP knocks is refused, as SSH cannot carry UDP.
func knockVia(via *Conn, profile string) func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error {
	client := via.Client
	jump := via.cfg.Profile.Name
	// noSesame remembers that the jump host has no sesame, so the close
	// knock does not ask again. Open and close knocks never overlap.
	noSesame := false
	return func(ctx context.Context, addr netip.Addr, seq knocker.Sequence, opts knock.Options) error {
		if err := seq.Validate(); err != nil {
			return err
		}
		if !noSesame {
			err := knockWithSesame(ctx, client, addr, seq, opts, profile, jump)
			var absent *UDPThroughJumpError
			if !errors.As(err, &absent) || hasUDP(seq) {
				return err
			}
			noSesame = true
		}
		return knockChannels(ctx, client, addr, seq, opts)
	}
}

// knockChannels sends a TCP-only sequence as direct-tcpip channel opens
// through client, each of which makes the jump host send a SYN to the
// port (whether the port answers does not matter, as with a knock from
// here; a channel that does open is closed at once). The answer to an
// open may never come, from a port that drops it, so each open runs in a
// goroutine of its own; the next knock waits until that goroutine is
// under way and the gap has passed, which keeps the opens in order.
func knockChannels(ctx context.Context, client *ssh.Client, addr netip.Addr, seq knocker.Sequence, opts knock.Options) error {
	for i, st := range seq {
		if i > 0 {
			gap := opts.Delay
			if st.GapSet {
				gap = st.Gap
			}
			gap = max(gap, minViaGap)
			if opts.Progress != nil {
				opts.Progress(knock.Event{Kind: knock.Waiting, Step: i + 1, Total: len(seq), Knock: st, Addr: addr, At: time.Now().Add(gap)})
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(gap):
			}
		}
		target := net.JoinHostPort(addr.String(), strconv.Itoa(int(st.Port)))
		started := make(chan struct{})
		go func() {
			close(started)
			if c, err := client.Dial("tcp", target); err == nil {
				c.Close()
			}
		}()
		<-started
		if opts.Progress != nil {
			opts.Progress(knock.Event{Kind: knock.Sent, Step: i + 1, Total: len(seq), Knock: st, Addr: addr, At: time.Now()})
		}
	}
	if err := flushed(ctx, client); err != nil {
		// Every knock has been asked for: the door may be open.
		return &MaybeOpenedError{Err: err}
	}
	return nil
}

// sesameCancelWait, on top of the sequence's own gaps, bounds the wait,
// on cancel, for the jump host's sesame knock to finish: once started, it
// may open the door whether or not it is waited for, and a close knock
// sent while its last knocks are still to come would not close it.
const sesameCancelWait = 2 * time.Second

// sequenceTime is the sum of seq's gaps, delay where a knock sets none.
func sequenceTime(seq knocker.Sequence, delay time.Duration) time.Duration {
	var d time.Duration
	for _, st := range seq[min(1, len(seq)):] {
		if st.GapSet {
			d += st.Gap
		} else {
			d += delay
		}
	}
	return d
}

// knockWithSesame has the jump host's own sesame send seq to addr:
// `sesame knock -4|-6 -d DELAY ADDR -`, the sequence on its standard
// input, never on its command line. Its output is not passed on: an error
// of the knock would name a port, which is a secret. Once the command has
// started, a failure other than its exit status (Ctrl-C, the connection
// lost) is a MaybeOpenedError: the knock may have gone out.
func knockWithSesame(ctx context.Context, client *ssh.Client, addr netip.Addr, seq knocker.Sequence, opts knock.Options, profile, jump string) error {
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("open a session on the jump host %s to knock: %w", jump, err)
	}
	defer sess.Close()
	sess.Stdin = strings.NewReader(seq.String() + "\n")
	family := "-4"
	if addr.Is6() && !addr.Is4In6() {
		family = "-6"
	}
	cmd := fmt.Sprintf("sesame knock %s -d %dms %s -", family, opts.Delay.Milliseconds(), addr)
	type outcome struct {
		started bool
		err     error
	}
	done := make(chan outcome, 1)
	go func() {
		if err := sess.Start(cmd); err != nil {
			done <- outcome{false, err}
			return
		}
		done <- outcome{true, sess.Wait()}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-ctx.Done():
		select {
		case out = <-done:
		case <-time.After(sesameCancelWait + sequenceTime(seq, opts.Delay)):
			sess.Close()
			return &MaybeOpenedError{Err: ctx.Err()}
		}
		if out.err == nil {
			return &MaybeOpenedError{Err: ctx.Err()}
		}
	}
	var ee *ssh.ExitError
	switch {
	case !out.started:
		return fmt.Errorf("start sesame knock on the jump host %s: %w", jump, out.err)
	case errors.As(out.err, &ee) && ee.ExitStatus() == 127: // the shell found no sesame
		return &UDPThroughJumpError{Profile: profile, Jump: jump}
	case errors.As(out.err, &ee):
		return fmt.Errorf("sesame knock on the jump host %s failed with status %d (run sesame knock there to see why)", jump, ee.ExitStatus())
	case out.err != nil:
		return &MaybeOpenedError{Err: fmt.Errorf("sesame knock on the jump host %s: %w", jump, out.err)}
	}
	if opts.Progress != nil {
		for i, st := range seq {
			opts.Progress(knock.Event{Kind: knock.Sent, Step: i + 1, Total: len(seq), Knock: st, Addr: addr, At: time.Now()})
		}
	}
	return nil
}

// flushed returns once the jump host has handled the last knock's channel
// open: the gap lets its goroutine send it, and the jump host answers
// requests in order, so the answer to one sent after it means the SYN
// has gone out. Without it a close knock's last SYN could be lost to the
// jump host's connection closing right after.
func flushed(ctx context.Context, client *ssh.Client) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(minViaGap):
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the jump host's connection: %w", err)
		}
		return nil
	}
}
