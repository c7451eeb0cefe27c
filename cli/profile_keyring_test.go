//go:build linux

package cli_test

import (
	"bytes"
	"fmt"
	"golang.org/x/sys/unix"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"sesame/internal/testnet"
)

// sesameRun runs the headless sesame binary with an environment.
type sesameRun struct {
	bin string
	env []string
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
}

// newSesame runs sesame with the test's environment changed by env (see
// withEnv).
func newSesame(t *testing.T, env ...string) *sesameRun {
	t.Helper()
	return &sesameRun{bin: testnet.Binary(t, "sesame", "headless"), env: withEnv(os.Environ(), env...)}
}

// withEnv returns base with each "KEY=value" of set replacing KEY; a bare
// "KEY" removes it.
func withEnv(base []string, set ...string) []string {
	out := append([]string{}, base...)
	for _, kv := range set {
		k, _, hasValue := strings.Cut(kv, "=")
		kept := out[:0]
		for _, e := range out {
			if !strings.HasPrefix(e, k+"=") {
				kept = append(kept, e)
			}
		}
		out = kept
		if hasValue {
			out = append(out, kv)
		}
	}
	return out
}

func (s *sesameRun) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run sesame %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (s *sesameRun) ok(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := s.run(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("sesame %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// loopSink is a UDP port on loopback that counts the knocks it gets.
func loopSink(t *testing.T) (*net.UDPConn, int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

// The secrets of the leak test: ports no other text here contains, and
// passwords no program would print by chance.
var (
	leakOpen       = "47311,52817:udp,38029"
	leakClose      = "38029,52817:udp,47311"
	leakPassword   = "Pw-7hQ!zR"
	leakPassphrase = "Kp-3vX?wL"
	leakOneTime    = []string{"41771,43313:udp", "45557,49991"}
)

// leakPatterns match every secret value of the given sequences and
// passwords: each port on its own (not inside a longer number) and each
// password.
func leakPatterns(seqs, passwords []string) map[string]*regexp.Regexp {
	pats := map[string]*regexp.Regexp{}
	for _, s := range seqs {
		for _, knock := range strings.Split(s, ",") {
			port, _, _ := strings.Cut(knock, ":")
			pats["port "+port] = regexp.MustCompile(`(^|[^0-9])` + port + `([^0-9]|$)`)
		}
	}
	for _, s := range passwords {
		pats["password "+s] = regexp.MustCompile(regexp.QuoteMeta(s))
	}
	return pats
}

// allSecrets match every secret of the leak test.
var allSecrets = leakPatterns(append([]string{leakOpen, leakClose}, leakOneTime...), []string{leakPassword, leakPassphrase})

// findLeaks returns the secrets text holds.
func findLeaks(text string) []string {
	var found []string
	for what, re := range allSecrets {
		if re.MatchString(text) {
			found = append(found, what)
		}
	}
	return found
}

// TestProfileSecretsNeverLeak makes profiles with distinctive secrets in
// the real keyring, runs every command, good and bad, and scans their
// output, every file in the config directory and an export without
// --with-secrets for any secret value.
func TestProfileSecretsNeverLeak(t *testing.T) {
	keyring.Require(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	s := newSesame(t, "SESAME_CONFIG_DIR="+config)
	oneTime := filepath.Join(dir, "vault_sequences")
	os.WriteFile(oneTime, []byte(strings.Join(leakOneTime, "\n")+"\n"), 0o600)
	conf := filepath.Join(dir, "knockd.conf")
	os.WriteFile(conf, []byte("[vault]\n  one_time_sequences = "+oneTime+"\n  start_command = true\n"), 0o600)
	export := filepath.Join(dir, "export.json")

	var seen bytes.Buffer
	record := func(r result) { seen.WriteString(r.stdout + r.stderr) }
	steps := []struct {
		stdin string
		args  []string
		fails bool
	}{
		{leakOpen + "\n" + leakClose + "\n" + leakPassword + "\n" + leakPassphrase + "\n",
			[]string{"profile", "add", "web", "--host", "127.0.0.1", "--user", "admin", "--open", "-", "--close", "-", "--password-stdin", "--passphrase-stdin"}, false},
		{"", []string{"profile", "import", conf, "--host", "127.0.0.1"}, false},
		{"", []string{"profile", "list"}, false},
		{"", []string{"profile", "list", "--json"}, false},
		{"", []string{"profile", "show", "web"}, false},
		{"", []string{"profile", "show", "vault"}, false},
		{"", []string{"profile", "show", "nope"}, true},
		{"", []string{"profile", "add", "web", "--host", "h", "--open", "1"}, true},
		{"", []string{"profile", "edit", "web", "--port", "70000"}, true},
		{"", []string{"profile", "edit", "web", "--open", "47311,99999"}, true},
		{"", []string{"profile", "edit", "web", "--close", "52817:icmp"}, true},
		{"", []string{"profile", "edit", "web", "--note", "edited"}, false},
		{"", []string{"profile", "export"}, false},
		{"", []string{"profile", "export", export}, false},
		{"", []string{"profile", "import", export}, false},
		{"", []string{"knock", "-v", "web"}, false},
		{"", []string{"knock", "-v", "--close", "web"}, false},
		{"", []string{"knock", "-v", "vault"}, false},
		{"", []string{"knock", "--close", "vault"}, true},
		{"", []string{"profile", "rename", "web", "web2"}, false},
		{"", []string{"knock", "web2"}, false},
		{"", []string{"profile", "rm", "vault"}, false},
	}
	for _, st := range steps {
		r := s.run(t, st.stdin, st.args...)
		if (r.code != 0) != st.fails {
			t.Fatalf("sesame %s: %v (want failure: %v)", strings.Join(st.args, " "), r, st.fails)
		}
		record(r)
		if leaks := findLeaks(r.stdout + r.stderr); len(leaks) > 0 {
			t.Errorf("sesame %s printed %v:\n%v", strings.Join(st.args, " "), leaks, r)
		}
	}

	// Every file Sesame wrote: the config directory and the export.
	files := []string{export}
	filepath.WalkDir(config, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if len(files) < 3 {
		t.Fatalf("found only %v: want the export, the settings file and the lock file", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if leaks := findLeaks(string(data)); len(leaks) > 0 {
			t.Errorf("%s holds %v", f, leaks)
		}
	}

	// The scan can fail: the secrets are there to find where they belong.
	reveal := s.ok(t, "", "profile", "show", "--reveal", "web2").stdout
	withSecrets := s.ok(t, "", "profile", "export", "--with-secrets").stdout
	for what, re := range leakPatterns([]string{leakOpen, leakClose}, []string{leakPassword, leakPassphrase}) {
		if !re.MatchString(reveal) || !re.MatchString(withSecrets) {
			t.Errorf("show --reveal or export --with-secrets lacks %s: the scan would not see it", what)
		}
	}
}

// TestProfileWithoutKeyring runs sesame where the keyring cannot be used:
// each problem gets one line that names it and says how to fix it, and
// commands that need no secrets keep working.
func TestProfileWithoutKeyring(t *testing.T) {
	env := keyring.Require(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	base := newSesame(t, "SESAME_CONFIG_DIR="+config)
	base.ok(t, "", "profile", "add", "web", "--host", "127.0.0.1", "--open", "1,2,3")

	tests := []struct {
		name string
		env  []string
		lock bool
		want string
	}{
		{"no session bus", []string{"DBUS_SESSION_BUS_ADDRESS"}, false, "no D-Bus session bus"},
		{"a bus address that leads nowhere", []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "none")}, false, "no D-Bus session bus"},
		{"no Secret Service on the bus", []string{"DBUS_SESSION_BUS_ADDRESS=" + env.BareBus(t)}, false, "start gnome-keyring-daemon --components=secrets (or enable KeePassXC's Secret Service integration)"},
		{"a locked keyring", nil, true, "the keyring is locked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.env) == 1 && tt.env[0] == "DBUS_SESSION_BUS_ADDRESS" {
				if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
					t.Skip("this machine has a user bus at /run/user/UID/bus, which sesame would find")
				}
			}
			if tt.lock {
				env.Lock(t)
				defer env.Unlock(t)
			}
			s := &sesameRun{bin: base.bin, env: withEnv(base.env, tt.env...)}
			for _, args := range [][]string{
				{"profile", "add", "db", "--host", "h", "--open", "1"},
				{"profile", "show", "web"},
				{"knock", "web"},
				{"profile", "rm", "web"},
			} {
				r := s.run(t, "", args...)
				if r.code != 1 || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("sesame %s: %v\nwant exit 1 and one line saying %q", strings.Join(args, " "), r, tt.want)
				}
			}
			// Listing needs no keyring.
			if r := s.run(t, "", "profile", "list"); r.code != 0 || !strings.Contains(r.stdout, "web") {
				t.Errorf("profile list without a keyring: %v", r)
			}
		})
	}
	// Nothing changed.
	if r := base.ok(t, "", "profile", "list"); strings.Contains(r.stdout, "db") || !strings.Contains(r.stdout, "web") {
		t.Fatalf("profiles after the failures:\n%s", r.stdout)
	}
}

// TestKnockNeedsNoKeyringOrConfig: sesame knock HOST PORT... works with no
// session bus, no keyring and no config directory, and creates none.
func TestKnockNeedsNoKeyringOrConfig(t *testing.T) {
	home := filepath.Join(t.TempDir(), "no-such-home")
	s := newSesame(t, "HOME="+home, "XDG_CONFIG_HOME", "SESAME_CONFIG_DIR", "DBUS_SESSION_BUS_ADDRESS")
	sink, port := loopSink(t)
	s.ok(t, "", "knock", "-u", "127.0.0.1", strconv.Itoa(port), strconv.Itoa(port))
	for i := 0; i < 2; i++ {
		sink.SetReadDeadline(time.Now().Add(30 * time.Second)) // only guards against a hang
		if _, err := sink.Read(make([]byte, 8)); err != nil {
			t.Fatalf("knock %d did not arrive: %v", i+1, err)
		}
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Fatalf("knock created %s (or it exists): %v", home, err)
	}
}

// TestPasswordPromptDoesNotEcho: on a terminal, --password-stdin prompts
// and reads without echo, so the password never shows on the screen.
func TestPasswordPromptDoesNotEcho(t *testing.T) {
	keyring.Require(t)
	s := newSesame(t, "SESAME_CONFIG_DIR="+filepath.Join(t.TempDir(), "config"))
	s.ok(t, "", "profile", "add", "web", "--host", "h", "--open", "1,2,3")

	cmd := exec.Command(s.bin, "profile", "edit", "web", "--password-stdin")
	cmd.Env = s.env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var screen bytes.Buffer
	read := func(until string) {
		t.Helper()
		buf := make([]byte, 256)
		for !strings.Contains(screen.String(), until) {
			tty.SetReadDeadline(time.Now().Add(30 * time.Second)) // only guards against a hang
			n, err := tty.Read(buf)
			screen.Write(buf[:n])
			if err != nil {
				t.Fatalf("reading the terminal for %q: %v; got %q", until, err, screen.String())
			}
		}
	}
	read("SSH password for web: ")
	// The prompt is printed just before echo goes off: type only once it
	// is off, as a person (slower than this test) always does.
	testnet.WaitFor(t, "the terminal's echo to go off", func() bool {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		return err == nil && tio.Lflag&unix.ECHO == 0
	})
	if _, err := tty.Write([]byte(leakPassword + "\r")); err != nil {
		t.Fatal(err)
	}
	read("updated profile web")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sesame: %v; terminal: %q", err, screen.String())
	}
	if strings.Contains(screen.String(), leakPassword) {
		t.Fatalf("the password was echoed: %q", screen.String())
	}
	if out := s.ok(t, "", "profile", "show", "--reveal", "web").stdout; !strings.Contains(out, leakPassword) {
		t.Fatalf("the password typed was not saved:\n%s", out)
	}
}
