//go:build unix

package sshlaunch

import (
	"errors"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// probeWindow is how long the probe waits for the SSH port. It is under
// the kernel's first SYN retransmit (1 s), so an answer within it answers
// the SYN sent before the knock, never one sent after the door opened.
const probeWindow = 900 * time.Millisecond

// startProbe sends one SYN to ap, before the knock, and reports on the
// channel whether the port answered within probeWindow. The socket is
// opened on the calling goroutine (its network namespace, in the tests);
// the wait runs on its own and closes it.
func startProbe(ap netip.AddrPort) <-chan bool {
	res := make(chan bool, 1)
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
		res <- false
		return res
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		res <- false
		return res
	}
	err = unix.Connect(fd, sa)
	switch {
	case err == nil:
		unix.Close(fd)
		res <- true
		return res
	case !errors.Is(err, unix.EINPROGRESS):
		unix.Close(fd)
		res <- false
		return res
	}
	go func() {
		// Closed in SYN-SENT, the socket sends nothing more.
		defer unix.Close(fd)
		deadline := time.Now().Add(probeWindow)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		for {
			left := time.Until(deadline)
			if left <= 0 {
				res <- false
				return
			}
			n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil || n == 0 {
				res <- false
				return
			}
			soErr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
			res <- err == nil && soErr == 0
			return
		}
	}()
	return res
}
