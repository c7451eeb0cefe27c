//go:build linux

package conntrack

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attribute numbers of the kernel-side dump filter (Linux 5.8 and later;
// an older kernel ignores the filter and sends the whole table, which the
// reader then filters itself). The flag bits are the kernel's
// CTA_FILTER_F_* values, which the uapi headers do not carry.
const (
	ctaFilter          = 25
	ctaFilterOrigFlags = 1

	filterProtoNum     = 1 << 3
	filterProtoDstPort = 1 << 5
)

// Port is a destination the reader asks the kernel about.
type Port struct {
	Proto uint8 // unix.IPPROTO_TCP or unix.IPPROTO_UDP
	Port  uint16
}

// dumper runs one filtered dump, calling fn for each entry; received
// counts the entries the kernel sent.
type dumper interface {
	dumpPort(ctx context.Context, family, proto uint8, port uint16, fn func(Flow)) (received int, err error)
}

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// Ports are the destinations to ask about, asked at every read (the
	// grants open now); required.
	Ports func() []Port
	// Grace is how long a failed read answers with the last good one
	// instead of failing; default 5s. A failed read must not make every
	// grant look idle and close them all.
	Grace time.Duration
	// Timeout bounds one read; default 1s.
	Timeout time.Duration
	// MaxFlows bounds the answer (distinct source, protocol and port);
	// default 65536.
	MaxFlows int
	// OnError hears of every failed read; kept tells whether the last
	// good answer was used.
	OnError func(err error, kept bool)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Reader answers, for idle close, which sources have an established flow
// to the given ports: one kernel-filtered dump per port and address
// family, read through a fixed buffer and folded into one entry per
// source, so a flood of connections to other services costs nothing and
// memory stays bounded. It implements grants.Flows.
type Reader struct {
	src dumper
	opt ReaderOptions

	mu     sync.Mutex
	last   []Flow
	lastOK time.Time
}

// NewReader reads through c.
func NewReader(c *Conn, opt ReaderOptions) *Reader { return newReader(c, opt) }

func newReader(src dumper, opt ReaderOptions) *Reader {
	if opt.Grace <= 0 {
		opt.Grace = 5 * time.Second
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.MaxFlows <= 0 {
		opt.MaxFlows = 65536
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.OnError == nil {
		opt.OnError = func(error, bool) {}
	}
	return &Reader{src: src, opt: opt}
}

// Flows returns the established flows to the ports, one per source,
// protocol and port. When the table cannot be read, the last good answer
// stands for Grace; after that the error is returned.
func (r *Reader) Flows(ctx context.Context) ([]Flow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	flows, err := r.read(ctx)
	now := r.opt.Now()
	if err == nil {
		r.last, r.lastOK = flows, now
		return flows, nil
	}
	if !r.lastOK.IsZero() && now.Sub(r.lastOK) <= r.opt.Grace {
		r.opt.OnError(err, true)
		return r.last, nil
	}
	r.opt.OnError(err, false)
	return nil, err
}

type flowKey struct {
	proto uint8
	src   netip.Addr
	port  uint16
}

func (r *Reader) read(ctx context.Context) ([]Flow, error) {
	ports := r.opt.Ports()
	if len(ports) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.Timeout)
	defer cancel()
	seen := map[flowKey]bool{}
	var out []Flow
	for _, p := range ports {
		for _, fam := range []uint8{unix.AF_INET, unix.AF_INET6} {
			_, err := r.src.dumpPort(ctx, fam, p.Proto, p.Port, func(f Flow) {
				// The kernel filters too, but an older one does not.
				if f.Proto != p.Proto || f.DstPort != p.Port || !f.Established() || len(out) >= r.opt.MaxFlows {
					return
				}
				k := flowKey{f.Proto, f.Src, f.DstPort}
				if !seen[k] {
					seen[k] = true
					out = append(out, f)
				}
			})
			if err != nil {
				return nil, fmt.Errorf("conntrack: flows to %d/%s: %w", p.Port, protoName(p.Proto), err)
			}
		}
	}
	return out, nil
}

func protoName(p uint8) string {
	switch p {
	case unix.IPPROTO_TCP:
		return "tcp"
	case unix.IPPROTO_UDP:
		return "udp"
	}
	return fmt.Sprint(p)
}

// recvBuffer holds one netlink datagram of a dump; the kernel makes them
// at most 32 KiB.
const recvBuffer = 64 << 10

// dumpPort asks the kernel for the entries of one family whose original
// direction goes to proto/port, and reads them through a fixed buffer. An
// entry that does not parse is skipped, not fatal.
func (c *Conn) dumpPort(ctx context.Context, family, proto uint8, port uint16, fn func(Flow)) (int, error) {
	deadline, _ := ctx.Deadline()
	if err := c.c.SetDeadline(deadline); err != nil {
		return 0, err
	}
	raw, err := c.c.SyscallConn()
	if err != nil {
		return 0, err
	}
	if c.buf == nil {
		c.buf = make([]byte, recvBuffer)
	}
	buf := c.buf
	// The kernel runs one dump per socket and refuses the next (EBUSY)
	// until the last is read to its end: finish one given up on earlier.
	if c.pending != 0 {
		if err := c.receive(ctx, raw, buf, c.pending, func([]byte) {}); err != nil {
			return 0, err
		}
	}
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Nested(ctaTupleOrig, func(tae *netlink.AttributeEncoder) error {
		tae.Nested(ctaTupleProto, func(pae *netlink.AttributeEncoder) error {
			pae.Uint8(ctaProtoNum, proto)
			pae.Uint16(ctaProtoDstPort, port)
			return nil
		})
		return nil
	})
	ae.Nested(ctaFilter, func(fae *netlink.AttributeEncoder) error {
		fae.ByteOrder = binary.NativeEndian // a plain u32 to the kernel
		fae.Uint32(ctaFilterOrigFlags, filterProtoNum|filterProtoDstPort)
		return nil
	})
	attrs, err := ae.Encode()
	if err != nil {
		return 0, err
	}
	req, err := c.c.Send(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_CTNETLINK<<8 | ipctnlMsgCtGet),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: append([]byte{family, unix.NFNETLINK_V0, 0, 0}, attrs...),
	})
	if err != nil {
		return 0, c.ctxErr(ctx, err)
	}
	c.pending = req.Header.Sequence
	received := 0
	err = c.receive(ctx, raw, buf, req.Header.Sequence, func(data []byte) {
		received++
		if f, err := parseFlow(data); err == nil {
			fn(f)
		}
	})
	return received, err
}

// receive reads the replies to request seq until its end, handing each
// entry to fn; replies to other requests are dropped.
func (c *Conn) receive(ctx context.Context, raw syscall.RawConn, buf []byte, seq uint32, fn func([]byte)) error {
	for {
		var n int
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			n, _, rerr = unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			return rerr != unix.EAGAIN && rerr != unix.EWOULDBLOCK
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			return c.ctxErr(ctx, err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("dump: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				c.pending = 0
				return nil
			case unix.NLMSG_ERROR:
				c.pending = 0
				if len(m.Data) >= 4 {
					if code := int32(binary.NativeEndian.Uint32(m.Data)); code != 0 {
						return fmt.Errorf("dump: %w", syscall.Errno(-code))
					}
				}
				return nil
			}
			fn(m.Data)
		}
	}
}

func (c *Conn) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("dump: %w", err)
}
