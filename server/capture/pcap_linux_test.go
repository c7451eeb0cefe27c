//go:build linux && cgo

package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/server/packet"
)

// liveCapture opens a capture on iface in the pair's server namespace and
// reads it until the test ends, reporting every UDP datagram to
// testnet.ServerAddr4 as (port, the number in its first 4 bytes).
type liveCapture struct {
	h  *Handle
	mu sync.Mutex
	// seen maps a port to the numbers that came on it.
	seen    map[uint16]map[uint32]bool
	changed chan struct{} // closed and replaced on each datagram
}

func openLive(t *testing.T, p *testnet.Pair, iface, filter string) *liveCapture {
	t.Helper()
	var h *Handle
	if err := p.Server.Do(func() error {
		var err error
		h, err = Open(iface, filter)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := &liveCapture{h: h, seen: map[uint16]map[uint32]bool{}, changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- h.Run(ctx, func(data []byte) {
			pk, payload, err := packet.DecodePayload(h.LinkType(), data)
			if err != nil || pk.Proto != knocker.UDP || pk.Dst != testnet.ServerAddr4 || len(payload) < 4 {
				return
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.seen[pk.DstPort] == nil {
				c.seen[pk.DstPort] = map[uint32]bool{}
			}
			c.seen[pk.DstPort][binary.BigEndian.Uint32(payload)] = true
			close(c.changed)
			c.changed = make(chan struct{})
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("capture: %v", err)
		}
	})
	return c
}

// waitFor waits until cond holds over the datagrams seen so far.
func (c *liveCapture) waitFor(t *testing.T, what string, cond func(seen map[uint16]map[uint32]bool) bool) {
	t.Helper()
	deadline := time.After(testnet.Await)
	for {
		c.mu.Lock()
		ok, changed := cond(c.seen), c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("gave up after %v waiting for %s", testnet.Await, what)
		}
	}
}

// sender sends numbered datagrams from the client namespace. It is not
// connected, so the server's port-unreachable answers do not fail it.
func sender(t *testing.T, p *testnet.Pair) func(port uint16, n uint32) {
	t.Helper()
	var conn net.PacketConn
	if err := p.Client.Do(func() error {
		var err error
		conn, err = net.ListenPacket("udp4", testnet.ClientAddr4.String()+":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return func(port uint16, n uint32) {
		t.Helper()
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], n)
		if _, err := conn.WriteTo(b[:], net.UDPAddrFromAddrPort(netip.AddrPortFrom(testnet.ServerAddr4, port))); err != nil {
			t.Fatal(err)
		}
	}
}

func udpFilter(ports ...uint16) string {
	f := "udp and ("
	for i, p := range ports {
		if i > 0 {
			f += " or "
		}
		f += fmt.Sprintf("dst port %d", p)
	}
	return f + ")"
}

// TestSetFilterTakesEffect: a new filter passes what it names and stops
// what it does not, on an Ethernet capture and on a cooked one ("any"),
// whose offsets are moved for the kernel.
func TestSetFilterTakesEffect(t *testing.T) {
	for _, iface := range []string{testnet.ServerIf, "any"} {
		t.Run(iface, func(t *testing.T) {
			p := testnet.NewPair(t)
			c := openLive(t, p, iface, udpFilter(5000))
			send := sender(t, p)
			send(5000, 1)
			c.waitFor(t, "the datagram the first filter passes", func(s map[uint16]map[uint32]bool) bool { return s[5000][1] })

			<-c.h.SetFilter(udpFilter(5001))
			send(5000, 2) // sent first: if it passed, it would come first
			send(5001, 3)
			c.waitFor(t, "the datagram the new filter passes", func(s map[uint16]map[uint32]bool) bool { return s[5001][3] })
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.seen[5000][2] {
				t.Errorf("a datagram to port 5000 came through the filter %q", udpFilter(5001))
			}
		})
	}
}

// TestSetFilterLosesNoPacket: while datagrams stream in, the filter
// changes again and again (an address comes, a reload, a one-time door
// used, a rotating door's window): every datagram both filters pass is
// delivered. libpcap's own pcap_setfilter rejects everything for a moment
// at each change, which lost a knock now and then.
func TestSetFilterLosesNoPacket(t *testing.T) {
	const (
		total      = 20000
		window     = 64 // datagrams in flight at most, so that the ring never fills
		minChanges = 50
	)
	p := testnet.NewPair(t)
	filters := []string{udpFilter(5000), udpFilter(5000, 5001)}
	c := openLive(t, p, testnet.ServerIf, filters[0])
	send := sender(t, p)

	// Flip filters until the stream ends.
	stop := make(chan struct{})
	flipped := make(chan int)
	go func() {
		n := 0
		defer func() { flipped <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			<-c.h.SetFilter(filters[(n+1)%2])
			n++
		}
	}()

	for i := uint32(1); i <= total; i++ {
		if i > window {
			// Wait on what arrived, not on a count: a lost datagram must
			// not stall the stream.
			c.waitFor(t, fmt.Sprintf("datagram %d or later", i-window), func(s map[uint16]map[uint32]bool) bool {
				for n := range s[5000] {
					if n >= i-window {
						return true
					}
				}
				return false
			})
		}
		send(5000, i)
	}
	close(stop)
	var n int
	select {
	case n = <-flipped:
	case <-time.After(testnet.Await):
		t.Fatal("a filter change was never taken (has the capture stopped?)")
	}
	// With the filter still, one more datagram: once it is in, every
	// earlier one has come or is lost.
	send(5000, total+1)
	c.waitFor(t, "the datagram after the stream", func(s map[uint16]map[uint32]bool) bool { return s[5000][total+1] })

	c.mu.Lock()
	defer c.mu.Unlock()
	var lost []uint32
	for i := uint32(1); i <= total; i++ {
		if !c.seen[5000][i] {
			lost = append(lost, i)
		}
	}
	if n < minChanges {
		t.Fatalf("only %d filter changes happened during the stream: the test proves nothing", n)
	}
	t.Logf("%d datagrams, %d filter changes", total, n)
	if len(lost) > 0 {
		t.Errorf("%d of %d datagrams lost across %d filter changes; the first: %v", len(lost), total, n, lost[:min(len(lost), 10)])
	}
	if _, dropped, err := c.h.Stats(); err == nil && dropped > 0 {
		t.Logf("the kernel dropped %d packets (the ring was full)", dropped)
	}
}

// TestSetFilterInUserland: a filter the kernel cannot run (on a cooked
// capture, one that reads the link-layer header beyond its protocol and
// packet type) still filters, in userland through libpcap; and the next
// filter, in the kernel again, is not held back by libpcap's old copy.
func TestSetFilterInUserland(t *testing.T) {
	p := testnet.NewPair(t)
	c := openLive(t, p, "any", udpFilter(5000))
	send := sender(t, p)
	// A first ring block read: libpcap stops its userland filtering
	// after the blocks that were in the ring at its last pcap_setfilter.
	send(5000, 1)
	c.waitFor(t, "the first datagram", func(s map[uint16]map[uint32]bool) bool { return s[5000][1] })
	for i, tt := range []struct {
		filter string
		pass   uint16
	}{
		{udpFilter(5001) + " and link[2:2] != 0xffff", 5001}, // userland
		{udpFilter(5002), 5002},                              // the kernel
	} {
		<-c.h.SetFilter(tt.filter)
		n := uint32(2 * (i + 1))
		send(5000, n) // passes neither filter
		send(tt.pass, n+1)
		c.waitFor(t, fmt.Sprintf("the datagram to %d through %q", tt.pass, tt.filter), func(s map[uint16]map[uint32]bool) bool { return s[tt.pass][n+1] })
		c.mu.Lock()
		leaked := c.seen[5000][n]
		c.mu.Unlock()
		if leaked {
			t.Errorf("%q let a datagram to port 5000 through", tt.filter)
		}
	}
}
