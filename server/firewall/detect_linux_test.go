//go:build linux

package firewall_test

import (
	"context"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/server/firewall"
	"sesame/server/firewall/firewalltest"
)

// TestChoose sets up each kind of firewall a server may have in a fresh
// namespace and checks which backend auto-detection picks for it.
func TestChoose(t *testing.T) {
	testnet.RequireTools(t, "nft", "iptables-legacy", "iptables-nft")
	for _, tc := range []struct {
		name        string
		setup       func(t *testing.T, ns *testnet.NS)
		prefer      string
		wantName    string
		wantVariant string
		wantWarning string
	}{
		{name: "empty", wantName: "nftables"},
		{name: "iptables-nft guard", setup: func(t *testing.T, ns *testnet.NS) { firewalltest.Guard(t, ns, "iptables", 22) },
			wantName: "iptables", wantVariant: "nft"},
		{name: "iptables-nft drop policy", setup: func(t *testing.T, ns *testnet.NS) { ns.Run(t, "ip6tables-nft", "-P", "INPUT", "DROP") },
			wantName: "iptables", wantVariant: "nft"},
		{name: "iptables-nft forward only", setup: func(t *testing.T, ns *testnet.NS) { ns.Run(t, "iptables-nft", "-A", "FORWARD", "-j", "DROP") },
			wantName: "nftables"},
		{name: "legacy guard", setup: func(t *testing.T, ns *testnet.NS) { firewalltest.Guard(t, ns, "iptables-legacy", 22) },
			wantName: "iptables", wantVariant: "legacy"},
		{name: "legacy guard, iptables asked for", prefer: "iptables",
			setup:    func(t *testing.T, ns *testnet.NS) { firewalltest.Guard(t, ns, "iptables-legacy", 22) },
			wantName: "iptables", wantVariant: "legacy"},
		{name: "iptables asked for", prefer: "iptables", wantName: "iptables"},
		{name: "sesamed's own chain", setup: func(t *testing.T, ns *testnet.NS) { firewalltest.Guard(t, ns, "nftables", 22) },
			wantName: "nftables"},
		{name: "native nftables elsewhere", wantName: "nftables", wantWarning: "inet filter input also filters input",
			setup: func(t *testing.T, ns *testnet.NS) {
				ns.Run(t, "nft", "add table inet filter; add chain inet filter input { type filter hook input priority 0; policy drop; }")
			}},
		{name: "nftables asked for over iptables-nft", prefer: "nftables", wantName: "nftables", wantWarning: "ip filter INPUT (iptables-nft)",
			setup: func(t *testing.T, ns *testnet.NS) { firewalltest.Guard(t, ns, "iptables", 22) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testnet.NewPair(t)
			if tc.setup != nil {
				tc.setup(t, p.Server)
			}
			var c firewall.Choice
			if err := p.Server.Do(func() error {
				var err error
				c, err = firewall.Choose(context.Background(), firewall.Options{Prefer: tc.prefer})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.wantName || c.Variant != tc.wantVariant {
				t.Fatalf("Choose = %s/%s (%s), want %s/%s", c.Name, c.Variant, c.Reason, tc.wantName, tc.wantVariant)
			}
			if c.Reason == "" {
				t.Error("no reason given")
			}
			if tc.wantWarning == "" && c.Warning != "" || !strings.Contains(c.Warning, tc.wantWarning) {
				t.Fatalf("warning = %q, want %q", c.Warning, tc.wantWarning)
			}
		})
	}
	if _, err := firewall.Choose(context.Background(), firewall.Options{Prefer: "ipfw"}); err == nil ||
		!strings.Contains(err.Error(), "use auto, iptables or nftables") {
		t.Fatalf("Choose(ipfw) = %v, want an error naming the choices", err)
	}
}
