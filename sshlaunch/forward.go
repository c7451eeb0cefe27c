package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"sesame/profiles"
)

// Forwarder runs a connection's port forwards: a listener per forward,
// here (-L, -D) or on the server (-R), and a pair of copies per forwarded
// connection. The door stays open while any forwarded connection is
// alive: Wait returns only when the last one has ended.
type Forwarder struct {
	log       *slog.Logger
	listeners []net.Listener
	addrs     []net.Addr

	accepting sync.WaitGroup
	active    sync.WaitGroup
	mu        sync.Mutex
	// conns are the connections open now, each forwarded one (true) and
	// the one it was connected to (false).
	conns   map[net.Conn]bool
	closing bool
	// handshake bounds a SOCKS client's greeting and request, so one that
	// connects and sends nothing cannot hold Wait (and the door) forever.
	handshake time.Duration
}

// socksHandshakeTimeout is Forwarder.handshake's value.
const socksHandshakeTimeout = 30 * time.Second

// ForwardsOpenError is the notice that the session has ended with
// forwarded connections still open: the door stays open until they end.
type ForwardsOpenError struct{ Open int }

func (e *ForwardsOpenError) Error() string {
	return fmt.Sprintf("waiting for %d forwarded connection(s) to end before closing the door", e.Open)
}

// Advice implements Adviser.
func (e *ForwardsOpenError) Advice() string { return "Ctrl-C (or closing the tab) closes them now" }

// dialer opens a connection to addr: over SSH for -L and -D (the server
// connects), from here for -R.
type dialer func(ctx context.Context, addr string) (net.Conn, error)

// Forward starts fs on the connection. A listener that cannot be set up
// fails the whole start (as ssh's ExitOnForwardFailure): the user asked
// for it, and a session without it would look as if it worked.
func (c *Conn) Forward(ctx context.Context, fs []profiles.Forward) (*Forwarder, error) {
	return startForwards(ctx, c.Client, fs, c.cfg.Log, socksHandshakeTimeout)
}

// startForwards is Forward; handshake bounds a SOCKS handshake.
func startForwards(ctx context.Context, client *ssh.Client, fs []profiles.Forward, log *slog.Logger, handshake time.Duration) (*Forwarder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Forwarder{log: log, conns: map[net.Conn]bool{}, handshake: handshake}
	overSSH := func(ctx context.Context, addr string) (net.Conn, error) { return client.DialContext(ctx, "tcp", addr) }
	fromHere := func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	for _, fw := range fs {
		var (
			l   net.Listener
			err error
		)
		switch fw.Kind {
		case profiles.LocalForward, profiles.DynamicForward:
			var lc net.ListenConfig
			l, err = lc.Listen(ctx, "tcp", fw.ListenAddr())
		case profiles.RemoteForward:
			l, err = client.Listen("tcp", fw.ListenAddr())
		default:
			err = fmt.Errorf("unknown kind %q", string(fw.Kind))
		}
		if err != nil {
			f.Close()
			where := "here"
			if fw.Kind == profiles.RemoteForward {
				where = "on the server (is the port in use there, or AllowTcpForwarding off in its sshd_config?)"
			}
			return nil, fmt.Errorf("port forward -%c %s: cannot listen %s: %w", fw.Kind, fw.Spec(), where, err)
		}
		f.listeners = append(f.listeners, l)
		f.addrs = append(f.addrs, l.Addr())
		var handle func(ctx context.Context, c net.Conn)
		switch fw.Kind {
		case profiles.LocalForward:
			target := fw.TargetAddr()
			handle = func(ctx context.Context, c net.Conn) { f.relay(ctx, c, fw, overSSH, target) }
		case profiles.RemoteForward:
			target := fw.TargetAddr()
			handle = func(ctx context.Context, c net.Conn) { f.relay(ctx, c, fw, fromHere, target) }
		case profiles.DynamicForward:
			handle = func(ctx context.Context, c net.Conn) { f.socks(ctx, c, fw, overSSH) }
		}
		f.accepting.Add(1)
		go f.accept(ctx, l, handle)
	}
	return f, nil
}

// Addrs are the addresses listened on, in the order of the forwards (a
// -R forward's is the server's).
func (f *Forwarder) Addrs() []net.Addr { return f.addrs }

// acceptBackoff bounds the wait before accepting again after a
// temporary failure (out of file descriptors, a connection aborted
// before it was accepted), as net/http's server does.
const acceptBackoff = time.Second

func (f *Forwarder) accept(ctx context.Context, l net.Listener, handle func(context.Context, net.Conn)) {
	defer f.accepting.Done()
	var wait time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if temporaryAccept(err) {
				wait = min(max(2*wait, 5*time.Millisecond), acceptBackoff)
				f.log.Warn("port forward: accept failed, trying again", "listen", l.Addr(), "in", wait, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(wait):
					continue
				}
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				f.log.Debug("port forward: stopped listening", "listen", l.Addr())
			} else {
				f.log.Warn("port forward: stopped listening", "listen", l.Addr(), "err", err)
			}
			return
		}
		wait = 0
		if !f.track(c, true) {
			c.Close()
			return
		}
		go func() {
			defer f.untrack(c)
			handle(ctx, c)
		}()
	}
}

