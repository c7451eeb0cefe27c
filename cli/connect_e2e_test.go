//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// sshDoor is a real sshd behind a knock server (the real knockd, or
// sesamed) running the guides' knockd.conf in a server namespace, and a
// client with a home (key, known_hosts) and a profile "web" in the real
// keyring.
type sshDoor struct {
	pair   *testnet.Pair
	sshd   *testnet.SSHD
	home   string
	config string
	key    string
}

// The knock servers the connect tests run against.
const (
	guardKnockd  = "knockd"
	guardSesamed = "sesamed"
)

var guards = []string{guardKnockd, guardSesamed}

func newSSHDoor(t testing.TB, guard string) *sshDoor {
	t.Helper()
	testnet.RequireTools(t, "knockd")
	d := newSSHHost(t)
	switch guard {
	case guardKnockd:
		d.pair.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)
	case guardSesamed:
		d.pair.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf)
	default:
		t.Fatalf("unknown knock server %q", guard)
	}
	d.sesame(t, "profile", "add", "web", "--host", testnet.ServerAddr4.String(), "--user", "root",
		"--open", "7000,8000,9000", "--close", "9000,8000,7000")
	return d
}

// newSSHHost is the server and client of an sshDoor with no door yet and
// no profile: a real sshd behind the guides' baseline (port 22 dropped),
// and a client whose key the server takes.
func newSSHHost(t testing.TB, sshdConfig ...string) *sshDoor {
	t.Helper()
	keyring.Require(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "iptables", "ssh-keygen")
	d := &sshDoor{pair: testnet.NewPair(t), home: t.TempDir(), config: filepath.Join(t.TempDir(), "config")}
	d.pair.Server.GuardSSH(t)
	d.sshd = d.pair.Server.SSHD(t, sshdConfig...)

	d.key = filepath.Join(d.home, ".ssh", "id_ed25519")
	if err := os.MkdirAll(filepath.Dir(d.key), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d.key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(d.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.sshd.AuthorizedKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

// openSSH runs the real OpenSSH client in the client namespace, with
// ProxyCommand='sesame proxy PROFILE', and returns its combined output.
func (d *sshDoor) openSSH(t testing.TB, profile string, remote ...string) (string, error) {
	t.Helper()
	testnet.RequireTools(t, "ssh")
	bin := testnet.Binary(t, "sesame", "headless")
	proxy := "env HOME=" + d.home + " SESAME_CONFIG_DIR=" + d.config + " " + bin + " proxy " + profile
	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	cmd := d.pair.Client.Command(ctx, "ssh", append([]string{"-F", "/dev/null", "-i", d.key,
		"-o", "UserKnownHostsFile=" + d.knownHosts(), "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "-o", "ProxyCommand=" + proxy,
		"root@" + testnet.ServerAddr4.String()}, remote...)...)
	// ssh's standard error is a file, not a pipe: sesame proxy inherits it
	// and, as it must, outlives ssh while it sends the close knock; a pipe
	// it holds would make Wait give up on the output (WaitDelay).
	errFile, err := os.CreateTemp(t.TempDir(), "ssh-stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, errFile
	err = cmd.Run()
	stderr, _ := os.ReadFile(errFile.Name())
	return stdout.String() + string(stderr), err
}

func (d *sshDoor) knownHosts() string { return filepath.Join(d.home, ".ssh", "known_hosts") }

// trust records the server's real key in the client's known_hosts.
func (d *sshDoor) trust(t testing.TB) {
	t.Helper()
	if err := os.WriteFile(d.knownHosts(), []byte(testnet.ServerAddr4.String()+" "+d.sshd.HostKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// command is the sesame binary run in the client namespace with the
// client's home and config.
func (d *sshDoor) command(t testing.TB, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	bin := testnet.Binary(t, "sesame", "headless")
	argv := append([]string{"HOME=" + d.home, "SESAME_CONFIG_DIR=" + d.config, "SSH_AUTH_SOCK=", bin}, args...)
	return d.pair.Client.Command(ctx, "env", argv...)
}

// sesame runs the binary and fails the test unless it exits 0.
func (d *sshDoor) sesame(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := d.try(t, args...)
	if code != 0 {
		t.Fatalf("sesame %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// try runs the binary and returns its stdout, stderr and exit status.
func (d *sshDoor) try(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := d.command(t, ctx, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run sesame: %v", err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func (d *sshDoor) assertClosed(t testing.TB) {
	t.Helper()
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

func TestConnectRunsCommand(t *testing.T) {
	for _, guard := range guards {
		t.Run(guard, func(t *testing.T) {
			d := newSSHDoor(t, guard)
			d.trust(t)
			out, errOut, code := d.try(t, "connect", "web", "--", "echo", "ok")
			if code != 0 || strings.TrimSpace(out) != "ok" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and ok", code, out, errOut)
			}
			d.assertClosed(t)

			// Without -- too, as with ssh; the remote command's flags are its own.
			out, _, code = d.try(t, "connect", "web", "echo", "-n", "two", "words")
			if code != 0 || out != "two words" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			d.assertClosed(t)
		})
	}
}

func TestConnectReturnsRemoteStatus(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	_, _, code := d.try(t, "connect", "web", "--", "exit", "7")
	if code != 7 {
		t.Fatalf("exit %d, want the remote 7", code)
	}
	d.assertClosed(t)
}

func TestConnectRefusesUnknownKeyWithoutTerminal(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	_, errOut, code := d.try(t, "connect", "web", "--", "true")
	if code != 255 || !strings.Contains(errOut, "--accept-new") || !strings.Contains(errOut, "SHA256:") {
		t.Fatalf("exit %d, stderr %q; want 255 and a refusal that names --accept-new and the fingerprint", code, errOut)
	}
	if _, err := os.Stat(d.knownHosts()); !os.IsNotExist(err) {
		t.Fatalf("known_hosts written after a refusal (stat: %v)", err)
	}
	d.assertClosed(t)

	// --accept-new saves it, and the next run needs no flag.
	d.sesame(t, "connect", "--accept-new", "web", "--", "true")
	d.assertClosed(t)
	d.sesame(t, "connect", "web", "--", "true")
}

func TestConnectRefusesChangedKey(t *testing.T) {
	d := newSSHDoor(t, guardSesamed)
	other := filepath.Join(t.TempDir(), "k")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub, _ := os.ReadFile(other + ".pub")
	if err := os.WriteFile(d.knownHosts(), []byte(testnet.ServerAddr4.String()+" "+string(pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := d.try(t, "connect", "--accept-new", "web", "--", "true")
	if code != 255 || !strings.Contains(errOut, "REMOTE HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("exit %d, stderr %q; want a refusal", code, errOut)
	}
	d.assertClosed(t)
}

// TestConnectClosesDoorOnSignals ends a running session with each signal a
// terminal session meets, and checks the door is shut every time.
func TestConnectClosesDoorOnSignals(t *testing.T) {
	for _, guard := range guards {
		t.Run(guard, func(t *testing.T) {
			d := newSSHDoor(t, guard)
			d.trust(t)
			for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGHUP, unix.SIGINT} {
				t.Run(sig.String(), func(t *testing.T) {
					var out, errOut testnet.Buffer
					cmd := d.command(t, context.Background(), "connect", "web", "--", "echo started; sleep 60")
					cmd.Stdout, cmd.Stderr = &out, &errOut
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					testnet.WaitFor(t, "the remote command to start", func() bool { return strings.Contains(out.String(), "started") })
					if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
						t.Fatal("the door is not open during the session")
					}
					// The signal goes to sesame itself (ip netns exec execs env,
					// which execs sesame: one process).
					if err := cmd.Process.Signal(sig); err != nil {
						t.Fatal(err)
					}
					err := cmd.Wait()
					if err == nil {
						t.Fatalf("sesame exited 0 after %s", sig)
					}
					d.assertClosed(t)
				})
			}
		})
	}
}

func TestConnectClosesDoorWhenServerDies(t *testing.T) {
	for _, guard := range guards {
		t.Run(guard, func(t *testing.T) {
			d := newSSHDoor(t, guard)
			d.trust(t)
			var out, errOut testnet.Buffer
			cmd := d.command(t, context.Background(), "connect", "web", "--", "echo started; sleep 60")
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			testnet.WaitFor(t, "the remote command to start", func() bool { return strings.Contains(out.String(), "started") })
			d.pair.Server.Kill(t, "sshd", unix.SIGKILL)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(errOut.String(), "connection lost") {
				t.Fatalf("exit %v, stderr %q; want 255 and connection lost", err, errOut.String())
			}
			d.assertClosed(t)
		})
	}
}

// TestConnectInteractive drives a login shell through a real pseudo-
// terminal, as a person at a terminal would.
func TestConnectInteractive(t *testing.T) {
	d := newSSHDoor(t, guardSesamed)
	d.trust(t)
	cmd := d.command(t, context.Background(), "connect", "web")
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	// pty makes sesame a session leader with the terminal; a process group
	// of its own would conflict with that.
	cmd.SysProcAttr = &unix.SysProcAttr{}
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var screen testnet.Buffer
	go func() { _, _ = copyAll(&screen, ptmx) }()

	if _, err := ptmx.Write([]byte("echo h''i; tput cols\r")); err != nil {
		t.Fatal(err)
	}
	// "hi" followed by 100 only appears once the shell ran the command (the
	// typed text is h''i), and 100 shows the terminal size reached the server.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screen:\n%q", screen.String())
		}
	})
	testnet.WaitFor(t, "the shell to answer", func() bool {
		return strings.Contains(screen.String(), "hi\r\n100\r\n")
	})
	if _, err := ptmx.Write([]byte("exit 4\r")); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("exit %v, want the shell's 4; screen:\n%s", err, screen.String())
	}
	d.assertClosed(t)
}

// TestProxyWithOpenSSH runs the real OpenSSH client with
// ProxyCommand='sesame proxy web'.
func TestProxyWithOpenSSH(t *testing.T) {
	for _, guard := range guards {
		t.Run(guard, func(t *testing.T) {
			d := newSSHDoor(t, guard)
			d.trust(t)
			out, err := d.openSSH(t, "web", "echo", "proxied")
			if err != nil || !strings.Contains(out, "proxied") {
				t.Fatalf("ssh through sesame proxy: %v\n%s", err, out)
			}
			d.assertClosed(t)
		})
	}
}

func TestProxyFindsProfileByHost(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	_, errOut, code := d.try(t, "proxy", "no-such-profile")
	if code != 255 || !strings.Contains(errOut, "no profile named") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func copyAll(w *testnet.Buffer, r *os.File) (int64, error) {
	buf := make([]byte, 4096)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			w.Write(buf[:k])
			n += int64(k)
		}
		if err != nil {
			return n, err
		}
	}
}
