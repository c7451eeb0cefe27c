//go:build windows

package knock

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

var procIoctlsocket = windows.NewLazySystemDLL("ws2_32.dll").NewProc("ioctlsocket")

const fionbio = 0x8004667e

// sendSYN sends exactly one TCP SYN to dst: a non-blocking connect puts the
// SYN on the wire, and closing the socket at once stops any retransmit.
func sendSYN(dst netip.AddrPort) error {
	var (
		domain int
		sa     windows.Sockaddr
	)
	if dst.Addr().Is4() {
		domain = windows.AF_INET
		sa = &windows.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
	} else {
		domain = windows.AF_INET6
		sa6 := &windows.SockaddrInet6{Port: int(dst.Port()), Addr: dst.Addr().As16()}
		if z := dst.Addr().Zone(); z != "" {
			ifi, err := zoneIndex(z)
			if err != nil {
				return err
			}
			sa6.ZoneId = ifi
		}
		sa = sa6
	}
	s, err := windows.Socket(domain, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return fmt.Errorf("open TCP socket: %w", err)
	}
	defer windows.Closesocket(s)
	on := uint32(1)
	if r, _, e := procIoctlsocket.Call(uintptr(s), fionbio, uintptr(unsafe.Pointer(&on))); r != 0 {
		return fmt.Errorf("set socket non-blocking: %w", e)
	}
	err = windows.Connect(s, sa)
	switch {
	case err == nil, errors.Is(err, windows.WSAEWOULDBLOCK), errors.Is(err, windows.WSAECONNREFUSED):
		return nil
	}
	return fmt.Errorf("send SYN: %w", err)
}
