//go:build linux && cgo

package capture

/*
#cgo LDFLAGS: -lpcap
#include <stdlib.h>
#include <pcap/pcap.h>

// next reads one packet; its data stays valid until the next call.
static int next(pcap_t *p, const u_char **data, int *caplen) {
	struct pcap_pkthdr *hdr;
	int rc = pcap_next_ex(p, &hdr, data);
	if (rc == 1) {
		*caplen = hdr->caplen;
	}
	return rc;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"sesame/server/packet"
)

// sesamed talks to libpcap directly, not through gopacket's pcap package:
// that one pulls in gopacket's layers, whose tables take 5 MB of memory
// at start for nothing sesamed uses.

// snapLen holds an SPA packet whole (fwknop's are at most 1500 bytes of
// UDP data) behind its headers; a knock needs only the headers, and the
// filter passes nothing else.
const snapLen = 1600

// readTimeout is how long a read waits before the reader looks for a new
// filter; packets themselves are delivered at once (immediate mode).
const readTimeout = 50 * time.Millisecond

// Available reports whether this build can capture.
const Available = true

// Handle is an open capture on one interface.
type Handle struct {
	iface  string
	lt     packet.LinkType
	filter atomic.Pointer[filterReq] // the next filter, set by SetFilter
	closed atomic.Bool

	// mu guards p: the reader holds it during each read (at most
	// readTimeout), so that Close never frees the handle under it.
	mu sync.Mutex
	p  *C.pcap_t // nil once closed
	fd int32     // p's descriptor, polled for packets
}

// pcapError is libpcap's message for the last error on p.
func pcapError(p *C.pcap_t) error { return errors.New(C.GoString(C.pcap_geterr(p))) }

// Open starts capturing on iface ("any" for every interface) through
// filter, in immediate mode and not promiscuous (knocks are addressed to
// this host).
func Open(iface, filter string) (*Handle, error) {
	var errbuf [C.PCAP_ERRBUF_SIZE]C.char
	name := C.CString(iface)
	defer C.free(unsafe.Pointer(name))
	p := C.pcap_create(name, &errbuf[0])
	if p == nil {
		return nil, fmt.Errorf("capture on %s: %s", iface, C.GoString(&errbuf[0]))
	}
	for _, rc := range []C.int{
		C.pcap_set_snaplen(p, snapLen),
		C.pcap_set_promisc(p, 0),
		C.pcap_set_immediate_mode(p, 1),
		C.pcap_set_timeout(p, C.int(readTimeout/time.Millisecond)),
	} {
		if rc != 0 {
			C.pcap_close(p)
			return nil, fmt.Errorf("capture on %s: cannot set the capture's options (%d)", iface, int(rc))
		}
	}
	if rc := C.pcap_activate(p); rc < 0 {
		err := fmt.Errorf("capture on %s: %s", iface, C.GoString(C.pcap_statustostr(rc)))
		if rc == C.PCAP_ERROR || rc == C.PCAP_ERROR_NO_SUCH_DEVICE || rc == C.PCAP_ERROR_PERM_DENIED {
			if msg := C.GoString(C.pcap_geterr(p)); msg != "" {
				err = fmt.Errorf("capture on %s: %s", iface, msg)
			}
		}
		C.pcap_close(p)
		return nil, err
	}
	// Non-blocking, with the wait in read's poll: in immediate mode
	// libpcap would wait for a packet without the read timeout.
	if C.pcap_setnonblock(p, 1, &errbuf[0]) != 0 {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: %s", iface, C.GoString(&errbuf[0]))
	}
	fd := C.pcap_get_selectable_fd(p)
	if fd < 0 {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: libpcap has no descriptor to wait on", iface)
	}
	c := &Handle{iface: iface, p: p, fd: int32(fd), lt: packet.LinkType(C.pcap_datalink(p))}
	if !c.lt.Supported() {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: unsupported link-layer type %d (%s)", iface, int(c.lt), C.GoString(C.pcap_datalink_val_to_name(C.int(c.lt))))
	}
	if err := setFilter(p, filter); err != nil {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: filter %q: %w", iface, filter, err)
	}
	return c, nil
}

// setFilter compiles expr and puts it on p.
func setFilter(p *C.pcap_t, expr string) error {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	var prog C.struct_bpf_program
	if C.pcap_compile(p, &prog, cexpr, 1, C.PCAP_NETMASK_UNKNOWN) != 0 {
		return pcapError(p)
	}
	defer C.pcap_freecode(&prog)
	if C.pcap_setfilter(p, &prog) != 0 {
		return pcapError(p)
	}
	return nil
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		return 0, 0, fmt.Errorf("capture on %s closed", c.iface)
	}
	var st C.struct_pcap_stat
	if C.pcap_stats(c.p, &st) != 0 {
		return 0, 0, pcapError(c.p)
	}
	return int(st.ps_recv), int(st.ps_drop), nil
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
		err := c.read(fn)
		if err == nil {
			continue
		}
		if c.closed.Load() {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("capture on %s closed", c.iface)
		}
		return err
	}
}

// errClosed reports a read on a closed handle.
var errClosed = errors.New("closed")

// read applies a new filter if one is waiting, then reads one packet (or
// times out) and hands it to fn, holding c.mu.
func (c *Handle) read(fn func(data []byte)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		return errClosed
	}
	if r := c.filter.Swap(nil); r != nil {
		err := setFilter(c.p, r.expr)
		close(r.done)
		if err != nil {
			return fmt.Errorf("capture on %s: filter %q: %w", c.iface, r.expr, err)
		}
	}
	var (
		data   *C.u_char
		caplen C.int
	)
	rc := C.next(c.p, &data, &caplen)
	if rc == 0 {
		// Nothing yet: wait for a packet, at most readTimeout, then
		// return to look for a new filter or a Close.
		fds := []unix.PollFd{{Fd: c.fd, Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(readTimeout/time.Millisecond)); err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("capture on %s: %w", c.iface, err)
		}
		rc = C.next(c.p, &data, &caplen)
	}
	switch rc {
	case 1:
		fn(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(caplen)))
	case 0: // timed out
	case C.PCAP_ERROR_BREAK:
		return fmt.Errorf("capture on %s closed", c.iface)
	default:
		return fmt.Errorf("capture on %s: %w", c.iface, pcapError(c.p))
	}
	return nil
}

// Close ends the capture; a Run in progress returns within readTimeout.
func (c *Handle) Close() {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil {
		C.pcap_close(c.p)
		c.p = nil
	}
}
