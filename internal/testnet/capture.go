//go:build linux

package testnet

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Packet is one TCP or UDP packet seen by a Capture.
type Packet struct {
	Time     time.Time // the kernel's capture timestamp
	Src, Dst netip.AddrPort
	UDP      bool
	SYN, ACK bool
	RST, FIN bool
	// Frame is the packet as captured, link-layer header and all (up to
	// the capture's 256-byte snap length), for SendFrames to replay.
	Frame []byte
}

func (p Packet) String() string {
	proto := "tcp"
	if p.UDP {
		proto = "udp"
	}
	flags := ""
	for _, f := range []struct {
		on bool
		c  string
	}{{p.SYN, "S"}, {p.ACK, "."}, {p.RST, "R"}, {p.FIN, "F"}} {
		if f.on {
			flags += f.c
		}
	}
	return fmt.Sprintf("%s %s %s > %s [%s]", p.Time.Format("15:04:05.000000"), proto, p.Src, p.Dst, flags)
}

// Capture records packets with the real tcpdump inside a namespace.
type Capture struct {
	mu      sync.Mutex
	pkts    []Packet
	changed chan struct{}
	proc    *Proc
}

// Capture starts tcpdump on iface with a BPF filter and returns once the
// capture is open, so no packet sent afterwards is missed.
func (ns *NS) Capture(t testing.TB, iface, filter string) *Capture {
	t.Helper()
	RequireTools(t, "tcpdump")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := ns.Command(ctx, "tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-s", "256", "-w", "-", filter)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &Capture{changed: make(chan struct{}), proc: &Proc{Name: "tcpdump", changed: make(chan struct{}), done: make(chan struct{})}}
	cmd.Stderr = c.proc
	if err := cmd.Start(); err != nil {
		t.Fatalf("start tcpdump: %v", err)
	}
	readerDone := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-readerDone
		if t.Failed() {
			t.Logf("capture on %s (%s):\n%s", iface, filter, c.dump())
		}
	})
	opened := make(chan error, 1)
	go func() {
		defer close(readerDone)
		defer cmd.Wait()
		r, err := pcapgo.NewReader(stdout)
		opened <- err
		if err != nil {
			return
		}
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				return
			}
			if p, ok := decode(data, r.LinkType(), ci.Timestamp); ok {
				c.add(p)
			}
		}
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("tcpdump on %s in %s did not start: %v\n%s", iface, ns.Name, err, c.proc.Output())
		}
	case <-time.After(Await):
		t.Fatalf("tcpdump on %s in %s did not start:\n%s", iface, ns.Name, c.proc.Output())
	}
	c.proc.WaitOutput(t, "listening on")
	return c
}

func decode(data []byte, lt layers.LinkType, ts time.Time) (Packet, bool) {
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var p Packet
	p.Time = ts
	p.Frame = append([]byte(nil), data...)
	var src, dst netip.Addr
	if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
	} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
		src, _ = netip.AddrFromSlice(ip6.SrcIP)
		dst, _ = netip.AddrFromSlice(ip6.DstIP)
	} else {
		return p, false
	}
	switch l := pkt.TransportLayer().(type) {
	case *layers.TCP:
		p.Src = netip.AddrPortFrom(src, uint16(l.SrcPort))
		p.Dst = netip.AddrPortFrom(dst, uint16(l.DstPort))
		p.SYN, p.ACK, p.RST, p.FIN = l.SYN, l.ACK, l.RST, l.FIN
	case *layers.UDP:
		p.UDP = true
		p.Src = netip.AddrPortFrom(src, uint16(l.SrcPort))
		p.Dst = netip.AddrPortFrom(dst, uint16(l.DstPort))
	default:
		return p, false
	}
	return p, true
}

func (c *Capture) add(p Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pkts = append(c.pkts, p)
	close(c.changed)
	c.changed = make(chan struct{})
}

// Packets returns the packets captured so far.
func (c *Capture) Packets() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Packet(nil), c.pkts...)
}

// WaitPacket waits for a packet that matches and returns the packets
// captured up to and including it. It fails the test after Await.
func (c *Capture) WaitPacket(t testing.TB, what string, match func(Packet) bool) []Packet {
	t.Helper()
	return c.WaitPacketAfter(t, 0, what, match)
}

// WaitPacketAfter is WaitPacket that only looks at packets after the
// first from (a count from Packets), so a test can wait for the next
// occurrence of something it saw before.
func (c *Capture) WaitPacketAfter(t testing.TB, from int, what string, match func(Packet) bool) []Packet {
	t.Helper()
	deadline := time.NewTimer(Await)
	defer deadline.Stop()
	seen := from
	for {
		c.mu.Lock()
		pkts := c.pkts
		changed := c.changed
		c.mu.Unlock()
		for i := seen; i < len(pkts); i++ {
			if match(pkts[i]) {
				return append([]Packet(nil), pkts[:i+1]...)
			}
		}
		seen = len(pkts)
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("gave up after %s waiting for %s in the capture; saw:\n%s", Await, what, c.dump())
		}
	}
}

func (c *Capture) dump() string {
	var s string
	for _, p := range c.Packets() {
		s += p.String() + "\n"
	}
	return s
}