// temporaryAccept says whether a failed Accept may succeed if tried
// again: the process or system out of descriptors or buffers, or a client
// that gave up before it was accepted.
func temporaryAccept(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// track counts c as open, unless the forwarder is closing; forwarded
// says it is one a forward accepted.
func (f *Forwarder) track(c net.Conn, forwarded bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closing {
		return false
	}
	f.conns[c] = forwarded
	f.active.Add(1)
	return true
}

func (f *Forwarder) untrack(c net.Conn) {
	c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	f.active.Done()
}

// Active counts the forwarded connections open now.
func (f *Forwarder) Active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, forwarded := range f.conns {
		if forwarded {
			n++
		}
	}
	return n
}

// Close stops listening; forwarded connections go on until Wait.
func (f *Forwarder) Close() {
	for _, l := range f.listeners {
		l.Close()
	}
	f.accepting.Wait()
	f.mu.Lock()
	f.closing = true
	f.mu.Unlock()
}

// Wait stops listening and waits for the forwarded connections to end, as
// ssh does when the session ends; when ctx ends first (Ctrl-C) it closes
// them.
func (f *Forwarder) Wait(ctx context.Context) {
	f.Close()
	done := make(chan struct{})
	go func() {
		f.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	<-done
}

// relay connects c to target and copies both ways.
func (f *Forwarder) relay(ctx context.Context, c net.Conn, fw profiles.Forward, dial dialer, target string) {
	out, err := dial(ctx, target)
	if err != nil {
		f.log.Warn("port forward: connect failed", "forward", fw.String(), "target", target, "err", err)
		return
	}
	if !f.track(out, false) {
		out.Close()
		return
	}
	defer f.untrack(out)
	pipeConns(c, out)
}

// pipeConns copies a to b and b to a until both directions have ended, passing
// on each half-close.
func pipeConns(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	half := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go half(a, b)
	go half(b, a)
	wg.Wait()
}

// SOCKS5 (RFC 1928), the part browsers and curl use: no authentication,
// CONNECT, IPv4, IPv6 and domain names (resolved by the server, as ssh -D
// does).
const (
	socksVersion  = 5
	socksNoAuth   = 0
	socksNoMethod = 0xff
	socksConnect  = 1
	atypIPv4      = 1
	atypDomain    = 3
	atypIPv6      = 4

	socksOK              = 0
	socksFailure         = 1
	socksNotAllowed      = 2
	socksHostUnreachable = 4
	socksRefused         = 5
	socksBadCommand      = 7
	socksBadAddress      = 8
)

func (f *Forwarder) socks(ctx context.Context, c net.Conn, fw profiles.Forward, dial dialer) {
	if err := c.SetDeadline(time.Now().Add(f.handshake)); err != nil {
		return
	}
	target, err := socksHandshake(c)
	if err != nil {
		f.log.Warn("SOCKS: bad request", "forward", fw.String(), "from", c.RemoteAddr(), "err", err)
		return
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		return
	}
	out, err := dial(ctx, target)
	if err != nil {
		f.log.Warn("SOCKS: connect failed", "forward", fw.String(), "target", target, "err", err)
		_ = socksReply(c, socksCode(err))
		return
	}
	if !f.track(out, false) {
		out.Close()
		return
	}
	defer f.untrack(out)
	if err := socksReply(c, socksOK); err != nil {
		return
	}
	pipeConns(c, out)
}

// socksHandshake reads the greeting and the request and returns the
// host:port asked for; refusals are answered before it returns.
func socksHandshake(c net.Conn) (string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return "", err
	}
	if hdr[0] != socksVersion {
		return "", fmt.Errorf("SOCKS version %d: only 5 is served", hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return "", err
	}
	method := byte(socksNoMethod)
	for _, m := range methods {
		if m == socksNoAuth {
			method = socksNoAuth
		}
	}
	if _, err := c.Write([]byte{socksVersion, method}); err != nil {
		return "", err
	}
	if method != socksNoAuth {
		return "", errors.New("the client offers no method without authentication")
	}
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return "", err
	}
	if req[0] != socksVersion {
		return "", fmt.Errorf("SOCKS version %d in the request", req[0])
	}
	var host string
	switch req[3] {
	case atypIPv4, atypIPv6:
		ip := make(net.IP, 4)
		if req[3] == atypIPv6 {
			ip = make(net.IP, 16)
		}
		if _, err := io.ReadFull(c, ip); err != nil {
			return "", err
		}
		host = ip.String()
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return "", err
		}
		if n[0] == 0 {
			_ = socksReply(c, socksBadAddress)
			return "", errors.New("an empty domain name")
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return "", err
		}
		host = string(name)
	default:
		_ = socksReply(c, socksBadAddress)
		return "", fmt.Errorf("address type %d", req[3])
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return "", err
	}
	if req[1] != socksConnect {
		_ = socksReply(c, socksBadCommand)
		return "", fmt.Errorf("command %d: only CONNECT is served", req[1])
	}
	return net.JoinHostPort(host, fmt.Sprint(int(port[0])<<8|int(port[1]))), nil
}

// socksReply answers a request; the bound address is not known over SSH,
// so it is given as 0.0.0.0:0, as ssh does.
func socksReply(c net.Conn, code byte) error {
	_, err := c.Write([]byte{socksVersion, code, 0, atypIPv4, 0, 0, 0, 0, 0, 0})
	return err
}

// socksCode is the reply to a failed connect.
func socksCode(err error) byte {
	var oce *ssh.OpenChannelError
	if errors.As(err, &oce) {
		switch oce.Reason {
		case ssh.Prohibited:
			return socksNotAllowed
		case ssh.ConnectionFailed:
			return socksRefused
		}
		return socksHostUnreachable
	}
	return socksFailure
}
