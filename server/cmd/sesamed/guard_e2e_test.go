//go:build linux

package main_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
)

// knocker and stranger are client addresses: the knocker knocks from the
// client's IPv6 address; the stranger (a second IPv4 address of the
// client) never knocks. The client's main IPv4 address is the admin's SSH
// session, which install keeps allowed.
var stranger = netip.MustParseAddr("192.0.2.3")

// installed is a server namespace with sshd where `sesamed install` ran
// (into a temporary root, without systemctl) from an SSH session of the
// client's main address, on a config with a native door that install
// kept; nothing runs sesamed yet.
type installed struct {
	p          *testnet.Pair
	kind       string
	bin, root  string
	conf       string // the config install kept
	guard      string // the install record, for --guard
	sessionEnv string
}

func install(t testing.TB, kind string, running func(*installed)) *installed {
	t.Helper()
	testnet.RequireTools(t, "nft", "iptables", "ip6tables", "ipset")
	in := &installed{p: testnet.NewPair(t), kind: kind, root: t.TempDir()}
	in.p.Server.SSHD(t)
	in.p.Client.Run(t, "ip", "addr", "add", stranger.String()+"/24", "dev", testnet.ClientIf)
	in.bin = testnet.Binary(t, "sesame/server/cmd/sesamed")
	in.conf = filepath.Join(in.root, "etc/knockd.conf")
	in.guard = filepath.Join(in.root, "var/lib/sesamed/install.json")
	in.sessionEnv = "SSH_CONNECTION=" + testnet.ClientAddr4.String() + " 50022 " + testnet.ServerAddr4.String() + " 22"
	if err := os.MkdirAll(filepath.Dir(in.conf), 0o755); err != nil {
		t.Fatal(err)
	}
	backend := kind
	if kind == "iptables-legacy" {
		// A host whose input legacy iptables filters: install picks it.
		testnet.RequireTools(t, "iptables-legacy", "ip6tables-legacy")
		backend = "iptables"
		in.p.Server.Run(t, "iptables-legacy", "-w", "-A", "INPUT", "-p", "udp", "--dport", "53", "-j", "ACCEPT")
	}
	if err := os.WriteFile(in.conf, []byte(nativeConf(backend, "\taccess_time = 3600\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if running != nil {
		running(in)
	}
	out, err := in.p.Server.Try("env", in.sessionEnv, in.bin, "install", "--firewall", backend,
		"--root", in.root, "--no-systemctl", "--binary", in.bin)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	return in
}

// start runs sesamed as the unit's ExecStart line does (plus -i and -v for
// the test), and waits until it listens, which is after it has reported
// ready.
func (in *installed) start(t testing.TB, extra ...string) *testnet.Proc {
	t.Helper()
	args := append([]string{"-c", in.conf, "--guard", in.guard, "-i", testnet.ServerIf, "-v"}, extra...)
	s := in.p.Server.Start(t, in.bin, args...)
	s.WaitOutput(t, "listening on "+testnet.ServerIf)
	return s
}

func (in *installed) knock(t testing.TB) {
	t.Helper()
	testnet.KnockClients(t)[0].Knock(t, in.p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000:udp", "9000")
}

// strangerShut reports whether a connection from the stranger to port 22
// goes unanswered.
func (in *installed) strangerShut(t *testing.T) bool {
	t.Helper()
	return firewalltest.DroppedFrom(t, in.p.Client, stranger, netip.AddrPortFrom(testnet.ServerAddr4, 22))
}

// flush is what a reboot, `nft flush ruleset`, `systemctl reload nftables`
// or `ufw reload` does to the rules sesamed and install added.
func (in *installed) flush(t testing.TB) {
	t.Helper()
	srv := in.p.Server
	if in.kind == "nftables" {
		srv.Run(t, "nft", "flush", "ruleset")
		return
	}
	// As `ufw reload` or a restore of saved rules does: each family's
	// filter table replaced in one transaction.
	suffix := strings.TrimPrefix(in.kind, "iptables")
	for _, ipt := range []string{"iptables", "ip6tables"} {
		in.flushFamily(t, ipt+suffix)
	}
}

// flushFamily empties the filter table of one iptables family, its chains
// deleted, in one transaction.
func (in *installed) flushFamily(t testing.TB, ipt string) {
	t.Helper()
	in.p.Server.Run(t, "sh", "-c", "printf '*filter\\n:INPUT ACCEPT\\n:FORWARD ACCEPT\\n:OUTPUT ACCEPT\\nCOMMIT\\n' | "+ipt+"-restore -w")
}

// TestGuardAfterReboot (issue 13, case 1): after a reboot (the ruleset
// flushed, sesamed not running), the port is open to the world; sesamed
// started as its unit starts it builds the guard again before it reports
// ready: a stranger is shut out, the admin's address is not, a knock opens
// the door, and the guard stays when sesamed stops. A guard it cannot read
// keeps it from starting, saying why.
func TestGuardAfterReboot(t *testing.T) {
	for _, kind := range nativeKinds {
		t.Run(kind, func(t *testing.T) {
			in := install(t, kind, nil)
			if !in.strangerShut(t) {
				t.Fatal("install did not guard port 22")
			}
			in.flush(t)
			if in.strangerShut(t) {
				t.Fatal("port 22 is still guarded after the flush; the test proves nothing")
			}

			s := in.start(t)
			if !in.strangerShut(t) {
				t.Fatalf("sesamed runs and port 22 is open to a stranger:\n%s\n%s", s.Output(), ruleset(t, in.p.Server, kind))
			}
			if !reachable(t, in.p, testnet.ServerAddr4) {
				t.Fatal("the guard cut off the admin's address install kept allowed")
			}
			in.knock(t)
			waitReachable(t, in.p, testnet.ServerAddr6, true)
			if err := s.Signal(unix.SIGTERM); err != nil {
				t.Fatal(err)
			}
			<-s.Done()
			if reachable(t, in.p, testnet.ServerAddr6) || !in.strangerShut(t) {
				t.Fatalf("port 22 is open after sesamed stopped:\n%s", ruleset(t, in.p.Server, kind))
			}

			// A guard record that cannot be read: no start, and why.
			if err := os.WriteFile(in.guard, []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := in.p.Server.Try(in.bin, "-c", in.conf, "--guard", in.guard, "-i", testnet.ServerIf)
			if err == nil || !strings.Contains(out, "is not an install record") || !strings.Contains(out, "does not start without the guard") {
				t.Fatalf("sesamed with an unreadable guard: %v\n%s", err, out)
			}
		})
	}
}

// TestGuardRestoredAfterFlush (issue 13, case 2): the ruleset flushed
// while sesamed runs; sesamed sees it (nftables events; legacy iptables,
// which sends none, it looks at every 2 s) and puts its chain, the guard
// and the live grants back, and says so.
func TestGuardRestoredAfterFlush(t *testing.T) {
	for _, kind := range append(nativeKinds, "iptables-legacy") {
		t.Run(kind, func(t *testing.T) {
			in := install(t, kind, nil)
			s := in.start(t)
			in.knock(t)
			waitReachable(t, in.p, testnet.ServerAddr6, true)

			from := s.Len()
			in.flush(t)
			s.WaitOutputAfter(t, from, "restored sesamed's chain, accepts and guard, and 1 live grant(s)")
			// iptables flushes one family, then the other: sesamed may
			// restore twice.
			testnet.WaitFor(t, "a stranger shut out after the flush", func() bool { return in.strangerShut(t) })
			waitReachable(t, in.p, testnet.ServerAddr6, true) // the live grant
			waitReachable(t, in.p, testnet.ServerAddr4, true) // the admin's address
		})
	}
}

// TestInstallWhileRunning (issue 13, case 9): install while sesamed
// already runs puts the guard below sesamed's accepts: the door a knock
// opened before stays open, a knock after install opens it, and a
// stranger is shut out.
func TestInstallWhileRunning(t *testing.T) {
	for _, kind := range nativeKinds {
		t.Run(kind, func(t *testing.T) {
			var s *testnet.Proc
			in := install(t, kind, func(in *installed) {
				s = in.p.Server.Start(t, in.bin, "-c", in.conf, "-i", testnet.ServerIf, "-v")
				s.WaitOutput(t, "listening on "+testnet.ServerIf)
				in.knock(t)
				s.WaitOutput(t, "SSH: opening 22/tcp for 2001:db8::2")
			})
			if !in.strangerShut(t) {
				t.Fatalf("install beside a running sesamed does not guard port 22:\n%s", ruleset(t, in.p.Server, kind))
			}
			if !reachable(t, in.p, testnet.ServerAddr6) {
				t.Fatalf("install shut the door sesamed had opened:\n%s", ruleset(t, in.p.Server, kind))
			}
			// Closed, the door is shut by install's guard; a knock after
			// install opens it again.
			sesameKnock(t).Knock(t, in.p.Client, "-6", testnet.ServerAddr6.String(), "9000", "8000:udp", "7000")
			s.WaitOutput(t, "SSH: closed tcp/22 for 2001:db8::2 (revoked)")
			waitReachable(t, in.p, testnet.ServerAddr6, false)
			in.knock(t)
			waitReachable(t, in.p, testnet.ServerAddr6, true)
		})
	}
}
