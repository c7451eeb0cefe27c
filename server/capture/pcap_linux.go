//go:build linux && cgo

package capture

/*
#cgo LDFLAGS: -lpcap
#include <stdlib.h>
#include <pcap/pcap.h>

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <linux/filter.h>

// attach compiles expr and puts it on p's socket with one setsockopt, which
// the kernel applies atomically. pcap_setfilter would first put a reject-all
// filter on the socket and drain it, so a knock arriving meanwhile would be
// lost; the packets already queued under the old filter that it drains are
// harmless to sesamed (the matcher tests every packet again).
// It returns 0, -1 with pcap_geterr set (compile error), -2 when the program
// cannot run in the kernel (the caller falls back to pcap_setfilter), or
// -3 with errno set.
static int attach(pcap_t *p, const char *expr) {
	struct bpf_program prog;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		return -1;
	}
	if (prog.bf_len > USHRT_MAX) {
		pcap_freecode(&prog);
		return -2;
	}
	// A cooked capture ("any") hands the kernel filter the packet from its
	// network header on: move the offsets libpcap compiled against its
	// synthetic header, as libpcap's own fix_program does.
	int dlt = pcap_datalink(p);
	int hdr = dlt == DLT_LINUX_SLL ? 16 : dlt == DLT_LINUX_SLL2 ? 20 : 0;
	for (u_int i = 0; hdr && i < prog.bf_len; i++) {
		struct bpf_insn *in = &prog.bf_insns[i];
		int cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);
		if ((cls != BPF_LD && cls != BPF_LDX) || (mode != BPF_ABS && mode != BPF_IND && mode != BPF_MSH)) {
			continue;
		}
		if (in->k >= (bpf_u_int32)SKF_AD_OFF) {
			continue;
		}
		if (in->k >= (bpf_u_int32)hdr) {
			in->k -= hdr;
		} else if (dlt == DLT_LINUX_SLL && in->k == 0) {
			in->k = SKF_AD_OFF + SKF_AD_PKTTYPE;
		} else if (dlt == DLT_LINUX_SLL && in->k == 14) {
			in->k = SKF_AD_OFF + SKF_AD_PROTOCOL;
		} else if (dlt == DLT_LINUX_SLL2 && in->k == 0) {
			in->k = SKF_AD_OFF + SKF_AD_PROTOCOL;
		} else if (dlt == DLT_LINUX_SLL2 && in->k == 4) {
			in->k = SKF_AD_OFF + SKF_AD_IFINDEX;
		} else if (dlt == DLT_LINUX_SLL2 && in->k == 10) {
			in->k = SKF_AD_OFF + SKF_AD_PKTTYPE;
		} else if ((bpf_int32)in->k > 0) {
			pcap_freecode(&prog);
			return -2;
		}
	}
	struct sock_fprog fp = { .len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns };
	int rc = setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
	int err = errno;
	pcap_freecode(&prog);
	if (rc != 0) {
		errno = err;
		return -3;
	}
	return 0;
}

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
	// stopped: Run has returned, so no reader will take a new filter.
	stopped atomic.Bool

	// mu guards p: the reader holds it during each read (at most
	// readTimeout), so that Close never frees the handle under it.
	mu sync.Mutex
	p  *C.pcap_t // nil once closed
	fd int32     // p's descriptor, polled for packets
	// userland: the filter on p went through pcap_setfilter, because the
	// kernel would not take it directly; libpcap holds a copy it may run
	// in userland, which must pass everything before attach is used again.
	userland bool
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
	// libpcap keeps a copy of the filter it was last given and applies it
	// in userland to the ring blocks filled before that call; later
	// filters go straight to the kernel (setFilter), so that copy must
	// pass everything, or it would drop packets the newer filter wants.
	if err := pcapSetFilter(p, ""); err != nil {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if err := c.setFilter(filter); err != nil {
		C.pcap_close(p)
		return nil, fmt.Errorf("capture on %s: filter %q: %w", iface, filter, err)
	}
	return c, nil
}

// setFilter compiles expr and replaces the kernel filter with it in one
// step, so that no packet is lost while the filter changes (see attach).
// The caller holds c.mu or is Open.
func (c *Handle) setFilter(expr string) error {
	if c.userland {
		// The last filter could not run in the kernel and libpcap holds
		// it: give libpcap back one that passes everything first.
		if err := pcapSetFilter(c.p, ""); err != nil {
			return err
		}
		c.userland = false
	}
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	rc, errno := C.attach(c.p, cexpr)
	switch rc {
	case 0:
		return nil
	case -1:
		return pcapError(c.p)
	case -2:
		// Not a kernel filter: libpcap filters in userland.
		c.userland = true
		return pcapSetFilter(c.p, expr)
	}
	// The kernel refused it: a program over its 4096 instructions, or
	// the old and new filters together over net.core.optmem_max (the
	// kernel charges the new one before it frees the old). libpcap takes
	// the old one off first, then puts the new one in the kernel, or
	// filters in userland, as it always did.
	c.userland = true
	if err := pcapSetFilter(c.p, expr); err != nil {
		return fmt.Errorf("attach the filter to the socket: %w; through libpcap: %w", errno, err)
	}
	return nil
}

// pcapSetFilter compiles expr and gives it to libpcap.
func pcapSetFilter(p *C.pcap_t, expr string) error {
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
	if c.closed.Load() || c.stopped.Load() {
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
		c.stopped.Store(true)
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
		err := c.setFilter(r.expr)
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
