//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestSSHConfigInstalledReachesSSHD: after `sesame ssh-config --install`,
// the real OpenSSH client, given nothing but the alias, knocks through a
// real knockd door (sesame proxy), runs a command on the real sshd, and
// the door is shut after it; --uninstall leaves the user's config as it
// was, byte for byte.
func TestSSHConfigInstalledReachesSSHD(t *testing.T) {
	testnet.RequireTools(t, "ssh")
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	config := filepath.Join(d.home, ".ssh", "config")
	mine := "# my own settings\nHost *\n    ServerAliveInterval 30\n"
	if err := os.WriteFile(config, []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := testnet.Binary(t, "sesame", "headless")
	d.sesame(t, "ssh-config", "--install", "--command", bin)

	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	// ssh reads ~/.ssh from the password database, not $HOME: name the
	// files. The ProxyCommand inherits HOME and SESAME_CONFIG_DIR.
	cmd := d.pair.Client.Command(ctx, "env", "HOME="+d.home, "SESAME_CONFIG_DIR="+d.config, "SSH_AUTH_SOCK=",
		"ssh", "-F", config, "-i", d.key, "-o", "UserKnownHostsFile="+d.knownHosts(), "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "web", "echo", "through the door")
	// A file, not a pipe, for stderr: sesame proxy outlives ssh while it
	// sends the close knock (see openSSH).
	errFile, err := os.CreateTemp(t.TempDir(), "ssh-stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, errFile
	err = cmd.Run()
	stderr, _ := os.ReadFile(errFile.Name())
	if err != nil || strings.TrimSpace(out.String()) != "through the door" {
		t.Fatalf("ssh web: %v, stdout %q, stderr %s", err, out.String(), stderr)
	}
	d.assertClosed(t)

	d.sesame(t, "ssh-config", "--uninstall")
	if got, _ := os.ReadFile(config); string(got) != mine {
		t.Fatalf("after --uninstall the config is %q, want %q", got, mine)
	}
}
