//go:build linux

package firewall_test

import (
	"context"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/server/firewall"
	"sesame/server/firewall/firewalltest"
)

// ruleset prints the firewall a backend of kind works on, without
// counters, so that two prints compare equal when the rules are the same.
func ruleset(t *testing.T, ns *testnet.NS, kind string) string {
	t.Helper()
	var out string
	switch kind {
	case "iptables", "iptables-legacy":
		suffix := strings.TrimPrefix(kind, "iptables")
		// The open rules live in ipsets, beside the chains.
		out = ns.Run(t, "iptables"+suffix+"-save") + ns.Run(t, "ip6tables"+suffix+"-save") + ns.Run(t, "ipset", "save")
	default:
		out = ns.Run(t, "nft", "list", "ruleset")
	}
	return stripCounters(out)
}

var (
	saveComment = regexp.MustCompile(`(?m)^#.*\n`)
	saveCounter = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounter  = regexp.MustCompile(`counter packets \d+ bytes \d+`)
)

func stripCounters(s string) string {
	s = saveComment.ReplaceAllString(s, "")
	s = saveCounter.ReplaceAllString(s, "[0:0]")
	return nftCounter.ReplaceAllString(s, "counter")
}

// addOthers puts rules that belong to somebody else next to where the
// backend works, some with names close to sesamed's, and returns text that
// must stay in the ruleset.
func addOthers(t *testing.T, ns *testnet.NS, kind string) []string {
	t.Helper()
	switch kind {
	case "iptables", "iptables-legacy":
		suffix := strings.TrimPrefix(kind, "iptables")
		ns.Run(t, "iptables"+suffix, "-w", "-N", "SESAMED-OLD")
		ns.Run(t, "iptables"+suffix, "-w", "-A", "SESAMED-OLD", "-s", "198.51.100.7", "-j", "ACCEPT")
		ns.Run(t, "iptables"+suffix, "-w", "-I", "INPUT", "1", "-p", "udp", "--dport", "53",
			"-m", "comment", "--comment", "sesamed-not", "-j", "ACCEPT")
		ns.Run(t, "ip6tables"+suffix, "-w", "-I", "INPUT", "1", "-s", "2001:db8::7", "-j", "ACCEPT")
		return []string{
			"-A SESAMED-OLD -s 198.51.100.7/32 -j ACCEPT",
			`-A INPUT -p udp -m udp --dport 53 -m comment --comment sesamed-not -j ACCEPT`,
			"-A INPUT -s 2001:db8::7/128 -j ACCEPT",
		}
	default:
		ns.Run(t, "nft", "add table inet other; "+
			"add set inet other sesamed_allow { type ipv4_addr; elements = { 198.51.100.7 }; }; "+
			"add chain inet other input { type filter hook input priority filter; policy accept; }; "+
			`add rule inet other input ip saddr @sesamed_allow udp dport 53 accept comment "sesamed-not"`)
		// And a rule of the admin's inside sesamed's own chain, as
		// `sesamed install` puts its baseline there.
		ns.Run(t, "nft", "add rule inet sesamed input udp dport 53 accept")
		return []string{
			"elements = { 198.51.100.7 }",
			`ip saddr @sesamed_allow udp dport 53 accept comment "sesamed-not"`,
			"udp dport 53 accept",
		}
	}
}

func sorted(rules []firewall.Rule) []string {
	var s []string
	for _, r := range rules {
		s = append(s, r.String())
	}
	slices.Sort(s)
	return s
}

func wantRules(t *testing.T, b firewall.Backend, want ...firewall.Rule) {
	t.Helper()
	got, err := b.Rules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
		t.Fatalf("%s rules = %q, want %q", b.Name(), g, w)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackend runs each backend through its life on the real firewall of a
// server namespace that guards port 22: stale rules of a crashed instance
// go at Init, Open lets a real connection from the client namespace
// through (IPv4 and IPv6) and only once however often it is called, Close
// drops new connections again, Flush leaves the ruleset exactly as it was,
// and nobody else's rules are touched on the way.
func TestBackend(t *testing.T) {
	for _, kind := range firewalltest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			p := testnet.NewPair(t)
			srv, cli := p.Server, p.Client
			firewalltest.Guard(t, srv, kind, 22)
			others := addOthers(t, srv, kind)
			firewalltest.Listen(t, srv, 22)
			before := ruleset(t, srv, kind)

			to4 := netip.AddrPortFrom(testnet.ServerAddr4, 22)
			to6 := netip.AddrPortFrom(testnet.ServerAddr6, 22)
			if !firewalltest.Dropped(t, cli, to4) || !firewalltest.Dropped(t, cli, to6) {
				t.Fatal("the guard lets connections to port 22 through before any Open")
			}

			// A previous instance crashed with two rules open.
			stale4 := firewall.Rule{Src: netip.MustParseAddr("198.51.100.9"), Proto: knocker.TCP, Port: 22}
			stale6 := firewall.Rule{Src: netip.MustParseAddr("2001:db8::99"), Proto: knocker.UDP, Port: 60000}
			crashed := firewalltest.New(t, srv, kind)
			must(t, crashed.Init(ctx))
			must(t, crashed.Open(ctx, stale4, 0))
			must(t, crashed.Open(ctx, stale6, 0))
			wantRules(t, crashed, stale4, stale6)

			b := firewalltest.New(t, srv, kind)
			if _, err := b.Rules(ctx); err == nil {
				t.Fatal("Rules before Init: no error")
			}
			must(t, b.Init(ctx))
			wantRules(t, b)
			if rs := ruleset(t, srv, kind); strings.Contains(rs, "198.51.100.9") || strings.Contains(rs, "2001:db8::99") {
				t.Fatalf("stale rules survived Init:\n%s", rs)
			}

			r4 := firewall.Rule{Src: testnet.ClientAddr4, Proto: knocker.TCP, Port: 22}
			r6 := firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.TCP, Port: 22}
			must(t, b.Open(ctx, r4, 0))
			must(t, b.Open(ctx, r4, 0))
			wantRules(t, b, r4)
			if n := strings.Count(ruleset(t, srv, kind), testnet.ClientAddr4.String()); n != 1 {
				t.Fatalf("two Opens of %s left %d mentions of the address in the ruleset, want 1", r4, n)
			}
			firewalltest.Connect(t, cli, to4).Close()
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatal("opening for the IPv4 address let IPv6 through")
			}

			must(t, b.Open(ctx, r6, 0))
			wantRules(t, b, r4, r6)
			firewalltest.Connect(t, cli, to6).Close()

			must(t, b.Close(ctx, r4))
			must(t, b.Close(ctx, r4))
			wantRules(t, b, r6)
			if !firewalltest.Dropped(t, cli, to4) {
				t.Fatal("after Close, a new IPv4 connection still gets through")
			}

			rs := ruleset(t, srv, kind)
			for _, o := range others {
				if !strings.Contains(rs, o) {
					t.Fatalf("somebody else's rule %q is gone:\n%s", o, rs)
				}
			}
			must(t, b.Flush(ctx))
			if after := ruleset(t, srv, kind); after != before {
				t.Fatalf("Flush did not restore the ruleset.\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatal("after Flush, IPv6 connections still get through")
			}
			if err := b.Open(ctx, r4, 0); err == nil {
				t.Fatal("Open after Flush (without Init): no error")
			}
		})
	}
}

