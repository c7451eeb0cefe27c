package cli

import (
	"os"
	"path/filepath"
	"sesame/profiles"
	"slices"
	"strings"
	"testing"
)

// TestProfileForwardAndJumpFlags: --forward and --jump are saved by add,
// replaced and removed by edit, and refused with the fix when wrong.
func TestProfileForwardAndJumpFlags(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "bastion", "--host", "192.0.2.1", "--open", "7000")
	e.ok("", "profile", "add", "db", "--host", "192.0.2.66", "--open", "7100",
		"--forward", "L 5432:localhost:5432", "--forward", "-D 1080", "--jump", "bastion")
	p := e.get("db")
	if got := strings.Join(profiles.ForwardStrings(p.Forwards), ";"); got != "L 5432:localhost:5432;D 1080" || !slices.Equal(p.Jump, []string{"bastion"}) {
		t.Fatalf("after add: forwards %q, jump %v", got, p.Jump)
	}
	e.ok("", "profile", "edit", "db", "--forward", "R 9000:localhost:3000")
	if got := strings.Join(profiles.ForwardStrings(e.get("db").Forwards), ";"); got != "R 9000:localhost:3000" {
		t.Fatalf("edit --forward replaces: got %q", got)
	}
	e.ok("", "profile", "edit", "db", "--forward", "", "--jump", "")
	if p := e.get("db"); len(p.Forwards) != 0 || len(p.Jump) != 0 {
		t.Fatalf(`--forward "" and --jump "" remove: got %v, %v`, p.Forwards, p.Jump)
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"profile", "edit", "db", "--forward", "L 8080"}, "--forward: -L 8080: 1 colon-separated part(s)"},
		{[]string{"profile", "edit", "db", "--forward", "X 1"}, "start with L, R or D"},
		{[]string{"profile", "edit", "db", "--jump", "bastoin"}, "there is no profile bastoin: add the jump host as a profile first"},
		{[]string{"profile", "edit", "db", "--jump", "db"}, "cannot be its own jump host"},
		{[]string{"profile", "add", "x", "--host", "h", "--open", "1", "--jump", "nope"}, "there is no profile nope"},
	} {
		before := e.state()
		code, _, stderr := e.run("", tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.says) {
			t.Errorf("%v: exit %d, %q; want a failure saying %q", tt.args, code, stderr, tt.says)
		}
		if e.state() != before {
			t.Errorf("%v changed the profiles", tt.args)
		}
	}
}

// TestProfileImportSSHConfigGoesOn: a host whose settings a profile
// refuses (its own jump host) is skipped with why; the others are
// updated, and the import fails.
func TestProfileImportSSHConfigGoesOn(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "192.0.2.1", "--open", "7000")
	e.ok("", "profile", "add", "b", "--host", "192.0.2.2", "--open", "7000")
	config := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(config, []byte("Host a\n  ProxyJump a\nHost b\n  User bee\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := e.run("", "profile", "import", config)
	if code == 0 || !strings.Contains(out, "skipped a (Host a") || !strings.Contains(out, "own jump host") ||
		!strings.Contains(out, "updated b from Host b") || !strings.Contains(stderr, "1 profile(s) not updated (a)") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if e.get("b").User != "bee" || len(e.get("a").Jump) != 0 {
		t.Fatalf("b's user %q, a's jump %v: want b updated and a untouched", e.get("b").User, e.get("a").Jump)
	}
}
