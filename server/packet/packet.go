// Package packet decodes the captured frames sesamed looks at — a TCP or
// UDP header inside IPv4 or IPv6, on Ethernet, Linux cooked (v1 and v2) or
// raw IP links — into the few fields a knock needs. It runs once per
// captured packet, so it allocates nothing and never copies the frame.
package packet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"sesame/knocker"
)

// LinkType is a capture's data link type, as libpcap reports it (DLT_*).
type LinkType int

// The link types sesamed decodes.
const (
	LinkEthernet  LinkType = 1   // DLT_EN10MB: Ethernet, and Linux loopback
	LinkRaw       LinkType = 12  // DLT_RAW on Linux: tun, WireGuard
	LinkRawBSD    LinkType = 14  // DLT_RAW on OpenBSD
	LinkRawIP     LinkType = 101 // LINKTYPE_RAW
	LinkLinuxSLL  LinkType = 113 // DLT_LINUX_SLL: the "any" device, PPP
	LinkIPv4      LinkType = 228 // LINKTYPE_IPV4
	LinkIPv6      LinkType = 229 // LINKTYPE_IPV6
	LinkLinuxSLL2 LinkType = 276 // DLT_LINUX_SLL2
)

// Supported reports whether Decode understands frames of this link type.
func (lt LinkType) Supported() bool {
	switch lt {
	case LinkEthernet, LinkRaw, LinkRawBSD, LinkRawIP, LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

func (lt LinkType) String() string {
	switch lt {
	case LinkEthernet:
		return "ethernet"
	case LinkRaw, LinkRawBSD, LinkRawIP, LinkIPv4, LinkIPv6:
		return "raw IP"
	case LinkLinuxSLL:
		return "Linux cooked v1"
	case LinkLinuxSLL2:
		return "Linux cooked v2"
	}
	return fmt.Sprintf("link type %d", int(lt))
}

// Packet is what a knock is made of.
type Packet struct {
	Src, Dst         netip.Addr
	Proto            knocker.Proto
	SrcPort, DstPort uint16
	// Flags are the TCP header's flag bits FIN to URG (knockdconf.FlagFIN
	// and so on); zero for UDP.
	Flags uint8
}

func (p Packet) String() string {
	return fmt.Sprintf("%s: %s -> %s", p.Proto, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort))
}

// Errors for frames that are not knocks. They are sentinel values, so that
// dropping a packet costs no allocation.
var (
	ErrShort     = errors.New("truncated packet")
	ErrLinkType  = errors.New("unsupported link type")
	ErrNotIP     = errors.New("not IPv4 or IPv6")
	ErrTransport = errors.New("not TCP or UDP")
	ErrFragment  = errors.New("a later IP fragment (no transport header)")
	ErrMalformed = errors.New("malformed IP header")
)

// EtherTypes.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ1 = 0x9100
)

// IP protocol numbers.
const (
	protoHopByHop = 0
	protoTCP      = 6
	protoUDP      = 17
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoDstOpts  = 60
)

// maxExtHeaders bounds the IPv6 extension header walk; real packets carry
// two or three.
const maxExtHeaders = 8

// Decode reads the frame data of the given link type.
func Decode(lt LinkType, data []byte) (Packet, error) {
	p, _, err := DecodePayload(lt, data)
	return p, err
}

// DecodePayload is Decode, and also returns a UDP datagram's data as
// captured (an SPA packet, on the SPA port; nil for TCP): a slice of
// data, valid as long as data is.
func DecodePayload(lt LinkType, data []byte) (Packet, []byte, error) {
	var ethertype uint16
	switch lt {
	case LinkEthernet:
		if len(data) < 14 {
			return Packet{}, nil, ErrShort
		}
		ethertype = binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
		// 802.1Q and 802.1ad tags, stacked at most twice.
		for i := 0; i < 2 && (ethertype == etherVLAN || ethertype == etherQinQ || ethertype == etherQinQ1); i++ {
			if len(data) < 4 {
				return Packet{}, nil, ErrShort
			}
			ethertype = binary.BigEndian.Uint16(data[2:4])
			data = data[4:]
		}
	case LinkLinuxSLL:
		if len(data) < 16 {
			return Packet{}, nil, ErrShort
		}
		ethertype = binary.BigEndian.Uint16(data[14:16])
		data = data[16:]
	case LinkLinuxSLL2:
		if len(data) < 20 {
			return Packet{}, nil, ErrShort
		}
		ethertype = binary.BigEndian.Uint16(data[0:2])
		data = data[20:]
	case LinkRaw, LinkRawBSD, LinkRawIP, LinkIPv4, LinkIPv6:
		if len(data) < 1 {
			return Packet{}, nil, ErrShort
		}
		switch data[0] >> 4 {
		case 4:
			ethertype = etherIPv4
		case 6:
			ethertype = etherIPv6
		default:
			return Packet{}, nil, ErrNotIP
		}
	default:
		return Packet{}, nil, ErrLinkType
	}
	switch ethertype {
	case etherIPv4:
		return decodeIPv4(data)
	case etherIPv6:
		return decodeIPv6(data)
	}
	return Packet{}, nil, ErrNotIP
}

