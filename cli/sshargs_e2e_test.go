//go:build linux

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// TestConnectTakesSSHArguments logs in with ssh's own flags winning over a
// profile whose user and port are wrong and whose key is not where ssh
// looks by default, through a real knockd door to a real sshd.
func TestConnectTakesSSHArguments(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.sesame(t, "profile", "add", "bare", "--host", testnet.ServerAddr4.String(), "--user", "nobody", "--port", "2222",
		"--open", "7000,8000,9000", "--close", "9000,8000,7000")
	moved := filepath.Join(d.home, "elsewhere")
	if err := os.Rename(d.key, moved); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"-l -p -i", []string{"-l", "root", "-p", "22", "-i", moved, "-o", "StrictHostKeyChecking=accept-new", "bare"}},
		{"user@NAME and -o", []string{"-o", "Port=22", "-o", "IdentityFile=~/elsewhere", "-o", "ServerAliveInterval=5", "root@bare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// -v after the name is the remote command's, not sesame's.
			args := append(append([]string{"connect"}, tt.args...), "echo", "-v", "$(id -un)")
			out, errOut, code := d.try(t, args...)
			if code != 0 || out != "-v root\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and \"-v root\"", code, out, errOut)
			}
			d.assertClosed(t)
		})
	}
	// StrictHostKeyChecking=yes refuses an unknown key without asking.
	if err := os.Remove(d.knownHosts()); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := d.try(t, "connect", "-o", "StrictHostKeyChecking=yes", "-i", moved, "web", "true")
	if code != 255 || !strings.Contains(errOut, "StrictHostKeyChecking is yes") {
		t.Fatalf("exit %d, stderr %q; want 255 and a refusal", code, errOut)
	}
	d.assertClosed(t)
}

// TestConnectNoCommandHoldsTheDoor: -N keeps the door open with no
// session until Ctrl-C, then exits 0 and closes it.
func TestConnectNoCommandHoldsTheDoor(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	var out, errOut testnet.Buffer
	cmd := d.command(t, context.Background(), "connect", "-N", "-v", "web")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the login", func() bool { return strings.Contains(errOut.String(), "holding the connection") })
	if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door is not open while -N holds the connection")
	}
	if err := cmd.Process.Signal(unix.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("-N ended by Ctrl-C: %v, want exit 0; stderr %q", err, errOut.String())
	}
	d.assertClosed(t)
}

// TestConnectNoCommandNoticesALostLink: -N sends keepalives, so a link
// that goes silent ends it (255, "connection lost") and the door is
// knocked shut, rather than holding it open forever.
func TestConnectNoCommandNoticesALostLink(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	// A bound only so that a sesame that never notices fails the test
	// instead of hanging it, as try's.
	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	var out, errOut testnet.Buffer
	cmd := d.command(t, ctx, "connect", "-N", "-v", "-o", "ServerAliveInterval=1", "web")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the login", func() bool { return strings.Contains(errOut.String(), "holding the connection") })
	// The server goes silent: its firewall drops everything (knockd,
	// listening on the capture, still sees the close knock).
	d.pair.Server.Run(t, "iptables", "-w", "-I", "INPUT", "-j", "DROP")
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != 255 || !strings.Contains(errOut.String(), "connection lost") {
		t.Fatalf("exit %v, stderr %q; want 255 and connection lost", err, errOut.String())
	}
	d.pair.Server.Run(t, "iptables", "-w", "-D", "INPUT", "-j", "DROP")
	d.assertClosed(t)
}
