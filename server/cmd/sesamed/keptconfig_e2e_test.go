//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// TestInstallKeptDebianConfig: with Debian's stock knockd.conf kept,
// install refuses (its door's accept would land below the drop, so the
// door would never open) and changes nothing; with --rewrite-config the
// same knocks really open and close the port through sesamed.
func TestInstallKeptDebianConfig(t *testing.T) {
	testnet.RequireTools(t, "nft", "iptables", "ip6tables")
	c := sesameKnock(t)
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	for _, fw := range []string{"nftables", "iptables"} {
		t.Run(fw, func(t *testing.T) {
			p := testnet.NewPair(t)
			p.Server.SSHD(t)
			root := t.TempDir()
			conf := filepath.Join(root, "etc/knockd.conf")
			if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(conf, []byte(testnet.DebianStockConf), 0o600); err != nil {
				t.Fatal(err)
			}
			installCmd := func(extra ...string) (string, error) {
				args := append([]string{"SSH_CONNECTION=192.0.2.2 50022 192.0.2.1 22", bin, "install", "--firewall", fw,
					"--root", root, "--no-systemctl", "--binary", bin}, extra...)
				return p.Server.Try("env", args...)
			}
			before := ruleset(t, p.Server, fw)
			out, err := installCmd()
			if err == nil || !strings.Contains(out, "door [openSSH] (line 4)") || !strings.Contains(out, "--rewrite-config") {
				t.Fatalf("install with Debian's stock config kept: %v, want a refusal naming the door and the fix:\n%s", err, out)
			}
			if after := ruleset(t, p.Server, fw); after != before {
				t.Fatalf("a refused install changed the firewall:\n%s", after)
			}
			if out, err := installCmd("--rewrite-config"); err != nil {
				t.Fatalf("install --rewrite-config: %v\n%s", err, out)
			}
			s := p.Server.Start(t, bin, "-c", conf, "-i", testnet.ServerIf, "-v", "-p", filepath.Join(root, "pid"))
			s.WaitOutput(t, "listening on "+testnet.ServerIf)
			if reachable(t, p, testnet.ServerAddr6) {
				t.Fatal("port 22 is open before any knock")
			}
			c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000", "9000")
			waitReachable(t, p, testnet.ServerAddr6, true)
			c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "9000", "8000", "7000")
			waitReachable(t, p, testnet.ServerAddr6, false)
			if err := s.Signal(unix.SIGTERM); err != nil {
				t.Fatal(err)
			}
			<-s.Done()
			if out, err := p.Server.Try(bin, "uninstall", "--root", root, "--no-systemctl"); err != nil {
				t.Fatalf("uninstall: %v\n%s", err, out)
			}
			if b, _ := os.ReadFile(conf); string(b) != testnet.DebianStockConf {
				t.Fatalf("uninstall did not put the original config back:\n%s", b)
			}
		})
	}
}
