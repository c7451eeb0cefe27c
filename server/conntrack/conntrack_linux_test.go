//go:build linux

package conntrack_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/conntrack"
	"sesame/server/firewall/firewalltest"
)

// find returns the flow from src to port, if the table has one.
func find(t *testing.T, c *conntrack.Conn, proto uint8, src netip.Addr, port uint16) (conntrack.Flow, bool) {
	t.Helper()
	flows, err := c.Flows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flows {
		if f.Proto == proto && f.Src == src && f.DstPort == port {
			return f, true
		}
	}
	return conntrack.Flow{}, false
}

func dial(t *testing.T, ns *testnet.NS) *conntrack.Conn {
	t.Helper()
	var c *conntrack.Conn
	if err := ns.Do(func() error {
		var err error
		c, err = conntrack.Dial()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestFlowsTCP: a real TCP connection from the client namespace shows as
// established in the server's table while it is open, and stops being
// established once it is closed.
func TestFlowsTCP(t *testing.T) {
	for _, to := range []netip.Addr{testnet.ServerAddr4, testnet.ServerAddr6} {
		t.Run(to.String(), func(t *testing.T) {
			p := testnet.NewPair(t)
			firewalltest.Guard(t, p.Server, "nftables", 2222) // a ct rule turns tracking on
			firewalltest.Listen(t, p.Server, 22)
			c := dial(t, p.Server)
			src := testnet.ClientAddr4
			if to.Is6() {
				src = testnet.ClientAddr6
			}
			if f, ok := find(t, c, unix.IPPROTO_TCP, src, 22); ok {
				t.Fatalf("a flow before any connection: %+v", f)
			}
			conn := firewalltest.Connect(t, p.Client, netip.AddrPortFrom(to, 22))
			f, ok := find(t, c, unix.IPPROTO_TCP, src, 22)
			if !ok || !f.Established() || f.Dst != to {
				t.Fatalf("open connection: flow %+v (found %v), want established from %s to %s", f, ok, src, to)
			}
			conn.Close()
			testnet.WaitFor(t, "the closed connection to leave the established state", func() bool {
				f, ok := find(t, c, unix.IPPROTO_TCP, src, 22)
				return !ok || !f.Established()
			})
		})
	}
}

// TestFlowsUDP: a UDP exchange counts as established once the server has
// answered, not before.
func TestFlowsUDP(t *testing.T) {
	p := testnet.NewPair(t)
	firewalltest.Guard(t, p.Server, "nftables", 2222)
	c := dial(t, p.Server)
	var srv *net.UDPConn
	if err := p.Server.Do(func() error {
		var err error
		srv, err = net.ListenUDP("udp", &net.UDPAddr{Port: 51820})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var cli *net.UDPConn
	if err := p.Client.Do(func() error {
		var err error
		cli, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(testnet.ServerAddr4, 51820)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if _, err := cli.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := srv.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
	f, ok := find(t, c, unix.IPPROTO_UDP, testnet.ClientAddr4, 51820)
	if !ok || f.Established() {
		t.Fatalf("unanswered datagram: flow %+v (found %v), want one not established", f, ok)
	}
	if _, err := srv.WriteToUDPAddrPort([]byte("hi"), from); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Read(buf); err != nil {
		t.Fatal(err)
	}
	f, ok = find(t, c, unix.IPPROTO_UDP, testnet.ClientAddr4, 51820)
	if !ok || !f.Established() {
		t.Fatalf("answered datagram: flow %+v (found %v), want established", f, ok)
	}
}
