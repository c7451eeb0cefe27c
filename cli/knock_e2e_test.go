//go:build linux

package cli_test

import (
	"fmt"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestKnockOpensRealKnockd knocks Debian's real knockd, guarding a real
// sshd, on the guides' configurations, with Sesame and with knock(1).
func TestKnockOpensRealKnockd(t *testing.T) {
	cases := []struct {
		name string
		conf string
		run  func(t *testing.T, c testnet.KnockClient, p *testnet.Pair)
	}{
		{"guide open and close pair", testnet.GuideConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			srv := testnet.ServerAddr4.String()
			c.Knock(t, p.Client, srv, "7000", "8000", "9000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			if b := p.Client.SSHBanner(t, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
				t.Fatalf("port 22 answered %q, want an SSH banner", b)
			}
			c.Knock(t, p.Client, srv, "9000", "8000", "7000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
		}},
		{"mixed udp and tcp with cmd_timeout", testnet.MixedConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, testnet.ServerAddr4.String(), "2222:udp", "3333:tcp", "4444:udp")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			p.Client.SSHBanner(t, testnet.ServerAddr4)
			// stop_command runs by itself after cmd_timeout.
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
		}},
		{"all udp with -u and long delays", testnet.UDPConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, "-u", "-d", "1500", testnet.ServerAddr4.String(), "5000", "6000", "7000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			p.Client.SSHBanner(t, testnet.ServerAddr4)
		}},
		{"ipv6 with start_command_6", testnet.IPv6Conf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000", "9000")
			p.Server.WaitAccept(t, testnet.ClientAddr6.String(), true)
			if p.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
				t.Fatal("an IPv6 knock opened the IPv4 firewall")
			}
			p.Client.SSHBanner(t, testnet.ServerAddr6)
		}},
	}
	testnet.RequireTools(t, "knockd", "iptables", "ip6tables")
	clients := testnet.KnockClients(t)
	for _, tc := range cases {
		for _, c := range clients {
			t.Run(fmt.Sprintf("%s/%s", tc.name, c.Name), func(t *testing.T) {
				t.Parallel()
				p := testnet.NewPair(t)
				p.Server.GuardSSH(t)
				p.Server.SSHD(t)
				p.Server.Knockd(t, testnet.ServerIf, tc.conf)
				for _, a := range []string{testnet.ClientAddr4.String(), testnet.ClientAddr6.String()} {
					if p.Server.HasAcceptFrom(t, a) {
						t.Fatalf("the door is open for %s before any knock", a)
					}
				}
				tc.run(t, c, p)
			})
		}
	}
}
