//go:build linux

package conntrack

import (
	"context"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
)

// BenchmarkIdleCheck is one idle check while another service holds many
// connections (a busy web server, or a SYN flood's half-open entries):
// the whole-table dump the idle check used to make, and the reader's
// kernel-filtered one, side by side. B/op is the memory one check takes.
func BenchmarkIdleCheck(b *testing.B) {
	testnet.RequireRoot(b)
	p := testnet.NewPair(b)
	firewalltest.Guard(b, p.Server, "nftables", 2222)
	firewalltest.Listen(b, p.Server, 22)
	firewalltest.Listen(b, p.Server, 80)
	var c *Conn
	if err := p.Server.Do(func() error {
		var err error
		c, err = Dial()
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const others = 2000
	for range others {
		defer firewalltest.Connect(b, p.Client, netip.AddrPortFrom(testnet.ServerAddr4, 80)).Close()
	}
	defer firewalltest.Connect(b, p.Client, netip.AddrPortFrom(testnet.ServerAddr4, 22)).Close()
	ctx := context.Background()

	b.Run("whole-table", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			flows, err := c.Flows(ctx)
			if err != nil || len(flows) < others {
				b.Fatalf("%d flows, %v", len(flows), err)
			}
		}
	})
	b.Run("filtered", func(b *testing.B) {
		r := NewReader(c, ReaderOptions{Ports: func() []Port { return []Port{{unix.IPPROTO_TCP, 22}} }})
		b.ReportAllocs()
		for b.Loop() {
			flows, err := r.Flows(ctx)
			if err != nil || len(flows) != 1 {
				b.Fatalf("%d flows, %v", len(flows), err)
			}
		}
	})
}
