//go:build linux && cgo

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/pcap"

	"sesame/server/packet"
)

// snapLen holds the headers of a knock with room for IPv6 extension
// headers; the payload is never needed.
const snapLen = 512

// readTimeout is how long a read waits before the reader looks for a new
// filter; packets themselves are delivered at once (immediate mode).
const readTimeout = 50 * time.Millisecond

// Available reports whether this build can capture.
const Available = true

// Handle is an open capture on one interface.
type Handle struct {
	iface  string
	h      *pcap.Handle
	lt     packet.LinkType
	filter atomic.Pointer[filterReq] // the next filter, set by SetFilter
	closed atomic.Bool
}

// Open starts capturing on iface ("any" for every interface) through
// filter, in immediate mode and not promiscuous (knocks are addressed to
// this host).
func Open(iface, filter string) (*Handle, error) {
	in, err := pcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	defer in.CleanUp()
	for _, set := range []error{
		in.SetSnapLen(snapLen),
		in.SetPromisc(false),
		in.SetImmediateMode(true),
		in.SetTimeout(readTimeout),
	} {
		if set != nil {
			return nil, fmt.Errorf("capture on %s: %w", iface, set)
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	c := &Handle{iface: iface, h: h, lt: packet.LinkType(h.LinkType())}
	if !c.lt.Supported() {
		h.Close()
		return nil, fmt.Errorf("capture on %s: unsupported link-layer type %d (%s)", iface, int(c.lt), pcap.DatalinkValToName(int(c.lt)))
	}
	if err := h.SetBPFFilter(filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: filter %q: %w", iface, filter, err)
	}
	return c, nil
}

// LinkType is the interface's link type, for packet.Decode.
func (c *Handle) LinkType() packet.LinkType { return c.lt }

type filterReq struct {
	expr string
	done chan struct{}
}

// SetFilter replaces the filter. The reader applies it before its next
// read, at most readTimeout from now (libpcap handles are not safe for
// concurrent use, so only the reader touches the handle), and closes the
// returned channel once it filters with it — or with a later one, or has
// stopped.
func (c *Handle) SetFilter(filter string) <-chan struct{} {
	r := &filterReq{expr: filter, done: make(chan struct{})}
	if old := c.filter.Swap(r); old != nil {
		close(old.done)
	}
	if c.closed.Load() {
		if r := c.filter.Swap(nil); r != nil {
			close(r.done)
		}
	}
	return r.done
}

// Stats returns libpcap's counters: packets received and dropped by the
// kernel (the capture fell behind).
func (c *Handle) Stats() (received, dropped int, err error) {
	s, err := c.h.Stats()
	if err != nil {
		return 0, 0, err
	}
	return s.PacketsReceived, s.PacketsDropped, nil
}

// Run reads packets and hands each to fn until ctx ends (nil) or the
// capture fails (the interface went down or away). The data passed to fn
// is only valid during the call.
func (c *Handle) Run(ctx context.Context, fn func(data []byte)) error {
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	defer func() {
		if r := c.filter.Swap(nil); r != nil {
			close(r.done)
		}
	}()
	for {
		if r := c.filter.Swap(nil); r != nil {
			err := c.h.SetBPFFilter(r.expr)
			close(r.done)
			if err != nil {
				return fmt.Errorf("capture on %s: filter %q: %w", c.iface, r.expr, err)
			}
		}
		data, _, err := c.h.ZeroCopyReadPacketData()
		switch {
		case err == nil:
			fn(data)
		case errors.Is(err, pcap.NextErrorTimeoutExpired):
		case errors.Is(err, io.EOF) || c.closed.Load():
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("capture on %s closed", c.iface)
		case errors.Is(err, pcap.NextErrorReadError):
			return fmt.Errorf("capture on %s: %w", c.iface, c.h.Error())
		default:
			return fmt.Errorf("capture on %s: %w", c.iface, err)
		}
	}
}

// Close ends the capture; a Run in progress returns.
func (c *Handle) Close() {
	if c.closed.CompareAndSwap(false, true) {
		c.h.Close()
	}
}
