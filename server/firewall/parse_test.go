//go:build linux

package firewall

import (
	"net/netip"
	"testing"

	"sesame/knocker"
)

func TestElementKey(t *testing.T) {
	for _, tc := range []struct {
		r    Rule
		want []byte
	}{
		{Rule{Src: netip.MustParseAddr("192.0.2.2"), Proto: knocker.TCP, Port: 22},
			[]byte{192, 0, 2, 2, 6, 0, 0, 0, 0, 22, 0, 0}},
		{Rule{Src: netip.MustParseAddr("2001:db8::2"), Proto: knocker.UDP, Port: 0x1234},
			[]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 17, 0, 0, 0, 0x12, 0x34, 0, 0}},
	} {
		got := elementKey(tc.r)
		if string(got) != string(tc.want) {
			t.Errorf("elementKey(%v) = %x, want %x", tc.r, got, tc.want)
		}
		back, ok := ruleFromKey(got)
		if !ok || back != tc.r {
			t.Errorf("ruleFromKey(%x) = %v, %v; want %v", got, back, ok, tc.r)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 11), {192, 0, 2, 2, 1, 0, 0, 0, 0, 22, 0, 0}, {192, 0, 2, 2, 6, 0, 0, 0, 0, 0, 0, 0}} {
		if r, ok := ruleFromKey(bad); ok {
			t.Errorf("ruleFromKey(%x) = %v, want no rule", bad, r)
		}
	}
}

func FuzzRuleFromKey(f *testing.F) {
	f.Add([]byte{192, 0, 2, 2, 6, 0, 0, 0, 0, 22, 0, 0})
	f.Fuzz(func(t *testing.T, k []byte) {
		r, ok := ruleFromKey(k)
		if !ok {
			return
		}
		if back := elementKey(r); len(back) != len(k) || ruleFromKeyMust(t, back) != r {
			t.Fatalf("%x → %v → %x", k, r, back)
		}
	})
}

func ruleFromKeyMust(t *testing.T, k []byte) Rule {
	r, ok := ruleFromKey(k)
	if !ok {
		t.Fatalf("ruleFromKey(%x) failed", k)
	}
	return r
}

func TestCountInput(t *testing.T) {
	for _, tc := range []struct {
		save string
		want int
	}{
		{"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", 0},
		{"*filter\n:INPUT DROP [0:0]\nCOMMIT\n", 1},
		{"*filter\n:INPUT ACCEPT [3:120]\n-A INPUT -p tcp -m tcp --dport 22 -j DROP\n-A FORWARD -j DROP\n-A INPUTX -j DROP\nCOMMIT\n", 1},
	} {
		if got := countInput([]byte(tc.save)); got != tc.want {
			t.Errorf("countInput(%q) = %d, want %d", tc.save, got, tc.want)
		}
	}
}

func TestRuleValidate(t *testing.T) {
	for _, tc := range []struct {
		r  Rule
		ok bool
	}{
		{Rule{Src: netip.MustParseAddr("192.0.2.2"), Proto: knocker.TCP, Port: 22}, true},
		{Rule{Proto: knocker.TCP, Port: 22}, false},
		{Rule{Src: netip.MustParseAddr("fe80::1%eth0"), Proto: knocker.TCP, Port: 22}, false},
		{Rule{Src: netip.MustParseAddr("192.0.2.2"), Port: 22}, false},
		{Rule{Src: netip.MustParseAddr("192.0.2.2"), Proto: knocker.UDP}, false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%v.Validate() = %v, want ok=%v", tc.r, err, tc.ok)
		}
	}
}
