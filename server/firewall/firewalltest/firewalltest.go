//go:build linux

// Package firewalltest runs a real firewall backend inside a test's network
// namespace, for the tests of the packages built on package firewall.
package firewalltest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/server/firewall"
)

// InNS wraps b so that every call runs on a thread inside ns: the netlink
// sockets and iptables processes each call opens then act on the
// namespace's firewall, whichever goroutine (a timer's, say) makes the call.
func InNS(ns *testnet.NS, b firewall.Backend) firewall.Backend {
	return &nsBackend{ns: ns, b: b}
}

type nsBackend struct {
	ns *testnet.NS
	b  firewall.Backend
}

func (n *nsBackend) Name() string { return n.b.Name() }

func (n *nsBackend) Init(ctx context.Context) error {
	return n.ns.Do(func() error { return n.b.Init(ctx) })
}

func (n *nsBackend) Establish(ctx context.Context) error {
	return n.ns.Do(func() error { return n.b.Establish(ctx) })
}

func (n *nsBackend) Check(ctx context.Context) error {
	return n.ns.Do(func() error { return n.b.Check(ctx) })
}

func (n *nsBackend) Open(ctx context.Context, r firewall.Rule, ttl time.Duration) error {
	return n.ns.Do(func() error { return n.b.Open(ctx, r, ttl) })
}

func (n *nsBackend) Close(ctx context.Context, r firewall.Rule) error {
	return n.ns.Do(func() error { return n.b.Close(ctx, r) })
}

func (n *nsBackend) Rules(ctx context.Context) ([]firewall.Rule, error) {
	var rules []firewall.Rule
	err := n.ns.Do(func() error {
		var err error
		rules, err = n.b.Rules(ctx)
		return err
	})
	return rules, err
}

func (n *nsBackend) Stale(ctx context.Context) ([]firewall.Rule, error) {
	var rules []firewall.Rule
	err := n.ns.Do(func() error {
		var err error
		rules, err = n.b.Stale(ctx)
		return err
	})
	return rules, err
}

func (n *nsBackend) Flush(ctx context.Context) error {
	return n.ns.Do(func() error { return n.b.Flush(ctx) })
}

func (n *nsBackend) Unguard(ctx context.Context) error {
	return n.ns.Do(func() error { return n.b.Unguard(ctx) })
}

// Kinds are the backends every test runs against, by name: iptables
// through the system's iptables (iptables-nft on Debian), iptables-legacy,
// and nftables in sesamed's own table.
var Kinds = []string{"iptables", "iptables-legacy", "nftables"}

// New returns the backend of a kind from Kinds, running inside ns, not yet
// initialised. It skips the test when the kind's programs are missing.
func New(t testing.TB, ns *testnet.NS, kind string) firewall.Backend {
	t.Helper()
	var (
		b   firewall.Backend
		err error
	)
	switch kind {
	case "iptables":
		testnet.RequireTools(t, "iptables", "ip6tables")
		b, err = firewall.NewIPTables(firewall.IPTablesOptions{})
	case "iptables-legacy":
		testnet.RequireTools(t, "iptables-legacy", "ip6tables-legacy")
		b, err = firewall.NewIPTables(firewall.IPTablesOptions{Variant: firewall.VariantLegacy})
	case "nftables":
		b = firewall.NewNFTables(firewall.NFTablesOptions{})
	default:
		t.Fatalf("unknown backend kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return InNS(ns, b)
}

// Guard drops new TCP connections to port in ns, for IPv4 and IPv6, and
// allows established ones, in the place where the backend of kind must put
// its accepts to beat the drop: iptables' INPUT for the iptables kinds,
// sesamed's own nftables chain (as `sesamed install` does) for nftables.
func Guard(t testing.TB, ns *testnet.NS, kind string, port int) {
	t.Helper()
	p := strconv.Itoa(port)
	switch kind {
	case "iptables", "iptables-legacy":
		suffix := ""
		if kind == "iptables-legacy" {
			suffix = "-legacy"
		}
		for _, ipt := range []string{"iptables" + suffix, "ip6tables" + suffix} {
			ns.Run(t, ipt, "-w", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
			ns.Run(t, ipt, "-w", "-A", "INPUT", "-p", "tcp", "--dport", p, "-j", "DROP")
		}
	case "nftables":
		testnet.RequireTools(t, "nft")
		ns.Run(t, "nft", "add table inet sesamed; "+
			"add chain inet sesamed input { type filter hook input priority filter; policy accept; }; "+
			"add rule inet sesamed input ct state established,related accept; "+
			"add rule inet sesamed input tcp dport "+p+" drop")
	default:
		t.Fatalf("unknown backend kind %q", kind)
	}
}

// Listen accepts TCP connections on port, IPv4 and IPv6, inside ns, and
// keeps them open until the test ends.
func Listen(t testing.TB, ns *testnet.NS, port int) {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(port))
		return err
	}); err != nil {
		t.Fatalf("listen on port %d in %s: %v", port, ns.Name, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
}

// dropWait is how long a connection attempt waits for the answer to its
// first SYN before it counts as dropped. On a veth pair the answer comes in
// well under a millisecond.
const dropWait = 300 * time.Millisecond

// Connect opens a TCP connection from ns to addr and fails the test if it
// cannot. The caller closes it.
func Connect(t testing.TB, ns *testnet.NS, addr netip.AddrPort) net.Conn {
	t.Helper()
	return ConnectFrom(t, ns, netip.Addr{}, addr)
}

// ConnectFrom is Connect from the local address from (zero: any).
func ConnectFrom(t testing.TB, ns *testnet.NS, from netip.Addr, addr netip.AddrPort) net.Conn {
	t.Helper()
	c, err := dial(ns, from, addr, testnet.Await)
	if err != nil {
		t.Fatalf("connect from %s %s to %s: %v (want it accepted)", ns.Name, from, addr, err)
	}
	return c
}

// Dropped reports whether a connection from ns to addr goes unanswered,
// as it does when the firewall drops its SYN. A refused connection fails
// the test: it means nothing listens, which proves nothing about the
// firewall.
func Dropped(t testing.TB, ns *testnet.NS, addr netip.AddrPort) bool {
	t.Helper()
	return DroppedFrom(t, ns, netip.Addr{}, addr)
}

// DroppedFrom is Dropped from the local address from (zero: any).
func DroppedFrom(t testing.TB, ns *testnet.NS, from netip.Addr, addr netip.AddrPort) bool {
	t.Helper()
	c, err := dial(ns, from, addr, dropWait)
	if err == nil {
		c.Close()
		return false
	}
	if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("connect from %s %s to %s: %v (want accepted or dropped)", ns.Name, from, addr, err)
	}
	return true
}

func dial(ns *testnet.NS, from netip.Addr, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if from.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(from, 0))
	}
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = d.Dial("tcp", addr.String())
		return err
	})
	return c, err
}
