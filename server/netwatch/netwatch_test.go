//go:build linux

package netwatch

import (
	"net/netip"
	"slices"
	"testing"
)

func TestDefaultRoutes(t *testing.T) {
	v4 := `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	100	00FFFFFF	0	0	0
wg0	0000000A	00000000	0001	0	0	0	000000FF	0	0	0
`
	v6 := `00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 ens3
20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo
`
	if got, want := defaultRoutes(v4, v6), []string{"eth0", "ens3"}; !slices.Equal(got, want) {
		t.Fatalf("defaultRoutes = %v, want %v", got, want)
	}
	if got := defaultRoutes("", ""); len(got) != 0 {
		t.Fatalf("no routes: %v", got)
	}
}

func TestStateAddrsAndEqual(t *testing.T) {
	a := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	s := State{
		"eth0": {Name: "eth0", Index: 2, Up: true, Addrs: []netip.Addr{a("192.0.2.1"), a("2001:db8::1")}},
		"wg0":  {Name: "wg0", Index: 3, Up: true, Addrs: []netip.Addr{a("198.51.100.1")}},
		"lo":   {Name: "lo", Index: 1, Up: true, Addrs: []netip.Addr{a("127.0.0.1")}},
	}
	if got := s.Addrs([]string{"eth0", "wg0"}); !slices.Equal(got, []netip.Addr{a("192.0.2.1"), a("198.51.100.1"), a("2001:db8::1")}) {
		t.Errorf("Addrs(eth0,wg0) = %v", got)
	}
	if got := s.Addrs([]string{Any}); len(got) != 4 {
		t.Errorf("Addrs(any) = %v, want all four", got)
	}
	if got := s.Addrs([]string{"nosuch"}); len(got) != 0 {
		t.Errorf("Addrs(nosuch) = %v", got)
	}
	other := State{}
	for k, v := range s {
		other[k] = v
	}
	if !s.Equal(other) {
		t.Error("a copy is not Equal")
	}
	other["eth0"] = Interface{Name: "eth0", Index: 2, Up: false, Addrs: s["eth0"].Addrs}
	if s.Equal(other) {
		t.Error("an interface that went down is Equal")
	}
}

func TestReadSeesLoopback(t *testing.T) {
	s, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	lo, ok := s["lo"]
	if !ok || !slices.Contains(lo.Addrs, netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("Read: lo = %+v", lo)
	}
}
