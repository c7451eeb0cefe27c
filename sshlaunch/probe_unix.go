//go:build unix

package sshlaunch

import (
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// probeWindow is how long the probe waits for the SSH port. It is under
// the kernel's first SYN retransmit (1 s), so an answer within it answers
// the SYN sent before the knock, never one sent after the door opened.
const probeWindow = 900 * time.Millisecond

// probe is one SYN sent to the SSH port just before the knock. Whether it
// was answered is read from the socket itself when asked (the kernel has
// the answer the moment it arrives, however busy this process is), until
// the window ends and the socket is closed, still in SYN-SENT if nothing
// answered, so that it sends nothing more.
type probe struct {
	mu       sync.Mutex
	fd       int // -1 once closed
	answered bool
	timer    *time.Timer
}

// startProbe sends the SYN to ap. The socket is opened on the calling
// goroutine (its network namespace, in the tests). nil: no probe could be
// sent.
func startProbe(ap netip.AddrPort) *probe {
	domain := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		domain = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	// Under ForkLock, as the net package does, so no process started
	// meanwhile (a keeper) inherits the socket.
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(domain, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil
	}
	p := &probe{fd: fd}
	switch err := unix.Connect(fd, sa); {
	case err == nil:
		p.answered = true
		p.closeLocked()
		return p
	case !errors.Is(err, unix.EINPROGRESS):
		unix.Close(fd)
		return nil
	}
	p.timer = time.AfterFunc(probeWindow, p.stop)
	return p
}

// wasOpen reports whether the SSH port answered the probe.
func (p *probe) wasOpen() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pollLocked()
	return p.answered
}

// stop ends the probe: what the socket says now is its answer.
func (p *probe) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pollLocked()
	p.closeLocked()
}

func (p *probe) pollLocked() {
	if p.fd < 0 || p.answered {
		return
	}
	fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLOUT}}
	if n, err := unix.Poll(fds, 0); err != nil || n == 0 {
		return
	}
	soErr, err := unix.GetsockoptInt(p.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	p.answered = err == nil && soErr == 0
}

func (p *probe) closeLocked() {
	if p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
	if p.timer != nil {
		p.timer.Stop()
	}
}
