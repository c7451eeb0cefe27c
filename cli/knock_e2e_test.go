//go:build linux

package cli_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// knockClient is a knock(1)-compatible client: Sesame, or the real knock
// from Debian's knockd package. Every end-to-end check runs with both, so a
// failure shows whether the harness or Sesame is wrong.
type knockClient struct {
	name string
	argv func(args ...string) []string
}

func knockClients(t *testing.T) []knockClient {
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "knock", "iptables", "ip6tables")
	sesame := testnet.Binary(t, "sesame", "headless")
	return []knockClient{
		{"sesame", func(args ...string) []string { return append([]string{sesame, "knock"}, args...) }},
		{"knock", func(args ...string) []string { return append([]string{"knock"}, args...) }},
	}
}

// knock runs the client in the client namespace and fails the test unless
// it exits 0.
func (c knockClient) knock(t *testing.T, ns *testnet.NS, args ...string) string {
	t.Helper()
	argv := c.argv(args...)
	return ns.Run(t, argv[0], argv[1:]...)
}

// sshBanner connects to port 22 from the client namespace and returns the
// server's identification line, proving the door is open end to end.
func sshBanner(t *testing.T, ns *testnet.NS, addr netip.Addr) string {
	t.Helper()
	c, err := ns.Dial(netip.AddrPortFrom(addr, 22), 5*time.Second)
	if err != nil {
		t.Fatalf("connect to sshd at %s after the knock: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(testnet.Await))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read sshd banner from %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

// The knockd.conf examples the common guides publish.
const (
	mixedConf = `[options]
	logfile = /dev/null

[SSH]
	sequence      = 2222:udp,3333:tcp,4444:udp
	seq_timeout   = 15
	start_command = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	cmd_timeout   = 3
	stop_command  = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
	udpConf = `[options]
	logfile = /dev/null

[openSSH]
	sequence    = 5000:udp,6000:udp,7000:udp
	seq_timeout = 20
	command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
	ipv6Conf = `[options]
	logfile = /dev/null

[openSSH]
	sequence        = 7000,8000,9000
	seq_timeout     = 5
	tcpflags        = syn
	start_command   = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	start_command_6 = /sbin/ip6tables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
)

// TestKnockOpensRealKnockd knocks Debian's real knockd, guarding a real
// sshd, on the guides' configurations, with Sesame and with knock(1).
func TestKnockOpensRealKnockd(t *testing.T) {
	cases := []struct {
		name string
		conf string
		run  func(t *testing.T, c knockClient, p *testnet.Pair)
	}{
		{"guide open and close pair", testnet.GuideConf, func(t *testing.T, c knockClient, p *testnet.Pair) {
			srv := testnet.ServerAddr4.String()
			c.knock(t, p.Client, srv, "7000", "8000", "9000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			if b := sshBanner(t, p.Client, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
				t.Fatalf("port 22 answered %q, want an SSH banner", b)
			}
			c.knock(t, p.Client, srv, "9000", "8000", "7000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
		}},
		{"mixed udp and tcp with cmd_timeout", mixedConf, func(t *testing.T, c knockClient, p *testnet.Pair) {
			c.knock(t, p.Client, testnet.ServerAddr4.String(), "2222:udp", "3333:tcp", "4444:udp")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			sshBanner(t, p.Client, testnet.ServerAddr4)
			// stop_command runs by itself after cmd_timeout.
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
		}},
		{"all udp with -u and long delays", udpConf, func(t *testing.T, c knockClient, p *testnet.Pair) {
			c.knock(t, p.Client, "-u", "-d", "1500", testnet.ServerAddr4.String(), "5000", "6000", "7000")
			p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			sshBanner(t, p.Client, testnet.ServerAddr4)
		}},
		{"ipv6 with start_command_6", ipv6Conf, func(t *testing.T, c knockClient, p *testnet.Pair) {
			c.knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000", "9000")
			p.Server.WaitAccept(t, testnet.ClientAddr6.String(), true)
			if p.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
				t.Fatal("an IPv6 knock opened the IPv4 firewall")
			}
			sshBanner(t, p.Client, testnet.ServerAddr6)
		}},
	}
	clients := knockClients(t)
	for _, tc := range cases {
		for _, c := range clients {
			t.Run(fmt.Sprintf("%s/%s", tc.name, c.name), func(t *testing.T) {
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
