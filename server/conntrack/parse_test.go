//go:build linux

package conntrack

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// message builds a ctnetlink message body the way the kernel lays it out.
func message(t testing.TB, f Flow) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Nested(ctaTupleOrig, func(tae *netlink.AttributeEncoder) error {
		tae.Nested(ctaTupleIP, func(iae *netlink.AttributeEncoder) error {
			src, dst := uint16(ctaIPv4Src), uint16(ctaIPv4Dst)
			if f.Src.Is6() {
				src, dst = ctaIPv6Src, ctaIPv6Dst
			}
			iae.Bytes(src, f.Src.AsSlice())
			iae.Bytes(dst, f.Dst.AsSlice())
			return nil
		})
		tae.Nested(ctaTupleProto, func(pae *netlink.AttributeEncoder) error {
			pae.Uint8(ctaProtoNum, f.Proto)
			pae.Uint16(ctaProtoSrcPort, f.SrcPort)
			pae.Uint16(ctaProtoDstPort, f.DstPort)
			return nil
		})
		return nil
	})
	// The reply tuple, swapped, which parseFlow must not mistake for the
	// original.
	ae.Nested(2, func(tae *netlink.AttributeEncoder) error {
		tae.Nested(ctaTupleIP, func(iae *netlink.AttributeEncoder) error {
			iae.Bytes(ctaIPv4Src, []byte{198, 51, 100, 1})
			return nil
		})
		return nil
	})
	ae.Uint32(ctaStatus, f.Status)
	if f.Proto == unix.IPPROTO_TCP {
		ae.Nested(ctaProtoinfo, func(pae *netlink.AttributeEncoder) error {
			pae.Nested(ctaProtoinfoTCP, func(tae *netlink.AttributeEncoder) error {
				tae.Uint8(ctaProtoinfoTCPState, f.TCPState)
				return nil
			})
			return nil
		})
	}
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{unix.AF_INET, 0, 0, 0}, b...)
}

func TestParseFlow(t *testing.T) {
	c4, s4 := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.1")
	c6, s6 := netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1")
	for _, tc := range []struct {
		name        string
		f           Flow
		established bool
	}{
		{"tcp established", Flow{Proto: unix.IPPROTO_TCP, Src: c4, Dst: s4, SrcPort: 40000, DstPort: 22, TCPState: TCPEstablished, Status: 0xe}, true},
		{"tcp time-wait", Flow{Proto: unix.IPPROTO_TCP, Src: c6, Dst: s6, SrcPort: 40000, DstPort: 22, TCPState: 7, Status: 0xe}, false},
		{"tcp syn-sent", Flow{Proto: unix.IPPROTO_TCP, Src: c4, Dst: s4, SrcPort: 40000, DstPort: 22, TCPState: 1}, false},
		{"udp answered", Flow{Proto: unix.IPPROTO_UDP, Src: c6, Dst: s6, SrcPort: 5000, DstPort: 51820, Status: StatusSeenReply}, true},
		{"udp one way", Flow{Proto: unix.IPPROTO_UDP, Src: c4, Dst: s4, SrcPort: 5000, DstPort: 51820}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlow(message(t, tc.f))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.f {
				t.Fatalf("parseFlow = %+v, want %+v", got, tc.f)
			}
			if got.Established() != tc.established {
				t.Fatalf("Established() = %v, want %v", got.Established(), tc.established)
			}
		})
	}
	for _, bad := range [][]byte{nil, {2, 0, 0}, {2, 0, 0, 0, 8, 0, 1}} {
		if f, err := parseFlow(bad); err == nil {
			t.Errorf("parseFlow(%x) = %+v, want an error", bad, f)
		}
	}
}

// FuzzParseFlow: whatever the kernel (or a bug) sends, parsing returns a
// flow or an error, and never panics.
func FuzzParseFlow(f *testing.F) {
	f.Add(message(f, Flow{Proto: unix.IPPROTO_TCP, Src: netip.MustParseAddr("192.0.2.2"), Dst: netip.MustParseAddr("192.0.2.1"), SrcPort: 1, DstPort: 22, TCPState: 3}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fl, err := parseFlow(b); err == nil && fl.Src.IsValid() && fl.Src.BitLen() != 32 && fl.Src.BitLen() != 128 {
			t.Fatalf("address of %d bits", fl.Src.BitLen())
		}
	})
}
