//go:build linux

// Package conntrack reads the kernel's connection tracking table over
// netlink (ctnetlink), without the conntrack program: sesamed asks it which
// addresses still have an established connection through a port it opened.
package conntrack

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attribute numbers from linux/netfilter/nfnetlink_conntrack.h; x/sys/unix
// does not carry them.
const (
	ipctnlMsgCtGet = 1

	ctaTupleOrig = 1
	ctaStatus    = 3
	ctaProtoinfo = 4

	ctaTupleIP    = 1
	ctaTupleProto = 2

	ctaIPv4Src = 1
	ctaIPv4Dst = 2
	ctaIPv6Src = 3
	ctaIPv6Dst = 4

	ctaProtoNum     = 1
	ctaProtoSrcPort = 2
	ctaProtoDstPort = 3

	ctaProtoinfoTCP      = 1
	ctaProtoinfoTCPState = 1
)

// TCPEstablished is the conntrack TCP state of an established connection.
const TCPEstablished = 3

// StatusSeenReply is the status bit set once traffic was seen both ways.
const StatusSeenReply = 1 << 1

// Flow is one connection tracking entry, in its original direction: the
// direction of the packet that created it, which for a connection to a
// port sesamed opened is from the knocking client to that port (before any
// DNAT, so the port is the one the client knocked for).
type Flow struct {
	Proto            uint8 // unix.IPPROTO_TCP, unix.IPPROTO_UDP, ...
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	TCPState         uint8  // for TCP: TCPEstablished, ...
	Status           uint32 // IPS_* bits
}

// Established reports whether the flow is a live connection: TCP in the
// established state, or UDP with traffic seen in both directions (what
// `ct state established` means for UDP).
func (f Flow) Established() bool {
	switch f.Proto {
	case unix.IPPROTO_TCP:
		return f.TCPState == TCPEstablished
	case unix.IPPROTO_UDP:
		return f.Status&StatusSeenReply != 0
	}
	return false
}

// Conn is a ctnetlink socket, in the network namespace of the thread that
// dialled it. It is not for concurrent use (Reader serialises its reads).
type Conn struct {
	c *netlink.Conn
	// pending is the request of a filtered dump given up on before its
	// end; 0 when none.
	pending uint32
	buf     []byte // the filtered dumps' receive buffer, reused
}

// Dial opens the socket. It needs CAP_NET_ADMIN.
func Dial() (*Conn, error) {
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if err != nil {
		return nil, fmt.Errorf("conntrack: netlink: %w", err)
	}
	return &Conn{c: c}, nil
}

// Close closes the socket.
func (c *Conn) Close() error { return c.c.Close() }

// Flows dumps the whole table, IPv4 and IPv6. Entries exist only when the
// firewall uses connection tracking (a `ct state` / `--ctstate` rule, as
// the baseline's "allow established" is).
func (c *Conn) Flows(ctx context.Context) ([]Flow, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Time{}
	}
	if err := c.c.SetDeadline(deadline); err != nil {
		return nil, fmt.Errorf("conntrack: %w", err)
	}
	msgs, err := c.c.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_CTNETLINK<<8 | ipctnlMsgCtGet),
			Flags: netlink.Request | netlink.Dump,
		},
		// nfgenmsg: family AF_UNSPEC (every family), version, resource id.
		Data: []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("conntrack: dump: %w", err)
	}
	flows := make([]Flow, 0, len(msgs))
	for _, m := range msgs {
		f, err := parseFlow(m.Data)
		if err != nil {
			return nil, fmt.Errorf("conntrack: %w", err)
		}
		flows = append(flows, f)
	}
	return flows, nil
}

// parseFlow decodes one IPCTNL_MSG_CT_NEW message body (nfgenmsg, then
// attributes; numbers in network byte order, which nested decoders
// inherit).
func parseFlow(b []byte) (Flow, error) {
	var f Flow
	if len(b) < 4 {
		return f, errors.New("short conntrack message")
	}
	ad, err := netlink.NewAttributeDecoder(b[4:])
	if err != nil {
		return f, err
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case ctaTupleOrig:
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseTuple(nad, &f) })
		case ctaStatus:
			f.Status = ad.Uint32()
		case ctaProtoinfo:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == ctaProtoinfoTCP {
						nad.Nested(func(tad *netlink.AttributeDecoder) error {
							for tad.Next() {
								if tad.Type() == ctaProtoinfoTCPState {
									f.TCPState = tad.Uint8()
								}
							}
							return nil
						})
					}
				}
				return nil
			})
		}
	}
	return f, ad.Err()
}

func parseTuple(ad *netlink.AttributeDecoder, f *Flow) error {
	for ad.Next() {
		switch ad.Type() {
		case ctaTupleIP:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					var dst *netip.Addr
					switch nad.Type() {
					case ctaIPv4Src, ctaIPv6Src:
						dst = &f.Src
					case ctaIPv4Dst, ctaIPv6Dst:
						dst = &f.Dst
					default:
						continue
					}
					a, ok := netip.AddrFromSlice(nad.Bytes())
					if !ok {
						return fmt.Errorf("address attribute of %d bytes", len(nad.Bytes()))
					}
					*dst = a
				}
				return nil
			})
		case ctaTupleProto:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case ctaProtoNum:
						f.Proto = nad.Uint8()
					case ctaProtoSrcPort:
						f.SrcPort = nad.Uint16()
					case ctaProtoDstPort:
						f.DstPort = nad.Uint16()
					}
				}
				return nil
			})
		}
	}
	return nil
}
