//go:build linux

package conntrack

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
)

// TestReaderKernelFilter: with many connections to another service, the
// kernel sends only the guarded port's entries (the dump is filtered in
// the kernel, not after), and the reader finds the sources of both
// families.
func TestReaderKernelFilter(t *testing.T) {
	const others = 30
	p, c := busyServer(t, others)
	defer firewalltest.Connect(t, p.Client, netip.AddrPortFrom(testnet.ServerAddr6, 22)).Close()

	for _, fam := range []struct {
		family uint8
		src    netip.Addr
	}{{unix.AF_INET, testnet.ClientAddr4}, {unix.AF_INET6, testnet.ClientAddr6}} {
		var got []Flow
		n, err := c.dumpPort(context.Background(), fam.family, unix.IPPROTO_TCP, 22, func(f Flow) { got = append(got, f) })
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(got) != 1 || got[0].Src != fam.src || got[0].DstPort != 22 || !got[0].Established() {
			t.Fatalf("family %d: the kernel sent %d entries (%+v), want only the one to port 22 from %s", fam.family, n, got, fam.src)
		}
	}
	// The unfiltered table has them all, so the filter did the work.
	all, err := c.Flows(context.Background())
	if err != nil || len(all) < others+2 {
		t.Fatalf("the whole table: %d entries, %v; want at least %d", len(all), err, others+2)
	}

	r := NewReader(c, ReaderOptions{Ports: func() []Port { return []Port{{unix.IPPROTO_TCP, 22}} }})
	flows, err := r.Flows(context.Background())
	if err != nil || len(flows) != 2 {
		t.Fatalf("reader: %+v, %v; want the two sources on port 22", flows, err)
	}
}

// TestDumpAfterAbandonedDump: a dump given up on half way (a read timed
// out) does not break the next one: the kernel runs one dump per socket
// and refuses the next until the old one is read to its end.
func TestDumpAfterAbandonedDump(t *testing.T) {
	// Enough entries for several datagrams (each holds at most 32 KiB).
	const many = 400
	_, c := busyServer(t, many)

	seen := 0
	_, err := c.dumpPort(context.Background(), unix.AF_INET, unix.IPPROTO_TCP, 80, func(Flow) {
		if seen++; seen == 1 {
			_ = c.c.SetReadDeadline(time.Now()) // give up after the first datagram
		}
	})
	if err == nil || seen >= many {
		t.Fatalf("the first dump was not abandoned half way: %d entries, %v", seen, err)
	}
	for range 2 {
		var got []Flow
		n, err := c.dumpPort(context.Background(), unix.AF_INET, unix.IPPROTO_TCP, 22, func(f Flow) { got = append(got, f) })
		if err != nil || n != 1 || len(got) != 1 {
			t.Fatalf("the dump after an abandoned one: %d entries %+v, %v; want the one to port 22", n, got, err)
		}
	}
}

// busyServer is a server namespace that tracks connections (a ct rule of
// the guard turns tracking on) with services on ports 22 and 80, others
// connections from the client to port 80 and one to port 22, and a
// conntrack connection opened there. Everything ends with the test.
func busyServer(tb testing.TB, others int) (*testnet.Pair, *Conn) {
	tb.Helper()
	p := testnet.NewPair(tb)
	firewalltest.Guard(tb, p.Server, "nftables", 2222)
	firewalltest.Listen(tb, p.Server, 22)
	firewalltest.Listen(tb, p.Server, 80)
	var c *Conn
	if err := p.Server.Do(func() error {
		var err error
		c, err = Dial()
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	for range others {
		conn := firewalltest.Connect(tb, p.Client, netip.AddrPortFrom(testnet.ServerAddr4, 80))
		tb.Cleanup(func() { conn.Close() })
	}
	conn := firewalltest.Connect(tb, p.Client, netip.AddrPortFrom(testnet.ServerAddr4, 22))
	tb.Cleanup(func() { conn.Close() })
	return p, c
}
