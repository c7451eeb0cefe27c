//go:build linux

package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestInstallFindsSessionWithoutSSHConnection: `sesamed install` run
// through a real SSH login with SSH_CONNECTION gone, as sudo's env_reset
// leaves it, still keeps the admin's address allowed: found in the login
// shell's environment, or — with no shell between (exec env -i) — from the
// sshd session's own connection. Another address and IPv6 are guarded.
func TestInstallFindsSessionWithoutSSHConnection(t *testing.T) {
	testnet.RequireTools(t, "nft", "ssh")
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	for _, tc := range []struct{ name, prefix, suffix, how string }{
		// The login shell stays as the parent (two commands), as it does
		// above sudo.
		{"shell environment", "env -u SSH_CONNECTION", "; exit $?", "found the session from SSH_CONNECTION of parent process"},
		{"sshd connection", "exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin", "", "found the session from the connection of sshd process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testnet.NewPair(t)
			sshd := p.Server.SSHD(t)
			home := sshd.ClientHome(t, "")
			root := t.TempDir()
			remote := tc.prefix + " " + bin + " install --firewall nftables --root " + root + " --no-systemctl --binary " + bin + tc.suffix
			ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
			defer cancel()
			out, err := p.Client.Command(ctx, "ssh", "-F", "/dev/null", "-i", filepath.Join(home, ".ssh", "id_ed25519"),
				"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
				"root@"+testnet.ServerAddr4.String(), remote).CombinedOutput()
			if err != nil {
				t.Fatalf("install over ssh without SSH_CONNECTION: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.how) {
				t.Errorf("install did not say where it found the session (%q):\n%s", tc.how, out)
			}
			b, err := os.ReadFile(filepath.Join(root, "var/lib/sesamed/install.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rec struct{ Allowed []string }
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(rec.Allowed, testnet.ClientAddr4.String()+"/32") {
				t.Fatalf("the session's address %s is not kept allowed: %q\n%s", testnet.ClientAddr4, rec.Allowed, out)
			}
			if !reachable(t, p, testnet.ServerAddr4) {
				t.Fatal("install cut the SSH session's address off")
			}
			if reachable(t, p, testnet.ServerAddr6) {
				t.Fatal("port 22 is open to the client's IPv6 address, which is not the session's")
			}
			if out, err := p.Server.Try(bin, "uninstall", "--root", root, "--no-systemctl"); err != nil {
				t.Fatalf("uninstall: %v\n%s", err, out)
			}
		})
	}
}
