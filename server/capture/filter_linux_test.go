//go:build linux && cgo

package capture

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/packet"
)

// frame serializes an Ethernet frame with an IPv4 or IPv6 header (with a
// hop-by-hop header when hbh), and a TCP header with flags or a UDP one.
func frame(t *testing.T, src, dst string, udp bool, port uint16, flags uint8, hbh bool) []byte {
	t.Helper()
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}}
	var ls []gopacket.SerializableLayer
	var tr gopacket.SerializableLayer
	var netLayer gopacket.NetworkLayer
	if s.Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		netLayer = ip
		ls = append(ls, eth, ip)
		if udp {
			ip.Protocol = layers.IPProtocolUDP
		} else {
			ip.Protocol = layers.IPProtocolTCP
		}
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip := &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		netLayer = ip
		ls = append(ls, eth, ip)
		next := layers.IPProtocolTCP
		if udp {
			next = layers.IPProtocolUDP
		}
		if hbh {
			ip.NextHeader = layers.IPProtocolIPv6HopByHop
			h := &layers.IPv6HopByHop{}
			h.NextHeader = next
			h.Options = []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: []byte{0, 0, 0, 0}}}
			ls = append(ls, h)
		} else {
			ip.NextHeader = next
		}
	}
	if udp {
		u := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(port)}
		_ = u.SetNetworkLayerForChecksum(netLayer)
		tr = u
	} else {
		tc := &layers.TCP{SrcPort: 40000, DstPort: layers.TCPPort(port), Window: 1024,
			FIN: flags&knockdconf.FlagFIN != 0, SYN: flags&knockdconf.FlagSYN != 0, RST: flags&knockdconf.FlagRST != 0,
			PSH: flags&knockdconf.FlagPSH != 0, ACK: flags&knockdconf.FlagACK != 0, URG: flags&knockdconf.FlagURG != 0}
		_ = tc.SetNetworkLayerForChecksum(netLayer)
		tr = tc
	}
	ls = append(ls, tr)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func seq(s string) knocker.Sequence {
	q, err := knocker.ParseSequence(s)
	if err != nil {
		panic(err)
	}
	return q
}

// TestFilterWithLibpcap compiles the filters with the real libpcap and
// runs them over packets, so that what the kernel will pass is what the
// matcher expects.
func TestFilterWithLibpcap(t *testing.T) {
	doors := []Door{
		{Sequence: seq("7000,8000,9000"), Flags: knockdconf.TCPFlags{Set: knockdconf.FlagSYN}},
		{Sequence: seq("2222:udp,3333,4444:udp")},
		{Sequence: seq("5000:udp"), Target: netip.MustParseAddr("192.0.2.10")},
		{Sequence: seq("6000"), Flags: knockdconf.TCPFlags{Set: knockdconf.FlagFIN, Unset: knockdconf.FlagACK}},
	}
	local := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	const S, A, F = knockdconf.FlagSYN, knockdconf.FlagACK, knockdconf.FlagFIN
	tests := []struct {
		name     string
		src, dst string
		udp      bool
		port     uint16
		flags    uint8
		hbh      bool
		v4only   bool
		want     bool
	}{
		{"syn to a knock port", "192.0.2.2", "192.0.2.1", false, 7000, S, false, false, true},
		{"syn-ack still has syn", "192.0.2.2", "192.0.2.1", false, 9000, S | A, false, false, true},
		{"ack without syn", "192.0.2.2", "192.0.2.1", false, 7000, A, false, false, false},
		{"another port", "192.0.2.2", "192.0.2.1", false, 22, S, false, false, false},
		{"another address", "192.0.2.2", "192.0.2.99", false, 7000, S, false, false, false},
		{"udp knock", "192.0.2.2", "192.0.2.1", true, 2222, 0, false, false, true},
		{"udp to a tcp knock port", "192.0.2.2", "192.0.2.1", true, 3333, 0, false, false, false},
		{"tcp to a udp knock port", "192.0.2.2", "192.0.2.1", false, 2222, S, false, false, false},
		{"any flags where the door has none", "192.0.2.2", "192.0.2.1", false, 3333, A, false, false, true},
		{"target", "192.0.2.2", "192.0.2.10", true, 5000, 0, false, false, true},
		{"target door ignores the local address", "192.0.2.2", "192.0.2.1", true, 5000, 0, false, false, false},
		{"fin,!ack", "192.0.2.2", "192.0.2.1", false, 6000, F, false, false, true},
		{"fin,!ack with ack", "192.0.2.2", "192.0.2.1", false, 6000, F | A, false, false, false},
		{"ipv6 syn", "2001:db8::2", "2001:db8::1", false, 8000, S, false, false, true},
		{"ipv6 ack", "2001:db8::2", "2001:db8::1", false, 8000, A, false, false, false},
		{"ipv6 udp", "2001:db8::2", "2001:db8::1", true, 4444, 0, false, false, true},
		{"ipv6 other address", "2001:db8::2", "2001:db8::9", true, 4444, 0, false, false, false},
		{"ipv6 behind a hop-by-hop header", "2001:db8::2", "2001:db8::1", true, 4444, 0, true, false, true},
		{"ipv6 with -4", "2001:db8::2", "2001:db8::1", false, 8000, S, false, true, false},
		{"ipv4 with -4", "192.0.2.2", "192.0.2.1", false, 7000, S, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expr := Filter(doors, local, tt.v4only)
			bpf, err := pcap.NewBPF(layers.LinkTypeEthernet, snapLen, expr)
			if err != nil {
				t.Fatalf("libpcap rejects %q: %v", expr, err)
			}
			data := frame(t, tt.src, tt.dst, tt.udp, tt.port, tt.flags, tt.hbh)
			if _, err := packet.Decode(packet.LinkEthernet, data); err != nil {
				t.Fatalf("test frame does not decode: %v", err)
			}
			ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(data), Length: len(data)}
			if got := bpf.Matches(ci, data); got != tt.want {
				t.Fatalf("filter passes it: %v, want %v\nfilter: %s", got, tt.want, expr)
			}
		})
	}
}

func TestFilterWithoutAddresses(t *testing.T) {
	doors := []Door{{Sequence: seq("7000")}}
	expr := Filter(doors, nil, false)
	if expr != matchNothing {
		t.Fatalf("Filter with no address = %q, want %q", expr, matchNothing)
	}
	bpf, err := pcap.NewBPF(layers.LinkTypeEthernet, snapLen, expr)
	if err != nil {
		t.Fatal(err)
	}
	data := frame(t, "192.0.2.2", "192.0.2.1", false, 7000, knockdconf.FlagSYN, false)
	if bpf.Matches(gopacket.CaptureInfo{CaptureLength: len(data), Length: len(data)}, data) {
		t.Fatal("the match-nothing filter passed a packet")
	}
}
