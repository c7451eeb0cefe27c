//go:build linux

package firewall_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/server/firewall"
	"sesame/server/firewall/firewalltest"
)

// newGuarded is the backend of kind with a guard of port 22/tcp that
// allows the client's IPv4 address, running inside ns.
func newGuarded(t *testing.T, ns *testnet.NS, kind string) firewall.Backend {
	t.Helper()
	g := &firewall.Guard{Port: 22, Proto: knocker.TCP, Allow: []netip.Prefix{netip.PrefixFrom(testnet.ClientAddr4, 32)}}
	var (
		b   firewall.Backend
		err error
	)
	switch kind {
	case "iptables":
		testnet.RequireTools(t, "iptables", "ip6tables", "ipset")
		b, err = firewall.NewIPTables(firewall.IPTablesOptions{Guard: g})
	case "iptables-legacy":
		testnet.RequireTools(t, "iptables-legacy", "ip6tables-legacy", "ipset")
		b, err = firewall.NewIPTables(firewall.IPTablesOptions{Variant: firewall.VariantLegacy, Guard: g})
	case "nftables":
		testnet.RequireTools(t, "nft")
		b = firewall.NewNFTables(firewall.NFTablesOptions{Guard: g})
	}
	if err != nil {
		t.Fatal(err)
	}
	return firewalltest.InNS(ns, b)
}

// flushRuleset is what a reboot or a reload of the firewall service does
// to the ruleset of kind.
func flushRuleset(t *testing.T, ns *testnet.NS, kind string) {
	t.Helper()
	switch kind {
	case "nftables":
		ns.Run(t, "nft", "flush", "ruleset")
	default:
		suffix := strings.TrimPrefix(kind, "iptables")
		for _, ipt := range []string{"iptables" + suffix, "ip6tables" + suffix} {
			ns.Run(t, ipt, "-w", "-F")
			ns.Run(t, ipt, "-w", "-X")
		}
	}
}

// TestGuard runs the guard of each backend on a namespace with nothing
// else in its firewall: Init shuts port 22 to all but the allowed source
// and opens it to an Open; a flushed ruleset is seen by Check and put back
// by Establish; Flush (sesamed stopping) leaves the port shut; Unguard
// leaves the firewall as it was.
func TestGuard(t *testing.T) {
	for _, kind := range firewalltest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			p := testnet.NewPair(t)
			srv, cli := p.Server, p.Client
			b := newGuarded(t, srv, kind)
			firewalltest.Listen(t, srv, 22)
			if kind != "nftables" {
				// iptables leaves its empty filter tables behind: have
				// them before.
				suffix := strings.TrimPrefix(kind, "iptables")
				srv.Run(t, "iptables"+suffix, "-w", "-P", "FORWARD", "ACCEPT")
				srv.Run(t, "ip6tables"+suffix, "-w", "-P", "FORWARD", "ACCEPT")
			}
			before := ruleset(t, srv, kind)
			to4 := netip.AddrPortFrom(testnet.ServerAddr4, 22)
			to6 := netip.AddrPortFrom(testnet.ServerAddr6, 22)

			must(t, b.Init(ctx))
			must(t, b.Check(ctx))
			firewalltest.Connect(t, cli, to4).Close() // allowed
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatalf("the guard lets a source that has not knocked through:\n%s", ruleset(t, srv, kind))
			}
			r6 := firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.TCP, Port: 22}
			must(t, b.Open(ctx, r6, 0))
			held := firewalltest.Connect(t, cli, to6)
			defer held.Close()

			flushRuleset(t, srv, kind)
			if err := b.Check(ctx); err == nil {
				t.Fatal("Check after a flushed ruleset: no error")
			}
			must(t, b.Establish(ctx))
			must(t, b.Check(ctx))
			must(t, b.Open(ctx, r6, 0))
			firewalltest.Connect(t, cli, to6).Close()
			must(t, b.Close(ctx, r6))
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatal("after Close, a new connection gets through")
			}
			if _, err := held.Write([]byte("x")); err != nil {
				t.Fatalf("an established connection was cut: %v", err)
			}

			must(t, b.Flush(ctx))
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatalf("after Flush (sesamed stopped) the port is open:\n%s", ruleset(t, srv, kind))
			}
			firewalltest.Connect(t, cli, to4).Close()
			must(t, b.Unguard(ctx)) // after Flush: all goes
			if after := ruleset(t, srv, kind); after != before {
				t.Fatalf("Unguard did not restore the ruleset.\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestGuardBesideRunning: the guard put in by `sesamed install` beside a
// sesamed that already runs (a second backend on the same firewall, as
// install is) goes below sesamed's accepts, which keep working and keep
// their open rules; and sesamed started after the guard puts its accepts
// above it.
func TestGuardBesideRunning(t *testing.T) {
	for _, kind := range firewalltest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			p := testnet.NewPair(t)
			srv, cli := p.Server, p.Client
			firewalltest.Listen(t, srv, 22)
			to6 := netip.AddrPortFrom(testnet.ServerAddr6, 22)
			r6 := firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.TCP, Port: 22}

			daemon := firewalltest.New(t, srv, kind)
			must(t, daemon.Init(ctx))
			must(t, daemon.Open(ctx, r6, 0))
			install := newGuarded(t, srv, kind)
			must(t, install.Establish(ctx))
			must(t, install.Check(ctx))
			firewalltest.Connect(t, cli, to6).Close()
			wantRules(t, daemon, r6)
			must(t, daemon.Close(ctx, r6))
			if !firewalltest.Dropped(t, cli, to6) {
				t.Fatalf("install's guard does not shut the port:\n%s", ruleset(t, srv, kind))
			}
			must(t, daemon.Flush(ctx))

			// sesamed starts again, under the guard now in place.
			again := firewalltest.New(t, srv, kind)
			must(t, again.Init(ctx))
			must(t, install.Check(ctx))
			must(t, again.Open(ctx, r6, 0))
			firewalltest.Connect(t, cli, to6).Close()
			// An install undone (Unguard) leaves the running sesamed be.
			must(t, install.Unguard(ctx))
			must(t, again.Check(ctx))
			wantRules(t, again, r6)
			firewalltest.Connect(t, cli, to6).Close()
			must(t, again.Flush(ctx))
			if rs := ruleset(t, srv, kind); strings.Contains(rs, "sesamed") {
				t.Fatalf("sesamed's rules are left:\n%s", rs)
			}
		})
	}
}

// TestOpenTimeout: a rule opened for a time goes when it runs out, by the
// kernel's own timeout, with nobody calling Close (sesamed killed); a
// second Open re-arms the timeout.
func TestOpenTimeout(t *testing.T) {
	for _, kind := range firewalltest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			p := testnet.NewPair(t)
			b := firewalltest.New(t, p.Server, kind)
			must(t, b.Init(ctx))
			defer b.Flush(ctx)
			r := firewall.Rule{Src: testnet.ClientAddr4, Proto: knocker.TCP, Port: 22}
			forever := firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.UDP, Port: 51820}
			must(t, b.Open(ctx, forever, 0))
			must(t, b.Open(ctx, r, time.Second))
			must(t, b.Open(ctx, r, time.Second)) // re-armed, still one rule
			wantRules(t, b, r, forever)
			testnet.WaitFor(t, "the kernel to end the timed rule", func() bool {
				rules, err := b.Rules(ctx)
				return err == nil && len(rules) == 1
			})
			wantRules(t, b, forever)
		})
	}
}
