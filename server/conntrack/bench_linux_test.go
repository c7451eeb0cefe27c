//go:build linux

package conntrack

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// BenchmarkIdleCheck is one idle check while another service holds many
// connections (a busy web server, or a SYN flood's half-open entries):
// the whole-table dump the idle check used to make, and the reader's
// kernel-filtered one, side by side. B/op is the memory one check takes.
func BenchmarkIdleCheck(b *testing.B) {
	testnet.RequireRoot(b)
	const others = 2000
	_, c := busyServer(b, others)
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
