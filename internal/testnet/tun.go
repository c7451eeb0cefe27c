//go:build linux

package testnet

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tun creates a tun device (a raw IP link, as WireGuard's is) in the
// namespace, with addr (a prefix such as "198.51.100.1/24") on it, up, and
// returns the device's file: every IP packet written to it arrives on the
// interface as if sent by a peer. It is closed when the test ends.
func (ns *NS) Tun(t testing.TB, name string, addrs ...string) *os.File {
	t.Helper()
	var f *os.File
	err := ns.Do(func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		var req [unix.IFNAMSIZ + 64]byte
		copy(req[:], name)
		*(*uint16)(unsafe.Pointer(&req[unix.IFNAMSIZ])) = unix.IFF_TUN | unix.IFF_NO_PI
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&req[0]))); errno != 0 {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF %s: %w", name, errno)
		}
		f = os.NewFile(uintptr(fd), "/dev/net/tun")
		return nil
	})
	if err != nil {
		t.Fatalf("tun %s in %s: %v", name, ns.Name, err)
	}
	t.Cleanup(func() { f.Close() })
	for _, a := range addrs {
		args := []string{"addr", "add", a, "dev", name}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		ns.Run(t, "ip", args...)
	}
	ns.Run(t, "ip", "link", "set", name, "up")
	return f
}
