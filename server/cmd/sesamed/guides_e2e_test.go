//go:build linux

package main_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testnet.RemoveBinaries()
	os.Exit(code)
}

// server is a knock daemon: sesamed, or the real knockd beside it so that
// a difference in behaviour shows in the same run.
type server struct {
	name  string
	start func(t testing.TB, ns *testnet.NS, conf string) *testnet.Proc
}

func servers(t testing.TB) []server {
	testnet.RequireTools(t, "knockd")
	return []server{
		{"sesamed", func(t testing.TB, ns *testnet.NS, conf string) *testnet.Proc {
			return ns.Sesamed(t, testnet.ServerIf, conf).Proc
		}},
		{"knockd", func(t testing.TB, ns *testnet.NS, conf string) *testnet.Proc {
			return ns.Knockd(t, testnet.ServerIf, conf)
		}},
	}
}

// TestGuideConfigurations opens a real sshd behind sesamed, and behind
// knockd, on the guides' configurations, with knock(1) and sesame knock.
func TestGuideConfigurations(t *testing.T) {
	c4, c6 := testnet.ClientAddr4.String(), testnet.ClientAddr6.String()
	cases := []struct {
		name string
		conf string
		run  func(t *testing.T, c testnet.KnockClient, p *testnet.Pair)
	}{
		{"7000-8000-9000 open and close pair", testnet.GuideConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
			p.Server.WaitAccept(t, c4, true)
			if b := p.Client.SSHBanner(t, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
				t.Fatalf("port 22 answered %q, want an SSH banner", b)
			}
			c.Knock(t, p.Client, testnet.ServerAddr4.String(), "9000", "8000", "7000")
			p.Server.WaitAccept(t, c4, false)
		}},
		{"mixed udp and tcp with cmd_timeout and stop_command", testnet.MixedConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, testnet.ServerAddr4.String(), "2222:udp", "3333:tcp", "4444:udp")
			p.Server.WaitAccept(t, c4, true)
			p.Client.SSHBanner(t, testnet.ServerAddr4)
			p.Server.WaitAccept(t, c4, false) // the stop command, after cmd_timeout
		}},
		{"all udp with long delays", testnet.UDPConf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, "-u", "-d", "1500", testnet.ServerAddr4.String(), "5000", "6000", "7000")
			p.Server.WaitAccept(t, c4, true)
			p.Client.SSHBanner(t, testnet.ServerAddr4)
		}},
		{"ipv6 with start_command_6", testnet.IPv6Conf, func(t *testing.T, c testnet.KnockClient, p *testnet.Pair) {
			c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000", "9000")
			p.Server.WaitAccept(t, c6, true)
			if p.Server.HasAcceptFrom(t, c4) {
				t.Fatal("an IPv6 knock opened the IPv4 firewall")
			}
			p.Client.SSHBanner(t, testnet.ServerAddr6)
		}},
	}
	testnet.RequireTools(t, "iptables", "ip6tables")
	cls := testnet.KnockClients(t)
	srvs := servers(t)
	for _, tc := range cases {
		for _, s := range srvs {
			for _, c := range cls {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.name, s.name, c.Name), func(t *testing.T) {
					t.Parallel()
					p := testnet.NewPair(t)
					p.Server.GuardSSH(t)
					p.Server.SSHD(t)
					s.start(t, p.Server, tc.conf)
					for _, a := range []string{c4, c6} {
						if p.Server.HasAcceptFrom(t, a) {
							t.Fatalf("the door is open for %s before any knock", a)
						}
					}
					tc.run(t, c, p)
				})
			}
		}
	}
}