func decodeIPv4(b []byte) (Packet, []byte, error) {
	if len(b) < 20 {
		return Packet{}, nil, ErrShort
	}
	if b[0]>>4 != 4 {
		return Packet{}, nil, ErrMalformed
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 {
		return Packet{}, nil, ErrMalformed
	}
	if len(b) < ihl {
		return Packet{}, nil, ErrShort
	}
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return Packet{}, nil, ErrFragment
	}
	var p Packet
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	// The capture may hold padding past the IP datagram (short Ethernet
	// frames); the transport header must lie inside the datagram.
	if total := int(binary.BigEndian.Uint16(b[2:4])); total >= ihl && total < len(b) {
		b = b[:total]
	}
	return decodeTransport(p, b[9], b[ihl:])
}

func decodeIPv6(b []byte) (Packet, []byte, error) {
	if len(b) < 40 {
		return Packet{}, nil, ErrShort
	}
	if b[0]>>4 != 6 {
		return Packet{}, nil, ErrMalformed
	}
	var p Packet
	// An IPv4-mapped source (::ffff:a.b.c.d) is that IPv4 address
	// everywhere after this: in the attempt table, in %IP%, in the choice
	// between Start_Command and Start_Command_6, and in the log.
	p.Src = netip.AddrFrom16([16]byte(b[8:24])).Unmap()
	p.Dst = netip.AddrFrom16([16]byte(b[24:40])).Unmap()
	if payload := int(binary.BigEndian.Uint16(b[4:6])); payload != 0 && 40+payload < len(b) {
		b = b[:40+payload] // drop link padding; 0 is a jumbogram
	}
	next := b[6]
	b = b[40:]
	for i := 0; ; i++ {
		switch next {
		case protoTCP, protoUDP:
			return decodeTransport(p, next, b)
		case protoHopByHop, protoRouting, protoDstOpts:
			if len(b) < 8 {
				return Packet{}, nil, ErrShort
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return Packet{}, nil, ErrShort
			}
			next, b = b[0], b[n:]
		case protoFragment:
			if len(b) < 8 {
				return Packet{}, nil, ErrShort
			}
			if binary.BigEndian.Uint16(b[2:4])&0xfff8 != 0 {
				return Packet{}, nil, ErrFragment
			}
			next, b = b[0], b[8:]
		case protoAH:
			if len(b) < 8 {
				return Packet{}, nil, ErrShort
			}
			n := (int(b[1]) + 2) * 4
			if len(b) < n {
				return Packet{}, nil, ErrShort
			}
			next, b = b[0], b[n:]
		default:
			return Packet{}, nil, ErrTransport
		}
		if i == maxExtHeaders {
			return Packet{}, nil, ErrMalformed
		}
	}
}

func decodeTransport(p Packet, proto uint8, b []byte) (Packet, []byte, error) {
	var payload []byte
	switch proto {
	case protoTCP:
		// Ports and flags: the first 14 bytes are all a knock needs.
		if len(b) < 14 {
			return Packet{}, nil, ErrShort
		}
		p.Proto = knocker.TCP
		p.Flags = b[13] & 0x3f
	case protoUDP:
		if len(b) < 8 {
			return Packet{}, nil, ErrShort
		}
		p.Proto = knocker.UDP
		// The UDP length bounds the data; a capture cut short by the snap
		// length keeps what it has.
		payload = b[8:]
		if n := int(binary.BigEndian.Uint16(b[4:6])); n >= 8 && n-8 < len(payload) {
			payload = payload[:n-8]
		}
	default:
		return Packet{}, nil, ErrTransport
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	return p, payload, nil
}
