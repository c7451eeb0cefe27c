//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/knockdconf"
)

// ruleset is the server's firewall, as text to compare: the nftables
// ruleset, or the iptables and ip6tables rules and policies (iptables-nft
// leaves empty tables behind, which hold no rule).
func ruleset(t *testing.T, ns *testnet.NS, fw string) string {
	t.Helper()
	if fw == "nftables" {
		return ns.Run(t, "nft", "list", "ruleset")
	}
	return ns.Run(t, "iptables", "-w", "-S") + ns.Run(t, "ip6tables", "-w", "-S")
}

// TestInstallDryRunInstallUninstall runs `sesamed install` inside the
// server namespace, into a temporary root, from an SSH session of the
// client's IPv4 address: --dry-run changes nothing; install writes the
// config, the unit and the baseline, keeps the session's address allowed
// and guards port 22 from everyone else; the daemon on the written config
// opens the door to a knock; uninstall leaves the ruleset as it found it.
func TestInstallDryRunInstallUninstall(t *testing.T) {
	testnet.RequireTools(t, "nft", "iptables", "ip6tables")
	c := sesameKnock(t)
	for _, fw := range []string{"nftables", "iptables"} {
		t.Run(fw, func(t *testing.T) {
			p := testnet.NewPair(t)
			p.Server.SSHD(t)
			bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
			root := t.TempDir()
			session := "SSH_CONNECTION=192.0.2.2 50022 192.0.2.1 22"
			installCmd := func(args ...string) (string, error) {
				argv := append([]string{session, bin}, args...)
				argv = append(argv, "--root", root, "--no-systemctl")
				if args[0] == "install" {
					argv = append(argv, "--binary", bin)
				}
				return p.Server.Try("env", argv...)
			}
			before := ruleset(t, p.Server, fw)

			out, err := installCmd("install", "--firewall", fw, "--dry-run")
			if err != nil {
				t.Fatalf("install --dry-run: %v\n%s", err, out)
			}
			if !strings.Contains(out, "knockd.conf") || !strings.Contains(out, "sesamed.service") {
				t.Fatalf("the dry run does not show the plan:\n%s", out)
			}
			if after := ruleset(t, p.Server, fw); after != before {
				t.Fatalf("--dry-run changed the firewall:\n%s", after)
			}
			if ents, _ := os.ReadDir(root); len(ents) != 0 {
				t.Fatalf("--dry-run wrote files: %v", ents)
			}

			out, err = installCmd("install", "--firewall", fw)
			if err != nil {
				t.Fatalf("install: %v\n%s", err, out)
			}
			conf := filepath.Join(root, "etc/knockd.conf")
			for _, f := range []string{conf, filepath.Join(root, "etc/systemd/system/sesamed.service"), filepath.Join(root, "var/lib/sesamed/install.json")} {
				if _, err := os.Stat(f); err != nil {
					t.Fatalf("install did not write %s: %v\n%s", f, err, out)
				}
			}
			// The unit may write sesamed's state directory, for the spent
			// windows of a rotating door added later.
			if unit, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system/sesamed.service")); !strings.Contains(string(unit), " -/var/lib/sesamed") {
				t.Errorf("the unit cannot write the state directory:\n%s", unit)
			}
			if fi, _ := os.Stat(conf); fi.Mode().Perm() != 0o600 {
				t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
			}
			cfg, err := knockdconf.ParseFile(conf)
			if err != nil {
				t.Fatalf("the config install wrote does not load: %v", err)
			}
			if seq := cfg.Doors[0].Sequence.String(); strings.Contains(out, seq) {
				t.Fatalf("install printed the secret sequence %s:\n%s", seq, out)
			}
			// The session's address keeps its way in; the client's IPv6
			// address, which is not the session's, is guarded.
			if !reachable(t, p, testnet.ServerAddr4) {
				t.Fatal("install cut the SSH session's address off")
			}
			if reachable(t, p, testnet.ServerAddr6) {
				t.Fatalf("port 22 is open to everyone after install:\n%s", ruleset(t, p.Server, fw))
			}

			// The daemon as the unit runs it, on the config install wrote.
			s := p.Server.Start(t, bin, "-c", conf, "-i", testnet.ServerIf, "-v", "-p", filepath.Join(root, "pid"))
			s.WaitOutput(t, "listening on "+testnet.ServerIf)
			c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), cfg.Doors[0].Sequence.String())
			waitReachable(t, p, testnet.ServerAddr6, true)
			if err := s.Signal(unix.SIGTERM); err != nil {
				t.Fatal(err)
			}
			<-s.Done()
			// sesamed took its rules out, not install's baseline beside them.
			if reachable(t, p, testnet.ServerAddr6) {
				t.Fatalf("port 22 is open after sesamed stopped:\n%s", ruleset(t, p.Server, fw))
			}

			out, err = installCmd("uninstall", "--dry-run")
			if err != nil {
				t.Fatalf("uninstall --dry-run: %v\n%s", err, out)
			}
			if _, err := os.Stat(conf); err != nil {
				t.Fatalf("uninstall --dry-run removed the config")
			}
			out, err = installCmd("uninstall")
			if err != nil {
				t.Fatalf("uninstall: %v\n%s", err, out)
			}
			for _, f := range []string{conf, filepath.Join(root, "etc/systemd/system/sesamed.service"), filepath.Join(root, "var/lib/sesamed/install.json")} {
				if _, err := os.Stat(f); !os.IsNotExist(err) {
					t.Errorf("uninstall left %s", f)
				}
			}
			if after := ruleset(t, p.Server, fw); after != before {
				t.Fatalf("uninstall left the firewall changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
