package packet

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"sesame/knocker"
)

var (
	src4 = netip.MustParseAddr("192.0.2.2")
	dst4 = netip.MustParseAddr("192.0.2.1")
	src6 = netip.MustParseAddr("2001:db8::2")
	dst6 = netip.MustParseAddr("2001:db8::1")
)

func tcpHdr(sport, dport uint16, flags uint8) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	b[12] = 5 << 4
	b[13] = flags
	return b
}

func udpHdr(sport, dport uint16) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], 8)
	return b
}

// ipv4 builds an IPv4 header with optLen bytes of options (a multiple of 4)
// and a fragment offset field.
func ipv4(src, dst netip.Addr, proto uint8, optLen int, frag uint16, payload []byte) []byte {
	h := make([]byte, 20+optLen)
	h[0] = 4<<4 | uint8((20+optLen)/4)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(payload)))
	binary.BigEndian.PutUint16(h[6:], frag)
	h[8] = 64
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	for i := 20; i < len(h); i++ {
		h[i] = 1 // NOP options
	}
	return append(h, payload...)
}

func ipv6(src, dst netip.Addr, next uint8, payload []byte) []byte {
	h := make([]byte, 40)
	h[0] = 6 << 4
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, payload...)
}

// ext builds an IPv6 extension header of the given kind before payload.
func ext(kind, next uint8, units int, payload []byte) []byte {
	var h []byte
	switch kind {
	case protoFragment:
		h = make([]byte, 8)
		binary.BigEndian.PutUint16(h[2:], uint16(units)<<3) // fragment offset in 8-byte units
	case protoAH:
		h = make([]byte, (units+2)*4)
		h[1] = uint8(units)
	default:
		h = make([]byte, (units+1)*8)
		h[1] = uint8(units)
		h[2], h[3] = 1, uint8(len(h)-4) // a PadN option filling the header
	}
	h[0] = next
	return append(h, payload...)
}

func ether(ethertype uint16, vlans int, payload []byte) []byte {
	h := make([]byte, 12)
	for i := 0; i < vlans; i++ {
		h = binary.BigEndian.AppendUint16(h, etherVLAN)
		h = binary.BigEndian.AppendUint16(h, 42)
	}
	h = binary.BigEndian.AppendUint16(h, ethertype)
	return append(h, payload...)
}

func sll(ethertype uint16, payload []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[14:], ethertype)
	return append(h, payload...)
}

func sll2(ethertype uint16, payload []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], ethertype)
	return append(h, payload...)
}

