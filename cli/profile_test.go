package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"sesame/internal/clock"
	"sesame/profiles"
)

// profileEnv runs the command line on a store of its own: a temporary
// config directory and an in-memory keyring (the store's own tests use the
// real one; these test the commands above it).
type profileEnv struct {
	t   *testing.T
	dir string
	kr  *profiles.MemKeyring
	// clock, when set, is the commands' clock.
	clock clock.Clock
}

func newProfileEnv(t *testing.T) *profileEnv {
	return &profileEnv{t: t, dir: filepath.Join(t.TempDir(), "config"), kr: profiles.NewMemKeyring()}
}

func (e *profileEnv) store() *profiles.Store { return profiles.NewStore(e.dir, e.kr) }

// run runs sesame with args and stdin, returning the exit status and output.
func (e *profileEnv) run(stdin string, args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	deps := Deps{
		IO:       IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut},
		Resolver: noDNS,
		Profiles: func() (*profiles.Store, error) { return e.store(), nil },
		Clock:    e.clock,
	}
	code = Main(context.Background(), args, deps)
	return code, out.String(), errOut.String()
}

// ok runs sesame and fails the test unless it exits 0.
func (e *profileEnv) ok(stdin string, args ...string) string {
	e.t.Helper()
	code, stdout, stderr := e.run(stdin, args...)
	if code != ExitOK {
		e.t.Fatalf("sesame %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// state is everything the store holds, secrets included, to check that a
// failed command changed nothing.
func (e *profileEnv) state() string {
	e.t.Helper()
	list, err := e.store().List()
	if err != nil {
		e.t.Fatal(err)
	}
	for i, p := range list {
		if list[i], err = e.store().Get(p.Name); err != nil {
			e.t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := profiles.Export(&buf, list, true); err != nil {
		e.t.Fatal(err)
	}
	return buf.String()
}

func (e *profileEnv) get(name string) *profiles.Profile {
	e.t.Helper()
	p, err := e.store().Get(name)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestProfileAddListShow(t *testing.T) {
	e := newProfileEnv(t)
	key := privateKeyFile(t)
	out := e.ok("", "profile", "add", "web", "--host", "web.example.com", "--open", "17001,17002:udp,17003",
		"--close", "17003,17002:udp,17001", "--delay", "150", "--wait", "1.5s", "--user", "admin", "--port", "2222",
		"--identity", key, "--family", "6", "--note", "rack 4")
	if out != "added profile web\n" {
		t.Fatalf("add said %q", out)
	}
	e.ok("", "profile", "add", "db", "--host", "192.0.2.7", "--open", "17005")

	p := e.get("web")
	if p.Host != "web.example.com" || p.Port != 2222 || p.User != "admin" || p.IdentityFile != key ||
		p.Family.String() != "6" || p.Delay.String() != "150ms" || p.Wait.String() != "1.5s" || p.Note != "rack 4" ||
		p.Secrets.Open.String() != "17001,17002:udp,17003" || p.Secrets.Close.String() != "17003,17002:udp,17001" {
		t.Fatalf("stored profile %+v", p)
	}

	list := e.ok("", "profile", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "db ") ||
		!strings.Contains(lines[2], "web.example.com") || !strings.Contains(lines[2], "2222") || !strings.Contains(lines[2], "never") {
		t.Fatalf("list:\n%s", list)
	}
	var js []map[string]any
	if err := json.Unmarshal([]byte(e.ok("", "profile", "list", "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 2 || js[1]["name"] != "web" || js[1]["port"] != 2222.0 || js[1]["delay"] != "150ms" || js[0]["port"] != 22.0 {
		t.Fatalf("list --json: %v", js)
	}

	show := e.ok("", "profile", "show", "WEB")
	for _, want := range []string{"name:", "web.example.com", "2222", "admin", "150ms", "rack 4", "(hidden: --reveal shows it)", "password:", "(not saved)"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "17001") {
		t.Fatalf("show without --reveal printed a sequence:\n%s", show)
	}
	reveal := e.ok("", "profile", "show", "web", "--reveal")
	if !strings.Contains(reveal, "17001,17002:udp,17003") || !strings.Contains(reveal, "17003,17002:udp,17001") {
		t.Fatalf("show --reveal:\n%s", reveal)
	}
}

func TestProfileSecretsFromStdin(t *testing.T) {
	e := newProfileEnv(t)
	// One line each, in the order open, close, password, passphrase.
	e.ok("1001,1002\n1002,1001\npw one\nphrase two\n", "profile", "add", "a", "--host", "h",
		"--open", "-", "--close", "-", "--password-stdin", "--passphrase-stdin")
	p := e.get("a")
	if p.Secrets.Open.String() != "1001,1002" || p.Secrets.Close.String() != "1002,1001" ||
		p.Secrets.Password != "pw one" || p.Secrets.Passphrase != "phrase two" {
		t.Fatalf("secrets %+v", p.Secrets)
	}
	e.ok("", "profile", "edit", "a", "--forget-password")
	if p := e.get("a"); p.Secrets.Password != "" || p.Secrets.Passphrase != "phrase two" {
		t.Fatalf("after --forget-password: %+v", p.Secrets)
	}
	e.ok("new pw\r\n", "profile", "edit", "a", "--password-stdin")
	if p := e.get("a"); p.Secrets.Password != "new pw" {
		t.Fatalf("after --password-stdin: %q", p.Secrets.Password)
	}
}

func TestProfileEdit(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "h1", "--open", "1,2,3", "--close", "3,2,1", "--user", "u", "--port", "2200", "--delay", "100")
	if out := e.ok("", "profile", "edit", "a", "--host", "h2", "--wait", "250"); out != "updated profile a\n" {
		t.Fatalf("edit said %q", out)
	}
	p := e.get("a")
	if p.Host != "h2" || p.Wait.String() != "250ms" || p.User != "u" || p.Port != 2200 || p.Delay.String() != "100ms" ||
		p.Secrets.Open.String() != "1,2,3" || p.Secrets.Close.String() != "3,2,1" {
		t.Fatalf("after edit: %+v", p)
	}
	e.ok("", "profile", "edit", "a", "--close", "", "--user", "", "--port", "0")
	if p := e.get("a"); len(p.Secrets.Close) != 0 || p.User != "" || p.Port != 0 {
		t.Fatalf("after clearing: %+v", p)
	}
}

// TestProfileEditOneFlag: any one profile flag is a change on its own.
func TestProfileEditOneFlag(t *testing.T) {
	tests := []struct {
		args  []string
		check func(p *profiles.Profile) bool
	}{
		{[]string{"--keepalive", "5s"}, func(p *profiles.Profile) bool { return p.Keepalive == 5*time.Second }},
		{[]string{"--keepalive-max", "4"}, func(p *profiles.Profile) bool { return p.KeepaliveMax == 4 }},
		{[]string{"--auto-reconnect"}, func(p *profiles.Profile) bool { return p.AutoReconnect }},
		{[]string{"--delay", ""}, func(p *profiles.Profile) bool { return p.Delay == 0 }},
		{[]string{"--wait", "1.5s"}, func(p *profiles.Profile) bool { return p.Wait == 1500*time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := newProfileEnv(t)
			e.ok("", "profile", "add", "a", "--host", "h", "--open", "1,2,3", "--delay", "100")
			e.ok("", append([]string{"profile", "edit", "a"}, tt.args...)...)
			if p := e.get("a"); !tt.check(p) {
				t.Errorf("after edit %v: %+v", tt.args, p)
			}
		})
	}
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "h", "--open", "1,2,3")
	if code, _, stderr := e.run("", "profile", "edit", "a", "--keepalive", "500ms"); code != ExitUsage || !strings.Contains(stderr, "--keepalive: must be between 1s and 10m") {
		t.Fatalf("--keepalive 500ms: exit %d %q", code, stderr)
	}
}

func TestProfileRenameAndRm(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "h", "--open", "1,2,3")
	if out := e.ok("", "profile", "rename", "a", "b"); out != "renamed profile a to b\n" {
		t.Fatalf("rename said %q", out)
	}
	if e.get("b").Secrets.Open.String() != "1,2,3" {
		t.Fatal("b lost a's secrets")
	}
	if out := e.ok("", "profile", "rm", "b"); out != "removed profile b\n" {
		t.Fatalf("rm said %q", out)
	}
	if list, _ := e.store().List(); len(list) != 0 || e.kr.Len() != 0 {
		t.Fatalf("after rm: %d profiles, %d keyring entries", len(list), e.kr.Len())
	}
}

// TestProfileBadInput: every bad input gets one line naming the problem,
// exit status 2, and changes nothing.
func TestProfileBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.conf")
	os.WriteFile(broken, []byte("[openSSH]\n  sequence = 7000,8000\n  command = true\n[closeSSH]\n  sequence = 9000,41234:icmp\n"), 0o600)
	noHost := filepath.Join(dir, "export.json")
	os.WriteFile(noHost, []byte(`{"format": "sesame-profiles", "version": 1, "profiles": []}`), 0o600)
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte("{\"format\": \"sesame-profiles\",\n\"profiles\": [41234 x]}"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"add a duplicate", []string{"profile", "add", "web", "--host", "h", "--open", "1"}, `a profile named "web" exists`},
		{"add a duplicate in another case", []string{"profile", "add", "WEB", "--host", "h", "--open", "1"}, `"web" exists`},
		{"add without --open", []string{"profile", "add", "x", "--host", "h"}, "need --host and --open"},
		{"add without --host", []string{"profile", "add", "x", "--open", "1"}, "need --host and --open"},
		{"add port 70000", []string{"profile", "add", "x", "--host", "h", "--open", "1", "--port", "70000"}, "port: 70000 is not a port"},
		{"add a bad sequence", []string{"profile", "add", "x", "--host", "h", "--open", "41234,99999"}, "--open: a knock is wrong: port must be a number from 1 to 65535"},
		{"add a bad protocol", []string{"profile", "add", "x", "--host", "h", "--open", "41234:icmp"}, "--open: a knock is wrong"},
		{"add a bad delay", []string{"profile", "add", "x", "--host", "h", "--open", "1", "--delay", "soon"}, "--delay: bad delay"},
		{"add a bad family", []string{"profile", "add", "x", "--host", "h", "--open", "1", "--family", "5"}, "--family: unknown address family"},
		{"add a wait too long", []string{"profile", "add", "x", "--host", "h", "--open", "1", "--wait", "10m"}, "wait: must be between 0 and 5m"},
		{"add a bad name", []string{"profile", "add", "a/b", "--host", "h", "--open", "1"}, `"a/b" has a slash, so it cannot be an ssh Host alias: use "a-b"`},
		{"add a host with a user", []string{"profile", "add", "x", "--host", "root@h", "--open", "1"}, "host: must be a host name"},
		{"add two problems", []string{"profile", "add", "x", "--host", "h h", "--open", "1", "--port", "-1"}, "; "},
		{"add with --open - and no input", []string{"profile", "add", "x", "--host", "h", "--open", "-"}, "read the open sequence from standard input"},
		{"add with an unknown flag", []string{"profile", "add", "x", "--hots", "h"}, "unknown flag --hots: see sesame profile add --help"},
		{"edit an unknown profile", []string{"profile", "edit", "nope", "--host", "h"}, `no profile named "nope"`},
		{"edit with nothing to change", []string{"profile", "edit", "web"}, "nothing to change"},
		{"edit port 70000", []string{"profile", "edit", "web", "--port", "70000"}, "port: 70000"},
		{"edit a bad sequence", []string{"profile", "edit", "web", "--close", "0"}, "--close: a knock is wrong"},
		{"show an unknown profile", []string{"profile", "show", "nope"}, `no profile named "nope"`},
		{"show without a name", []string{"profile", "show"}, "wrong number of arguments (0 given): usage: sesame profile show NAME"},
		{"rm an unknown profile", []string{"profile", "rm", "nope"}, `no profile named "nope"`},
		{"rename an unknown profile", []string{"profile", "rename", "nope", "x"}, `no profile named "nope"`},
		{"rename onto another", []string{"profile", "rename", "web", "db"}, `a profile named "db" exists`},
		{"rename to a bad name", []string{"profile", "rename", "web", "-x"}, "unknown flag -x"},
		{"rename to a bad name after --", []string{"profile", "rename", "--", "web", "-x"}, "name: must not start with -"},
		{"import a directory", []string{"profile", "import", dir, "--host", "h"}, "cannot read " + dir + ": is a directory"},
		{"add a name like a port", []string{"profile", "add", "7000", "--host", "h", "--open", "1"}, "name: must not be a port list"},
		{"import an unreadable file", []string{"profile", "import", filepath.Join(dir, "missing.conf"), "--host", "h"}, "cannot read " + filepath.Join(dir, "missing.conf") + ": no such file or directory"},
		{"import a broken knockd.conf", []string{"profile", "import", broken, "--host", "h"}, broken + ":5: "},
		{"import a knockd.conf without --host", []string{"profile", "import", broken}, "give --host"},
		{"import a knockd.conf with a bad host", []string{"profile", "import", broken, "--host", "a b"}, "--host: must be a host name"},
		{"import an export with --host", []string{"profile", "import", noHost, "--host", "h"}, "--host is for knockd.conf files"},
		{"import broken JSON", []string{"profile", "import", badJSON}, badJSON + ":2: not valid JSON"},
		{"knock an unknown profile", []string{"knock", "nope"}, `no profile named "nope"`},
		{"knock --close a profile without one", []string{"knock", "--close", "db"}, "profile db has no close sequence"},
		{"knock a profile with -u", []string{"knock", "-u", "web"}, "--udp is for HOST PORT"},
		{"knock a profile with -d", []string{"knock", "web", "-d", "10"}, "--delay is for HOST PORT"},
		{"knock --close a host", []string{"knock", "--close", "127.0.0.1", "7000"}, "--close needs a profile name"},
		{"knock a lone port", []string{"knock", "7000"}, "need a host and at least one port"},
		{"knock a profile with -4 and -6", []string{"knock", "-4", "-6", "web"}, "-4 and -6 cannot be used together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProfileEnv(t)
			e.ok("", "profile", "add", "web", "--host", "192.0.2.1", "--open", "17001,17002", "--close", "17002,17001")
			e.ok("", "profile", "add", "db", "--host", "192.0.2.2", "--open", "17003")
			before := e.state()
			code, stdout, stderr := e.run("", tt.args...)
			want := ExitUsage
			if tt.args[0] == "knock" {
				want = ExitKnock // as knock(1)
			}
			if code != want {
				t.Errorf("exit %d, want %d; stderr %q", code, want, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q, want it to say %q", stderr, tt.want)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "sesame ") {
				t.Errorf("stderr %q is not one line starting with the command", stderr)
			}
			for _, secret := range []string{"17001", "17002", "17003", "41234"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("output quotes the secret %s: %q %q", secret, stdout, stderr)
				}
			}
			if after := e.state(); after != before {
				t.Errorf("the store changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

func TestProfileExportImport(t *testing.T) {
	src := newProfileEnv(t)
	src.ok("", "profile", "add", "web", "--host", "web.example.com", "--open", "17001,17002", "--close", "17002,17001", "--note", "n", "--port", "2222")
	src.ok("pw-Xq7!\n", "profile", "add", "db", "--host", "db.example.com", "--open", "17003", "--password-stdin")
	dir := t.TempDir()

	plain := filepath.Join(dir, "plain.json")
	code, stdout, stderr := src.run("", "profile", "export", plain)
	if code != 0 || stdout != "" || strings.Contains(stderr, "warning") {
		t.Fatalf("export: exit %d %q %q", code, stdout, stderr)
	}
	data, _ := os.ReadFile(plain)
	for _, secret := range []string{"17001", "17003", "pw-Xq7!"} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("export without --with-secrets holds %s:\n%s", secret, data)
		}
	}
	if fi, _ := os.Stat(plain); fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file mode %v, want 0600", fi.Mode().Perm())
	}
	if out := src.ok("", "profile", "export"); out != string(data) {
		t.Fatalf("export to stdout differs from the file:\n%s", out)
	}

	withSecrets := filepath.Join(dir, "secrets.json")
	code, _, stderr = src.run("", "profile", "export", "--with-secrets", withSecrets)
	if code != 0 || !strings.Contains(stderr, "warning: the export holds secrets") {
		t.Fatalf("export --with-secrets: exit %d, stderr %q", code, stderr)
	}

	dst := newProfileEnv(t)
	out := dst.ok("", "profile", "import", plain)
	if !strings.Contains(out, "skipped db: the file has no secrets") || !strings.Contains(out, "nothing imported") {
		t.Fatalf("import of an export without secrets:\n%s", out)
	}
	out = dst.ok("", "profile", "import", withSecrets)
	if !strings.Contains(out, "created db") || !strings.Contains(out, "created web") {
		t.Fatalf("import:\n%s", out)
	}
	if dst.state() != src.state() {
		t.Fatalf("imported store differs:\n%s\nsource:\n%s", dst.state(), src.state())
	}
	// Again: nothing is overwritten without --force.
	dst.ok("", "profile", "edit", "web", "--note", "changed here")
	out = dst.ok("", "profile", "import", withSecrets)
	if !strings.Contains(out, `skipped web: a profile named "web" exists (--force replaces it)`) {
		t.Fatalf("second import:\n%s", out)
	}
	if dst.get("web").Note != "changed here" {
		t.Fatal("import without --force replaced a profile")
	}
	out = dst.ok("", "profile", "import", withSecrets, "--force")
	if !strings.Contains(out, "replaced web") || dst.get("web").Note != "n" {
		t.Fatalf("import --force:\n%s", out)
	}
}

func TestProfileImportKnockd(t *testing.T) {
	e := newProfileEnv(t)
	out := e.ok("", "profile", "import", "../knockdconf/testdata/guide-pair.conf", "--host", "door.example.com")
	want := "created SSH (from doors openSSH and closeSSH)\ncreated openHTTPS (from door openHTTPS)\n"
	if out != want {
		t.Fatalf("import said\n%s\nwant\n%s", out, want)
	}
	p := e.get("SSH")
	if p.Host != "door.example.com" || p.Secrets.Open.String() != "7000,8000,9000" || p.Secrets.Close.String() != "9000,8000,7000" {
		t.Fatalf("SSH = %+v", p)
	}
	// Mixed udp/tcp with start and stop commands: one profile, warnings.
	code, out, stderr := e.run("", "profile", "import", "../knockdconf/testdata/mixed.conf", "--host", "door.example.com")
	if code != 0 || out != "created opencloseSSH (from door opencloseSSH)\n" ||
		!strings.Contains(stderr, "closes by itself 5s after opening") || !strings.Contains(stderr, "flags syn,ack") {
		t.Fatalf("mixed: exit %d\n%s%s", code, out, stderr)
	}
	if got := e.get("opencloseSSH").Secrets.Open.String(); got != "2222:udp,3333,4444:udp" {
		t.Fatalf("mixed sequence %s", got)
	}
	// A door whose one-time file cannot be read is skipped, saying why.
	out = e.ok("", "profile", "import", "../knockdconf/testdata/onetime.conf", "--host", "door.example.com")
	if !strings.Contains(out, "skipped opencloseSMTP: ") || !strings.Contains(out, "/etc/knockd/smtp_sequences") || !strings.Contains(out, "nothing imported") {
		t.Fatalf("onetime with an unreadable file:\n%s", out)
	}
}

// count returns how many datagrams arrived since the last count: those
// before a sentinel sent now.
func (s *udpSink) count(t *testing.T) int {
	t.Helper()
	s.sentinel(t)
	n := 0
	for string(s.next(t)) != "sentinel" {
		n++
	}
	return n
}

func TestKnockProfile(t *testing.T) {
	sink := newUDPSink(t)
	e := newProfileEnv(t)
	port := sink.port
	e.ok("", "profile", "add", "loop", "--host", "127.0.0.1", "--open", fmt.Sprintf("%s:udp,%s:udp", port, port), "--close", port+":udp")
	count := func() int { return sink.count(t) }
	code, stdout, stderr := e.run("", "knock", "-v", "loop")
	if code != 0 || count() != 2 {
		t.Fatalf("knock loop: exit %d %q", code, stderr)
	}
	if stdout != "loop: knock 1/2 sent to 127.0.0.1\nloop: knock 2/2 sent to 127.0.0.1\n" || strings.Contains(stdout, port) {
		t.Fatalf("-v with a profile printed %q: counts, never ports", stdout)
	}
	if e.get("loop").LastUsed.IsZero() {
		t.Fatal("knock did not set LastUsed")
	}
	e.ok("", "knock", "--close", "loop")
	if n := count(); n != 1 {
		t.Fatalf("knock --close sent %d knocks, want 1", n)
	}
	// A profile whose host needs DNS fails before sending (no DNS here).
	e.ok("", "profile", "add", "far", "--host", "far.example.com", "--open", port+":udp")
	if code, _, stderr := e.run("", "knock", "far"); code != ExitKnock || !strings.Contains(stderr, "cannot resolve") {
		t.Fatalf("knock far: exit %d %q", code, stderr)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d knocks sent to an unresolved host", n)
	}
}

func TestKnockOneTimeSequences(t *testing.T) {
	sink := newUDPSink(t)
	e := newProfileEnv(t)
	dir := t.TempDir()
	seqFile := filepath.Join(dir, "smtp_sequences")
	p := sink.port + ":udp"
	// knockd's file: a used line (#), then two unused ones.
	os.WriteFile(seqFile, []byte(fmt.Sprintf("#%s\n%s\n%s,%s\n", p, p, p, p)), 0o600)
	conf := filepath.Join(dir, "knockd.conf")
	os.WriteFile(conf, []byte("[smtp]\n  one_time_sequences = "+seqFile+"\n  start_command = true\n"), 0o600)
	if out := e.ok("", "profile", "import", conf, "--host", "127.0.0.1"); out != "created smtp (from door smtp)\n" {
		t.Fatalf("import said %q", out)
	}
	if s := e.get("smtp").Secrets; len(s.OneTime) != 2 {
		t.Fatalf("%d one-time sequences imported, want 2", len(s.OneTime))
	}
	count := func() int { return sink.count(t) }
	for i, want := range []int{1, 2} {
		code, _, stderr := e.run("", "knock", "smtp")
		if code != 0 {
			t.Fatalf("knock %d: exit %d %q", i+1, code, stderr)
		}
		if n := count(); n != want {
			t.Fatalf("knock %d sent %d knocks, want %d (the next one-time sequence)", i+1, n, want)
		}
		warn := []string{"1 one-time sequences left", "that was the last one-time sequence"}[i]
		if !strings.Contains(stderr, warn) {
			t.Fatalf("knock %d: stderr %q, want %q", i+1, stderr, warn)
		}
	}
	code, _, stderr := e.run("", "knock", "smtp")
	if code == 0 || !strings.Contains(stderr, "used up its one-time sequences") {
		t.Fatalf("knock with none left: exit %d %q", code, stderr)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d knocks sent with no sequence left", n)
	}
}

// TestImportRefillsOneTimeDoor: importing a one-time door again refills
// its profile from the file and keeps every other setting, and --door
// touches no other profile of the same knockd.conf.
func TestImportRefillsOneTimeDoor(t *testing.T) {
	e := newProfileEnv(t)
	dir := t.TempDir()
	seqFile, conf := filepath.Join(dir, "smtp_sequences"), filepath.Join(dir, "knockd.conf")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(seqFile, []byte("1111,2222\n"), 0o600))
	must(os.WriteFile(conf, []byte("[smtp]\n  one_time_sequences = "+seqFile+"\n  start_command = true\n"+
		"[web]\n  sequence = 7000,8000\n  start_command = true\n"), 0o600))
	e.ok("", "profile", "import", conf, "--host", "192.0.2.1")
	e.ok("", "profile", "edit", "smtp", "--user", "alice")
	e.ok("", "profile", "edit", "web", "--user", "bob")
	if _, _, err := e.store().TakeOpen("smtp"); err != nil {
		t.Fatal(err)
	}
	// The server's admin appends lines; the first is used on the server.
	must(os.WriteFile(seqFile, []byte("#1111,2222\n3333,4444\n5555,6666\n"), 0o600))

	out := e.ok("", "profile", "import", conf, "--host", "192.0.2.1", "--door", "smtp")
	if !strings.Contains(out, "refilled smtp: 2 one-time sequences") {
		t.Fatalf("import said %q", out)
	}
	smtp := e.get("smtp")
	if smtp.User != "alice" || len(smtp.Secrets.OneTime) != 2 || smtp.Secrets.OneTime[0].String() != "3333,4444" || smtp.Secrets.OneTimeUsed != 1 {
		t.Fatalf("refilled profile: user %q, one-time %v, used %d", smtp.User, smtp.Secrets.OneTime, smtp.Secrets.OneTimeUsed)
	}
	if web := e.get("web"); web.User != "bob" {
		t.Fatalf("--door smtp changed web (user %q)", web.User)
	}
	code, _, stderr := e.run("", "profile", "import", conf, "--host", "192.0.2.1", "--door", "nope")
	if code == 0 || !strings.Contains(stderr, `has no door "nope": its doors are smtp, web`) {
		t.Fatalf("--door nope: exit %d %q", code, stderr)
	}
}

// privateKeyFile writes a new ed25519 private key and returns its path.
func privateKeyFile(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProfileIdentityMustBeAPrivateKey: a missing identity file or a
// public key is refused when the profile is saved, not found out at login.
func TestProfileIdentityMustBeAPrivateKey(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "192.0.2.1", "--open", "17001")
	before := e.state()
	key := privateKeyFile(t)
	pub := key + ".pub"
	if err := os.WriteFile(pub, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAp4Lsr6V1deQbO1/7uezmRpHUVX/mJ+k6T5vH1uGIGH me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{key + ".missing", "no such file"},
		{pub, "this is a public key"},
	} {
		code, _, stderr := e.run("", "profile", "edit", "web", "--identity", tt.file)
		if code != ExitUsage || !strings.Contains(stderr, "--identity "+tt.file+": ") || !strings.Contains(stderr, tt.want) {
			t.Errorf("--identity %s: exit %d %q, want %q", tt.file, code, stderr, tt.want)
		}
	}
	if e.state() != before {
		t.Fatal("a refused --identity changed the profile")
	}
	e.ok("", "profile", "edit", "web", "--identity", key)
}
