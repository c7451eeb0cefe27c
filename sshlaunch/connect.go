package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Dial attempts start short and grow: the door usually opens within tens of
// milliseconds of the last knock, and a fresh SYN after 100 ms beats waiting
// for the kernel's own retransmit a second later.
const (
	firstAttemptTimeout = 100 * time.Millisecond
	maxAttemptTimeout   = 2 * time.Second
	retryPause          = 50 * time.Millisecond
)

// dialDoor dials ap until it answers or the window passes.
func dialDoor(ctx context.Context, cfg *Config, ap netip.AddrPort) (net.Conn, error) {
	start := time.Now()
	deadline := start.Add(cfg.DialWindow)
	timeout := firstAttemptTimeout
	var lastErr error
	for attempt := 1; ; attempt++ {
		cfg.UI.Progress(Event{Stage: StageDial, Addr: ap, Attempt: attempt})
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		c, err := dialOnce(ctx, cfg, ap, min(timeout, left))
		if err == nil {
			noticeAlreadyOpen(cfg, ap)
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
		cfg.Log.Debug("dial attempt failed", "addr", ap, "attempt", attempt, "err", err)
		if noRoute(err) {
			return nil, &UnreachableError{Addr: ap, Err: err}
		}
		timeout = min(timeout*3/2, maxAttemptTimeout)
		// A refusal comes back at once; pause so as not to spin.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retryPause):
		}
	}
	// A door that stays shut is silent; a reset or an ICMP unreachable to
	// the end is the host or the network saying no. (A door that rejects
	// until the knock answers with those too, but stops once it opens.)
	if unreachable(lastErr) {
		return nil, &UnreachableError{Addr: ap, Err: lastErr}
	}
	return nil, &DoorError{Addr: ap, Elapsed: time.Since(start), Err: lastErr}
}

// dialOnce makes one attempt: from here, or through the jump host.
func dialOnce(ctx context.Context, cfg *Config, ap netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	if cfg.via == nil {
		d := net.Dialer{Timeout: timeout}
		return d.DialContext(ctx, "tcp", ap.String())
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := cfg.via.Client.DialContext(actx, "tcp", ap.String())
	if err != nil && actx.Err() != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("dial %s through the jump host: %w", ap, os.ErrDeadlineExceeded)
	}
	return c, err
}

// noticeAlreadyOpen tells the UI when the probe before the knock got an
// answer: an open door answers it within a round trip, long before the
// door is dialled after the knock.
func noticeAlreadyOpen(cfg *Config, ap netip.AddrPort) {
	if cfg.probe.wasOpen() {
		cfg.Log.Warn("the door was already open before the knock", "addr", ap)
		cfg.UI.Progress(Event{Stage: StageNotice, Addr: ap, Err: &AlreadyOpenError{Addr: ap}})
	}
}

// connect waits the profile's Wait, dials, and sets up an authenticated SSH
// client.
func connect(ctx context.Context, cfg *Config, t Target, ap netip.AddrPort) (*Conn, error) {
	if w := cfg.Profile.Wait; w > 0 {
		cfg.UI.Progress(Event{Stage: StageWait, Addr: ap, Until: time.Now().Add(w)})
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(w):
		}
	}
	raw, err := dialDoor(ctx, cfg, ap)
	if err != nil {
		return nil, err
	}
	// The handshake and authentication may wait on the user (a host key
	// question, a password); closing the connection is how ctx stops them.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	cfg.UI.Progress(Event{Stage: StageAuth, Addr: ap})
	hk, err := newHostKeyChecker(ctx, cfg, t, ap)
	if err != nil {
		raw.Close()
		return nil, err
	}
	auth := newAuthenticator(ctx, cfg, t)
	auth.firstContact = hk.firstContact.Load
	defer auth.close()
	clientCfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              auth.methods(),
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hk.algorithms(),
		Timeout:           0, // the dial is done; ctx bounds the rest
	}
	// The address given to the handshake is the name known_hosts knows,
	// not the IP dialled: host keys are checked by name, as ssh does.
	c, chans, reqs, err := ssh.NewClientConn(raw, knownHostsAddr(t), clientCfg)
	if err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if hk.err != nil {
			return nil, hk.err
		}
		if auth.err != nil {
			return nil, auth.err
		}
		var authErr *ssh.ServerAuthError
		if errors.As(err, &authErr) || isAuthFailure(err) {
			return nil, &AuthError{User: t.User, Host: t.Host, Tried: auth.tried(), Err: err}
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", ap, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	if err := auth.remember(); err != nil {
		cfg.Log.Warn("could not remember secret in the keyring", "err", err)
	}
	return &Conn{Client: client, Addr: ap, Target: t, cfg: cfg}, nil
}

func knownHostsAddr(t Target) string {
	return net.JoinHostPort(t.KnownHostsName, strconv.Itoa(t.Port))
}

func isAuthFailure(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "unable to authenticate") || strings.Contains(msg, "no supported methods remain")
}
