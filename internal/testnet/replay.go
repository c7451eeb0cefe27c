//go:build linux

package testnet

import (
	"fmt"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// SendFrames puts frames on iface as they are, link-layer header and all,
// through a raw packet socket in the namespace: a replay of packets a
// Capture recorded (Packet.Frame), byte for byte, by a process other than
// the one that first sent them.
func (ns *NS) SendFrames(t testing.TB, iface string, frames ...[]byte) {
	t.Helper()
	err := ns.Do(func() error {
		ifc, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			return fmt.Errorf("raw socket: %w", err)
		}
		defer unix.Close(fd)
		to := &unix.SockaddrLinklayer{Ifindex: ifc.Index}
		for i, f := range frames {
			if err := unix.Sendto(fd, f, 0, to); err != nil {
				return fmt.Errorf("send frame %d of %d: %w", i+1, len(frames), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("replay %d frames on %s in %s: %v", len(frames), iface, ns.Name, err)
	}
}

// Frames are the captured frames of pkts, for SendFrames.
func Frames(pkts []Packet) [][]byte {
	frames := make([][]byte, len(pkts))
	for i, p := range pkts {
		frames[i] = p.Frame
	}
	return frames
}
