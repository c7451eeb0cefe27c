//go:build linux

package testnet

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Link is a veth pair between a namespace and one behind it, as a jump
// host and a host only it reaches: Near is the front side's address on the
// link, Far the one behind. Each side has only a /32 route to the other, so
// the client of the Pair has no way to Far, and nothing is forwarded.
type Link struct {
	Near, Far     netip.Addr
	NearIf, FarIf string
}

// Behind creates a namespace behind front, joined to it by link number i
// (0, 1, ...: several may hang off one front, or form a chain). Link i
// uses 192.0.2.(65+2i) on the front and 192.0.2.(66+2i) behind it, so it
// never meets the Pair's 192.0.2.1 and .2. The namespace is removed when
// the test ends.
func Behind(t testing.TB, front *NS, i int) (*NS, Link) {
	t.Helper()
	RequireRoot(t)
	if i < 0 || i > 60 {
		t.Fatalf("testnet.Behind: link %d: use 0 to 60", i)
	}
	ns := &NS{Name: fmt.Sprintf("%s%d-%d-b%d", namePrefix, os.Getpid(), nameSeq.Add(1), i)}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	name := ns.Name
	t.Cleanup(func() { removeNS(name) })
	l := Link{
		Near:   netip.AddrFrom4([4]byte{192, 0, 2, byte(65 + 2*i)}),
		Far:    netip.AddrFrom4([4]byte{192, 0, 2, byte(66 + 2*i)}),
		NearIf: fmt.Sprintf("veth-n%d", i),
		FarIf:  fmt.Sprintf("veth-f%d", i),
	}
	nearMAC, farMAC := fmt.Sprintf("02:53:45:53:%02x:01", 0x10+i), fmt.Sprintf("02:53:45:53:%02x:02", 0x10+i)
	ex := func(ns *NS, args ...string) []string {
		return append([]string{"ip", "netns", "exec", ns.Name}, args...)
	}
	steps := [][]string{
		{"ip", "link", "add", l.NearIf, "netns", front.Name, "address", nearMAC, "type", "veth",
			"peer", "name", l.FarIf, "netns", ns.Name, "address", farMAC},
		ex(ns, "ip", "link", "set", "lo", "up"),
	}
	for _, side := range []struct {
		ns         *NS
		ifname     string
		self, peer netip.Addr
		peerLLAddr string
	}{
		{front, l.NearIf, l.Near, l.Far, farMAC},
		{ns, l.FarIf, l.Far, l.Near, nearMAC},
	} {
		steps = append(steps,
			ex(side.ns, "ip", "addr", "add", side.self.String()+"/32", "dev", side.ifname),
			ex(side.ns, "ip", "link", "set", side.ifname, "up"),
			ex(side.ns, "ip", "route", "add", side.peer.String()+"/32", "dev", side.ifname, "src", side.self.String()),
			ex(side.ns, "ip", "neigh", "replace", side.peer.String(), "lladdr", side.peerLLAddr, "dev", side.ifname, "nud", "permanent"),
		)
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return ns, l
}
