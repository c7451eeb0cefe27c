//go:build linux

package cli_test

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// sentinelPort receives the datagram that marks the end of a measurement:
// every packet captured before it was sent before it.
const sentinelPort = 9

// dropKnockPorts makes the server drop everything but the sentinel silently,
// the case in which a connect() hangs and the kernel retransmits the SYN.
func dropKnockPorts(t testing.TB, ns *testnet.NS) {
	t.Helper()
	for _, ipt := range []string{"iptables", "ip6tables"} {
		ns.Run(t, ipt, "-w", "-P", "INPUT", "DROP")
	}
}

// knockRun is what the server side saw of one knock sequence.
type knockRun struct {
	perPort map[uint16]int // packets from the client to each knock port
	order   []uint16       // knock ports in the order they first arrived
	gaps    []time.Duration
	stray   []testnet.Packet // packets to ports outside the sequence
}

// captureKnock runs one client invocation against the server of p with a
// capture on, and returns what the server saw.
func captureKnock(t testing.TB, c testnet.KnockClient, p *testnet.Pair, server netip.Addr, args []string, ports []uint16) knockRun {
	t.Helper()
	capture := p.Server.Capture(t, testnet.ServerIf, "tcp or udp")
	argv := c.Argv(args...)
	p.Client.Run(t, argv[0], argv[1:]...)

	// A socket left in SYN-SENT would retransmit its SYN later; the client
	// must leave none behind.
	if out := p.Client.Run(t, "ss", "-Htan", "state", "syn-sent"); strings.TrimSpace(out) != "" {
		t.Errorf("%s left half-open connections that will retransmit:\n%s", c.Name, out)
	}

	sendSentinel(t, p.Client, server)
	pkts := capture.WaitPacket(t, "the sentinel datagram", func(pk testnet.Packet) bool {
		return pk.UDP && pk.Dst.Port() == sentinelPort
	})
	pkts = pkts[:len(pkts)-1]

	run := knockRun{perPort: map[uint16]int{}}
	var last time.Time
	for _, pk := range pkts {
		if pk.Dst.Addr() != server {
			continue
		}
		if !slices.Contains(ports, pk.Dst.Port()) {
			run.stray = append(run.stray, pk)
			continue
		}
		if run.perPort[pk.Dst.Port()] == 0 && !last.IsZero() {
			run.gaps = append(run.gaps, pk.Time.Sub(last))
		}
		if run.perPort[pk.Dst.Port()] == 0 {
			last = pk.Time
			run.order = append(run.order, pk.Dst.Port())
		}
		run.perPort[pk.Dst.Port()]++
	}
	return run
}

func sendSentinel(t testing.TB, ns *testnet.NS, server netip.Addr) {
	t.Helper()
	err := ns.Do(func() error {
		c, err := net.Dial("udp", netip.AddrPortFrom(server, sentinelPort).String())
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("end"))
		return err
	})
	if err != nil {
		t.Fatalf("send sentinel: %v", err)
	}
}

func seqPorts(first, n int) ([]uint16, []string) {
	var ports []uint16
	var args []string
	for i := 0; i < n; i++ {
		ports = append(ports, uint16(first+i))
		args = append(args, strconv.Itoa(first+i))
	}
	return ports, args
}

// TestKnockOnePacketPerKnock captures the server side while the knock ports
// are silently dropped: every knock must arrive exactly once (no SYN
// retransmit, no duplicate datagram), in order, with no gap shorter than
// asked.
func TestKnockOnePacketPerKnock(t *testing.T) {
	clients := testnet.KnockClients(t)
	testnet.RequireTools(t, "tcpdump", "ss", "iptables", "ip6tables")
	const delay = 100 * time.Millisecond
	cases := []struct {
		name   string
		server netip.Addr
		flags  []string
	}{
		{"tcp ipv4", testnet.ServerAddr4, nil},
		{"udp ipv4", testnet.ServerAddr4, []string{"-u"}},
		{"tcp ipv6", testnet.ServerAddr6, []string{"-6"}},
	}
	for _, tc := range cases {
		for _, c := range clients {
			t.Run(fmt.Sprintf("%s/%s", tc.name, c.Name), func(t *testing.T) {
				t.Parallel()
				p := testnet.NewPair(t)
				dropKnockPorts(t, p.Server)
				ports, portArgs := seqPorts(7001, 10)
				args := append(append([]string{}, tc.flags...), "-d", strconv.Itoa(int(delay/time.Millisecond)), tc.server.String())
				run := captureKnock(t, c, p, tc.server, append(args, portArgs...), ports)
				for _, port := range ports {
					if n := run.perPort[port]; n != 1 {
						t.Errorf("port %d got %d packets, want exactly 1", port, n)
					}
				}
				if !slices.Equal(run.order, ports) {
					t.Errorf("knocks arrived in the order %v, want %v", run.order, ports)
				}
				if len(run.stray) > 0 {
					t.Errorf("packets outside the sequence: %v", run.stray)
				}
				for i, g := range run.gaps {
					// The capture stamps a packet when the server side's
					// softirq gets to it, which a loaded machine delays
					// by milliseconds (88 ms for a 100 ms gap was seen):
					// a quarter of the gap is slack for that. A sender
					// that ignored the delay sends its knocks well under
					// a millisecond apart, so this still catches it.
					// The gap's accuracy is measured in make bench.
					if g < delay-delay/4 {
						t.Errorf("gap %d was %v, shorter than the %v asked for", i+1, g, delay)
					}
				}
			})
		}
	}
}
