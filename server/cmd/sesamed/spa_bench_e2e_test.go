//go:build linux

package main_test

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
	"sesame/spa"
)

// An SPA daemon under measurement: sesamed serving access.conf with its
// native nftables grants, or the real fwknopd (pcap, iptables), on the
// same access.conf.
type spaDaemon struct {
	name string
	// start guards port 22 as the daemon needs it and starts the daemon.
	start func(b *testing.B, p *testnet.Pair, access string) *testnet.Proc
	// opened reports whether the daemon lets addr reach tcp/22.
	opened func(b *testing.B, p *testnet.Pair, addr string) bool
}

func spaDaemons() []spaDaemon {
	return []spaDaemon{
		{"sesamed", func(b *testing.B, p *testnet.Pair, access string) *testnet.Proc {
			firewalltest.Guard(b, p.Server, "nftables", 22)
			return p.Server.SesamedSPA(b, testnet.ServerIf, "nftables", b.TempDir(), access).Proc
		}, func(b *testing.B, p *testnet.Pair, addr string) bool { return granted(b, p, addr) }},
		{"fwknopd", func(b *testing.B, p *testnet.Pair, access string) *testnet.Proc {
			p.Server.GuardSSH(b)
			return p.Server.Fwknopd(b, testnet.ServerIf, access).Proc
		}, func(b *testing.B, p *testnet.Pair, addr string) bool {
			out, err := p.Server.Try("iptables", "-w", "-S", "FWKNOP_INPUT")
			return err == nil && containsRule(out, addr)
		}},
	}
}

func containsRule(iptablesS, addr string) bool {
	for _, l := range strings.Split(iptablesS, "\n") {
		if strings.Contains(l, "-s "+addr+"/32") && strings.Contains(l, "--dport 22") && strings.Contains(l, "-j ACCEPT") {
			return true
		}
	}
	return false
}

// spaPacket is a real SPA packet for allow, asking for timeout seconds.
func spaPacket(b *testing.B, allow string, timeout int) []byte {
	b.Helper()
	k, err := spa.KeysFromBase64(spaKey, spaHMACKey)
	if err != nil {
		b.Fatal(err)
	}
	pkt, err := spa.Encode(spa.Message{User: "root", Time: time.Now(), Access: allow + ",tcp/22", ClientTimeout: timeout}, k, nil)
	if err != nil {
		b.Fatal(err)
	}
	return []byte(pkt)
}

// rawUDP sends UDP datagrams to the server's port 62201 with any IPv4
// source, through a raw socket in ns.
type rawUDP struct {
	fd  int
	buf []byte
}

func newRawUDP(b *testing.B, ns *testnet.NS) *rawUDP {
	b.Helper()
	var fd int
	err := ns.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	return &rawUDP{fd: fd, buf: make([]byte, 1600)}
}

func (r *rawUDP) send(src netip.Addr, payload []byte) error {
	n := 28 + len(payload)
	pkt := r.buf[:n]
	clear(pkt[:28])
	pkt[0] = 0x45
	binary.BigEndian.PutUint16(pkt[2:], uint16(n))
	pkt[8], pkt[9] = 64, unix.IPPROTO_UDP
	s, d := src.As4(), testnet.ServerAddr4.As4()
	copy(pkt[12:], s[:])
	copy(pkt[16:], d[:])
	binary.BigEndian.PutUint16(pkt[20:], uint16(1024+rand.Uint32N(60000)))
	binary.BigEndian.PutUint16(pkt[22:], spa.DefaultPort)
	binary.BigEndian.PutUint16(pkt[24:], uint16(8+len(payload))) // checksum 0: none, as IPv4 allows
	copy(pkt[28:], payload)
	err := unix.Sendto(r.fd, pkt, 0, &unix.SockaddrInet4{Addr: d})
	if err == unix.ENOBUFS {
		return nil
	}
	return err
}