// TestNFTablesOwnTable: with nothing else in it, sesamed's own table is
// created by Init and gone after Flush.
func TestNFTablesOwnTable(t *testing.T) {
	testnet.RequireTools(t, "nft")
	ctx := context.Background()
	p := testnet.NewPair(t)
	b := firewalltest.New(t, p.Server, "nftables")
	must(t, b.Init(ctx))
	rs := p.Server.Ruleset(t)
	for _, want := range []string{
		"table inet sesamed",
		"type filter hook input priority filter; policy accept;",
		`ip saddr . meta l4proto . th dport @sesamed_allow4 counter packets 0 bytes 0 accept comment "sesamed"`,
		`ip6 saddr . meta l4proto . th dport @sesamed_allow6 counter packets 0 bytes 0 accept comment "sesamed"`,
	} {
		if !strings.Contains(rs, want) {
			t.Fatalf("ruleset after Init lacks %q:\n%s", want, rs)
		}
	}
	must(t, b.Open(ctx, firewall.Rule{Src: testnet.ClientAddr4, Proto: knocker.UDP, Port: 51820}, 0))
	if rs := p.Server.Ruleset(t); !strings.Contains(rs, "elements = { 192.0.2.2 . udp . 51820 }") {
		t.Fatalf("the open rule is not in the set:\n%s", rs)
	}
	must(t, b.Flush(ctx))
	if rs := p.Server.Ruleset(t); strings.TrimSpace(rs) != "" {
		t.Fatalf("Flush left a ruleset behind:\n%s", rs)
	}
}

// TestNFTablesUserChain: pointed at the admin's own chain, the backend puts
// its lookups at the top of that chain, beats the admin's drop there, and
// leaves the chain as it found it; a chain that does not exist is an error
// that says what to do, and nothing is created.
func TestNFTablesUserChain(t *testing.T) {
	testnet.RequireTools(t, "nft")
	ctx := context.Background()
	p := testnet.NewPair(t)
	srv, cli := p.Server, p.Client
	opt := firewall.NFTablesOptions{Table: "filter", Chain: "input"}

	missing := firewalltest.InNS(srv, firewall.NewNFTables(opt))
	err := missing.Init(ctx)
	if err == nil || !strings.Contains(err.Error(), "inet filter input not found") {
		t.Fatalf("Init on a missing chain: %v, want a not-found error", err)
	}
	if rs := srv.Ruleset(t); strings.TrimSpace(rs) != "" {
		t.Fatalf("a failed Init changed the ruleset:\n%s", rs)
	}

	srv.Run(t, "nft", "add table inet filter; "+
		"add chain inet filter input { type filter hook input priority filter; policy drop; }; "+
		"add rule inet filter input ct state established,related accept; "+
		"add rule inet filter input iif lo accept")
	firewalltest.Listen(t, srv, 22)
	before := stripCounters(srv.Ruleset(t))
	to := netip.AddrPortFrom(testnet.ServerAddr6, 22)
	if !firewalltest.Dropped(t, cli, to) {
		t.Fatal("the admin's drop policy lets connections through")
	}
	b := firewalltest.InNS(srv, firewall.NewNFTables(opt))
	must(t, b.Init(ctx))
	must(t, b.Open(ctx, firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.TCP, Port: 22}, 0))
	firewalltest.Connect(t, cli, to).Close()
	must(t, b.Flush(ctx))
	if after := stripCounters(srv.Ruleset(t)); after != before {
		t.Fatalf("Flush did not restore the admin's chain.\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
