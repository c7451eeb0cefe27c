//go:build linux

package main_test

import (
	"net/netip"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// knock is one crafted knock packet.
type knock struct {
	udp  bool
	port uint16
}

// ipPacket builds an IP packet for a raw link: IPv4, or IPv6 with a
// hop-by-hop, a destination options and a (first) fragment header before
// the transport header when ext.
func ipPacket(t *testing.T, src, dst netip.Addr, k knock, ext bool) []byte {
	t.Helper()
	var ls []gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	next := layers.IPProtocolTCP
	if k.udp {
		next = layers.IPProtocolUDP
	}
	if src.Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: next, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		ls, nl = append(ls, ip), ip
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		ls, nl = append(ls, ip), ip
		if ext {
			ip.NextHeader = layers.IPProtocolIPv6HopByHop
			hbh := &layers.IPv6HopByHop{Options: []*layers.IPv6HopByHopOption{{OptionType: 1, OptionLength: 4, OptionData: make([]byte, 4)}}}
			hbh.NextHeader = layers.IPProtocolIPv6Destination
			dst := &layers.IPv6Destination{Options: []*layers.IPv6DestinationOption{{OptionType: 1, OptionLength: 4, OptionData: make([]byte, 4)}}}
			dst.NextHeader = layers.IPProtocolIPv6Fragment
			frag := &layers.IPv6Fragment{NextHeader: next, Identification: 42}
			ls = append(ls, hbh, dst, frag)
		}
	}
	if k.udp {
		u := &layers.UDP{SrcPort: 40000, DstPort: layers.UDPPort(k.port)}
		_ = u.SetNetworkLayerForChecksum(nl)
		ls = append(ls, u, gopacket.Payload("knock"))
	} else {
		tc := &layers.TCP{SrcPort: 40001, DstPort: layers.TCPPort(k.port), SYN: true, Window: 1024, Seq: 1}
		_ = tc.SetNetworkLayerForChecksum(nl)
		ls = append(ls, tc)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writePacket sends a packet into a tun device: the kernel receives it on
// the tun interface.
func writePacket(t *testing.T, tun *os.File, pkt []byte) {
	t.Helper()
	if _, err := tun.Write(pkt); err != nil {
		t.Fatalf("write to tun: %v", err)
	}
}