// BenchmarkSPAOpenLatency: the time from a real SPA packet to port 22
// accepting, both as the server's capture timestamps them; sesamed and
// the real fwknopd on the same access.conf in the same run. fwknopd polls
// pcap every 100 ms (≈ 130 ms p50 here, issue 18); target for sesamed:
// p50 <= 5 ms.
func BenchmarkSPAOpenLatency(b *testing.B) {
	testnet.RequireRoot(b)
	testnet.RequireTools(b, "iptables", "nft", "tcpdump", "fwknopd")
	var results []latency
	for _, d := range spaDaemons() {
		p := testnet.NewPair(b)
		proc := d.start(b, p, spaAccess(""))
		p.Server.SSHD(b)
		capture := p.Server.Capture(b, testnet.ServerIf,
			fmt.Sprintf("(udp dst port %d) or (tcp src port 22 and tcp[13] & 18 == 18)", spa.DefaultPort))
		raw := newRawUDP(b, p.Client)
		var lats []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			from := len(capture.Packets())
			stopProbing := probing(b, p)
			// One second of access, so that the next round starts shut.
			if err := raw.send(testnet.ClientAddr4, spaPacket(b, testnet.ClientAddr4.String(), 1)); err != nil {
				b.Fatal(err)
			}
			var sentAt time.Time
			pkts := capture.WaitPacketAfter(b, from, "a SYN-ACK from port 22 after the SPA packet", func(pk testnet.Packet) bool {
				if pk.Dst.Port() == spa.DefaultPort && sentAt.IsZero() {
					sentAt = pk.Time
				}
				return !sentAt.IsZero() && pk.Src.Port() == 22 && pk.SYN && pk.ACK
			})
			stopProbing()
			lats = append(lats, pkts[len(pkts)-1].Time.Sub(sentAt))
			testnet.WaitFor(b, d.name+" to close port 22 again", func() bool { return !d.opened(b, p, testnet.ClientAddr4.String()) })
		}
		b.StopTimer()
		proc.Stop()
		results = append(results, summarize(d.name, lats))
	}
	fmt.Printf("\nSPA open latency, packet to port 22 accepting (%d packets each)\n", b.N)
	reportLatencies(b, "daemon", "fwknopd", results, results[len(results)-1])
	fmt.Println("target: sesamed p50 <= 5 ms")
}

var spaFloodOnce floodCache

// BenchmarkSPAFlood: for 5 s, SPA-shaped datagrams (random base64 of an
// SPA packet's length) from random spoofed sources in 192.0.2.0/24 at the
// SPA port, as fast as one sender goes up to 100k/s, while 3 real SPA
// packets are sent; sesamed and the real fwknopd on the same access.conf.
// fwknopd measured here: 0 of 3 opened (issue 18). Target: sesamed opens
// 3 of 3, with its CPU and peak RSS printed beside fwknopd's. The flood
// runs once per benchmark binary, whatever b.N.
func BenchmarkSPAFlood(b *testing.B) {
	testnet.RequireRoot(b)
	testnet.RequireTools(b, "iptables", "nft", "fwknopd")
	const (
		rate     = 100_000
		duration = 5 * time.Second
	)
	res := spaFloodOnce.get(b, func() (res []floodResult) {
		for _, d := range spaDaemons() {
			res = append(res, spaFloodDaemon(b, d, rate, duration))
		}
		return res
	})
	fmt.Printf("\nSPA flood: up to %dk random SPA-shaped datagrams/s from spoofed 192.0.2.0/24 sources for %s, 3 real SPA packets\n", rate/1000, duration)
	reportFlood(b, "packet to open, each", res)
	fmt.Println("target: sesamed opens 3 of 3")
}

func spaFloodDaemon(b *testing.B, d spaDaemon, rate int, duration time.Duration) floodResult {
	p := testnet.NewPair(b)
	proc := d.start(b, p, spaAccess(""))
	clients := []string{"192.0.2.2", "192.0.2.3", "192.0.2.4"}
	reals := make([][]byte, len(clients))
	for i, c := range clients {
		reals[i] = spaPacket(b, c, 30)
	}
	// Noise the shape of a real packet: base64 of its length, which passes
	// every check but the HMAC.
	noise := make([][]byte, 64)
	for i := range noise {
		raw := make([]byte, base64.RawStdEncoding.DecodedLen(len(reals[0])))
		for j := range raw {
			raw[j] = byte(rand.Uint32())
		}
		noise[i] = []byte(base64.RawStdEncoding.EncodeToString(raw))
	}
	floodRaw, realRaw := newRawUDP(b, p.Client), newRawUDP(b, p.Client)
	return floodRun{
		name: d.name, daemon: proc, clients: clients, duration: duration,
		flood: func(stop <-chan struct{}) (sent int, err error) {
			err = p.Client.Do(func() error {
				sent, err = pace(rate, stop, func(n int) error {
					src := netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + rand.Uint32N(240))})
					return floodRaw.send(src, noise[n%len(noise)])
				})
				return err
			})
			return sent, err
		},
		knock: func(i int) {
			if err := realRaw.send(netip.MustParseAddr(clients[i]), reals[i]); err != nil {
				b.Fatal(err)
			}
		},
		opened: func(addr string) bool { return d.opened(b, p, addr) },
	}.measure(b)
}
