//go:build linux

// Package netwatch tells sesamed when the interfaces it listens on change:
// one goes down or comes back, appears or disappears, or gains or loses an
// address. knockd reads the addresses once and exits when its interface
// goes away; sesamed follows. Changes come from the kernel's routing
// netlink events, with a slow poll behind them in case an event is lost.
package netwatch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Any is the pseudo-interface that captures on every interface.
const Any = "any"

// Interface is one network interface as sesamed needs it.
type Interface struct {
	Name  string
	Index int
	Up    bool
	// Addrs are its addresses, without zones, sorted.
	Addrs []netip.Addr
}

func (i Interface) equal(o Interface) bool {
	return i.Name == o.Name && i.Index == o.Index && i.Up == o.Up && slices.Equal(i.Addrs, o.Addrs)
}

// State is every interface of the network namespace, by name.
type State map[string]Interface

// Equal reports whether two states are the same.
func (s State) Equal(o State) bool {
	return maps.EqualFunc(s, o, Interface.equal)
}

// Addrs returns the addresses of the named interfaces (every interface's
// for Any), sorted and without duplicates.
func (s State) Addrs(names []string) []netip.Addr {
	var out []netip.Addr
	for _, i := range s {
		if slices.Contains(names, Any) || slices.Contains(names, i.Name) {
			out = append(out, i.Addrs...)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// Read returns the current state.
func Read() (State, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	s := State{}
	for _, ifc := range ifs {
		i := Interface{Name: ifc.Name, Index: ifc.Index, Up: ifc.Flags&net.FlagUp != 0}
		addrs, err := ifc.Addrs()
		if err != nil {
			// The interface went away between the two calls.
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				i.Addrs = append(i.Addrs, p.Addr().Unmap().WithZone(""))
			}
		}
		slices.SortFunc(i.Addrs, netip.Addr.Compare)
		s[i.Name] = i
	}
	return s, nil
}

// Poll is how often the state is read even without an event.
const Poll = 5 * time.Second

// Watch calls fn with the current state, then again each time it changes,
// until ctx ends. It returns early only if it cannot read the state.
func Watch(ctx context.Context, fn func(State)) error {
	cur, err := Read()
	if err != nil {
		return err
	}
	fn(cur)
	events := make(chan struct{}, 1)
	go listen(ctx, events)
	poll := time.NewTicker(Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-events:
		case <-poll.C:
		}
		next, err := Read()
		if err != nil {
			continue // a transient failure; the next event or poll retries
		}
		if !next.Equal(cur) {
			cur = next
			fn(cur)
		}
	}
}

// listen signals events for every link or address message from the kernel.
// It resubscribes after an error, and gives up (leaving the poll) only if
// it cannot subscribe at all.
func listen(ctx context.Context, events chan<- struct{}) {
	signal := func() {
		select {
		case events <- struct{}{}:
		default:
		}
	}
	for ctx.Err() == nil {
		fd, err := subscribe()
		if err != nil {
			return
		}
		buf := make([]byte, 64*1024)
		for ctx.Err() == nil {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					continue // the receive timeout: look at ctx again
				}
				signal() // ENOBUFS: events were lost; read the state anew
				if !errors.Is(err, unix.ENOBUFS) {
					break
				}
				continue
			}
			if n > 0 {
				signal()
			}
		}
		unix.Close(fd)
	}
}

func subscribe() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return -1, err
	}
	groups := uint32(unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	tv := unix.NsecToTimeval(int64(500 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// DefaultRouteInterfaces names the interfaces of the default routes (IPv4,
// then IPv6), read from /proc: where knocks from the internet arrive.
func DefaultRouteInterfaces() []string {
	v4, _ := os.ReadFile("/proc/net/route")
	v6, _ := os.ReadFile("/proc/net/ipv6_route")
	return defaultRoutes(string(v4), string(v6))
}

// defaultRoutes reads /proc/net/route and /proc/net/ipv6_route.
func defaultRoutes(v4, v6 string) []string {
	var out []string
	add := func(name string) {
		if name != "" && name != "lo" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	lines := strings.Split(v4, "\n")
	for _, line := range lines[min(1, len(lines)):] { // a header line first
		f := strings.Fields(line)
		// Iface Destination Gateway Flags RefCnt Use Metric Mask ...: the
		// default route has destination and mask 0.
		if len(f) > 7 && f[1] == "00000000" && f[7] == "00000000" {
			add(f[0])
		}
	}
	zero := strings.Repeat("0", 32)
	for _, line := range strings.Split(v6, "\n") {
		f := strings.Fields(line)
		// dest destlen src srclen nexthop metric refcnt use flags iface:
		// ::/0 through a gateway (the kernel lists unreachable defaults on lo).
		if len(f) == 10 && f[0] == zero && f[1] == "00" && f[4] != zero {
			add(f[9])
		}
	}
	return out
}