func TestDecode(t *testing.T) {
	syn4 := Packet{Src: src4, Dst: dst4, Proto: knocker.TCP, SrcPort: 40000, DstPort: 7000, Flags: 0x02}
	udp6 := Packet{Src: src6, Dst: dst6, Proto: knocker.UDP, SrcPort: 40001, DstPort: 8000}
	tcp6 := Packet{Src: src6, Dst: dst6, Proto: knocker.TCP, SrcPort: 40002, DstPort: 9000, Flags: 0x12}
	ip4syn := ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(40000, 7000, 0x02))
	ip6udp := ipv6(src6, dst6, protoUDP, udpHdr(40001, 8000))
	tests := []struct {
		name string
		lt   LinkType
		data []byte
		want Packet
		err  error
	}{
		{"ethernet ipv4 tcp", LinkEthernet, ether(etherIPv4, 0, ip4syn), syn4, nil},
		{"ethernet ipv4 with options", LinkEthernet, ether(etherIPv4, 0, ipv4(src4, dst4, protoTCP, 8, 0, tcpHdr(40000, 7000, 0x02))), syn4, nil},
		{"ethernet ipv4 with frame padding", LinkEthernet, append(ether(etherIPv4, 0, ipv4(src4, dst4, protoUDP, 0, 0, udpHdr(1, 2))), 0, 0, 0, 0),
			Packet{Src: src4, Dst: dst4, Proto: knocker.UDP, SrcPort: 1, DstPort: 2}, nil},
		{"ethernet vlan", LinkEthernet, ether(etherIPv4, 1, ip4syn), syn4, nil},
		{"ethernet qinq", LinkEthernet, ether(etherIPv4, 2, ip4syn), syn4, nil},
		{"ethernet ipv6 udp", LinkEthernet, ether(etherIPv6, 0, ip6udp), udp6, nil},
		{"linux cooked v1", LinkLinuxSLL, sll(etherIPv4, ip4syn), syn4, nil},
		{"linux cooked v1 ipv6", LinkLinuxSLL, sll(etherIPv6, ip6udp), udp6, nil},
		{"linux cooked v2", LinkLinuxSLL2, sll2(etherIPv4, ip4syn), syn4, nil},
		{"linux cooked v2 ipv6", LinkLinuxSLL2, sll2(etherIPv6, ip6udp), udp6, nil},
		{"raw ipv4", LinkRaw, ip4syn, syn4, nil},
		{"raw ipv6 (wireguard)", LinkRaw, ip6udp, udp6, nil},
		{"ipv4-mapped ipv6 source is ipv4", LinkRaw, ipv6(netip.AddrFrom16(src4.As16()), dst6, protoUDP, udpHdr(40001, 8000)),
			Packet{Src: src4, Dst: dst6, Proto: knocker.UDP, SrcPort: 40001, DstPort: 8000}, nil},
		{"LINKTYPE_RAW", LinkRawIP, ip4syn, syn4, nil},
		{"ipv6 hop-by-hop", LinkRaw, ipv6(src6, dst6, protoHopByHop, ext(protoHopByHop, protoUDP, 0, udpHdr(40001, 8000))), udp6, nil},
		{"ipv6 chain", LinkRaw, ipv6(src6, dst6, protoHopByHop,
			ext(protoHopByHop, protoRouting, 0,
				ext(protoRouting, protoFragment, 2,
					ext(protoFragment, protoAH, 0,
						ext(protoAH, protoDstOpts, 4,
							ext(protoDstOpts, protoTCP, 1, tcpHdr(40002, 9000, 0x12))))))), tcp6, nil},
		{"ipv6 later fragment", LinkRaw, ipv6(src6, dst6, protoFragment, ext(protoFragment, protoUDP, 3, udpHdr(1, 2))), Packet{}, ErrFragment},
		{"ipv4 later fragment", LinkRaw, ipv4(src4, dst4, protoTCP, 0, 5, tcpHdr(1, 2, 2)), Packet{}, ErrFragment},
		{"ipv4 first fragment", LinkRaw, ipv4(src4, dst4, protoTCP, 0, 0x2000, tcpHdr(40000, 7000, 2)), syn4, nil},
		{"ipv6 esp", LinkRaw, ipv6(src6, dst6, 50, make([]byte, 16)), Packet{}, ErrTransport},
		{"ipv6 too many headers", LinkRaw, ipv6(src6, dst6, protoDstOpts, func() []byte {
			b := udpHdr(1, 2)
			next := uint8(protoUDP)
			for i := 0; i < 12; i++ {
				b = ext(protoDstOpts, next, 0, b)
				next = protoDstOpts
			}
			return b
		}()), Packet{}, ErrMalformed},
		{"ipv6 truncated extension", LinkRaw, ipv6(src6, dst6, protoDstOpts, ext(protoDstOpts, protoUDP, 3, nil)[:12]), Packet{}, ErrShort},
		{"icmp", LinkRaw, ipv4(src4, dst4, 1, 0, 0, make([]byte, 8)), Packet{}, ErrTransport},
		{"arp", LinkEthernet, ether(0x0806, 0, make([]byte, 28)), Packet{}, ErrNotIP},
		{"truncated tcp", LinkRaw, ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(1, 2, 2)[:13]), Packet{}, ErrShort},
		{"truncated by ip length", LinkRaw, func() []byte {
			b := ipv4(src4, dst4, protoUDP, 0, 0, udpHdr(1, 2))
			binary.BigEndian.PutUint16(b[2:], 24) // says only 4 bytes of UDP
			return b
		}(), Packet{}, ErrShort},
		{"bad ihl", LinkRaw, func() []byte { b := ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(1, 2, 2)); b[0] = 0x43; return b }(), Packet{}, ErrMalformed},
		{"version mismatch", LinkEthernet, ether(etherIPv6, 0, ip4syn), Packet{}, ErrMalformed},
		{"short ethernet", LinkEthernet, make([]byte, 10), Packet{}, ErrShort},
		{"empty raw", LinkRaw, nil, Packet{}, ErrShort},
		{"unknown link", LinkType(127), ip4syn, Packet{}, ErrLinkType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.lt, tt.data)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Decode error = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Decode = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	frames := []struct {
		lt   LinkType
		data []byte
	}{
		{LinkEthernet, ether(etherIPv4, 0, ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(1, 7000, 2)))},
		{LinkLinuxSLL, sll(etherIPv6, ipv6(src6, dst6, protoDstOpts, ext(protoDstOpts, protoUDP, 0, udpHdr(1, 2))))},
		{LinkRaw, ipv4(src4, dst4, 1, 0, 0, make([]byte, 8))}, // an error path
	}
	for _, f := range frames {
		if n := testing.AllocsPerRun(100, func() { _, _ = Decode(f.lt, f.data) }); n != 0 {
			t.Errorf("Decode(%v) allocates %v times per packet", f.lt, n)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	frame := ether(etherIPv4, 0, ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(40000, 7000, 2)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(LinkEthernet, frame); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(int(LinkEthernet), ether(etherIPv4, 1, ipv4(src4, dst4, protoTCP, 4, 0, tcpHdr(1, 7000, 2))))
	f.Add(int(LinkLinuxSLL), sll(etherIPv6, ipv6(src6, dst6, protoHopByHop, ext(protoHopByHop, protoFragment, 0, ext(protoFragment, protoUDP, 0, udpHdr(1, 2))))))
	f.Add(int(LinkLinuxSLL2), sll2(etherIPv6, ipv6(src6, dst6, protoAH, ext(protoAH, protoTCP, 1, tcpHdr(1, 2, 0x12)))))
	f.Add(int(LinkRaw), ipv4(src4, dst4, protoUDP, 0, 0, udpHdr(5, 6)))
	f.Fuzz(func(t *testing.T, lt int, data []byte) {
		p, err := Decode(LinkType(lt), data)
		if err != nil {
			if p != (Packet{}) {
				t.Fatalf("error %v with a non-zero packet %+v", err, p)
			}
			return
		}
		if p.Proto != knocker.TCP && p.Proto != knocker.UDP {
			t.Fatalf("decoded protocol %v", p.Proto)
		}
		if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() {
			t.Fatalf("decoded addresses %v -> %v", p.Src, p.Dst)
		}
		if p.Proto == knocker.UDP && p.Flags != 0 {
			t.Fatalf("UDP packet with TCP flags %#x", p.Flags)
		}
		if p.Flags&^0x3f != 0 {
			t.Fatalf("flags %#x outside FIN..URG", p.Flags)
		}
	})
}

func TestDecodePayload(t *testing.T) {
	data := []byte("U2FsdGVkX1-like SPA text")
	udp := append(udpHdr(40000, 62201), data...)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	frame := append(ether(etherIPv4, 0, ipv4(src4, dst4, protoUDP, 0, 0, udp)), 0, 0, 0, 0) // with frame padding
	p, payload, err := DecodePayload(LinkEthernet, frame)
	if err != nil || p.DstPort != 62201 || string(payload) != string(data) {
		t.Fatalf("got %+v %q %v", p, payload, err)
	}
	if _, payload, _ := DecodePayload(LinkRaw, ipv4(src4, dst4, protoTCP, 0, 0, tcpHdr(1, 2, 2))); payload != nil {
		t.Errorf("tcp payload %q", payload)
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = DecodePayload(LinkEthernet, frame) }); n != 0 {
		t.Errorf("DecodePayload allocates %v times", n)
	}
}
