//go:build unix

package knock

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// sendSYN sends exactly one TCP SYN to dst. It starts a non-blocking connect,
// which puts the SYN on the wire before it returns, and closes the socket at
// once: a socket closed in SYN-SENT sends nothing more, so the kernel never
// retransmits the SYN (it would after about a second, which breaks the
// sequence on knockd), whether the port answers, refuses or drops.
func sendSYN(dst netip.AddrPort) error {
	var (
		domain int
		sa     unix.Sockaddr
	)
	if dst.Addr().Is4() {
		domain = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
	} else {
		domain = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: int(dst.Port()), Addr: dst.Addr().As16()}
		if z := dst.Addr().Zone(); z != "" {
			ifi, err := zoneIndex(z)
			if err != nil {
				return err
			}
			sa6.ZoneId = ifi
		}
		sa = sa6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return fmt.Errorf("open TCP socket: %w", err)
	}
	defer unix.Close(fd)
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		return fmt.Errorf("set socket non-blocking: %w", err)
	}
	err = unix.Connect(fd, sa)
	switch {
	case err == nil, errors.Is(err, unix.EINPROGRESS), errors.Is(err, unix.ECONNREFUSED):
		// The SYN went out; whatever answers it does not matter to a knock.
		return nil
	}
	return fmt.Errorf("send SYN: %w", err)
}
