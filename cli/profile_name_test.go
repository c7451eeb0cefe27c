package cli

import (
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"sesame/knocker"
	"sesame/profiles"
)

// TestProfileNamesAreSSHAliases: new names must be what an ssh Host alias
// can be; a profile named before the rule keeps working, and list and
// rename say how to fix it.
func TestProfileNamesAreSSHAliases(t *testing.T) {
	sink := newUDPSink(t)
	e := newProfileEnv(t)
	code, _, stderr := e.run("", "profile", "add", "my web", "--host", "127.0.0.1", "--open", "7000")
	if code != ExitUsage || !strings.Contains(stderr, `use "my-web"`) {
		t.Fatalf("add \"my web\": exit %d %q; want a usage error suggesting my-web", code, stderr)
	}
	// An old profile, saved before the rule.
	seq, err := knocker.ParseArgs([]string{sink.port + ":udp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store().Save(&profiles.Profile{Name: "old web", Host: "127.0.0.1", Secrets: profiles.Secrets{Open: seq}}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := e.run("", "knock", "old web"); code != 0 || sink.count(t) != 1 {
		t.Fatalf("knock with an old name: exit %d %q", code, stderr)
	}
	e.ok("", "profile", "add", "東京", "--host", "tokyo.example.com", "--open", "7000")
	code, out, stderr := e.run("", "profile", "list")
	if code != 0 || !strings.Contains(stderr, "rename it: sesame profile rename 'old web' old-web") {
		t.Fatalf("list: exit %d, stderr %q; want a note with the rename", code, stderr)
	}
	// The HOST column starts at the same display column on every line.
	var col int
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		at := strings.Index(line, "  ")
		for at < len(line) && line[at] == ' ' {
			at++
		}
		c := runewidth.StringWidth(line[:at])
		if i == 0 {
			col = c
		} else if c != col {
			t.Fatalf("list is not aligned by display width:\n%s", out)
		}
	}
	if code, _, stderr := e.run("", "profile", "rename", "old web", "new web"); code != ExitUsage || !strings.Contains(stderr, `use "new-web"`) {
		t.Fatalf("rename to a bad name: exit %d %q", code, stderr)
	}
	e.ok("", "profile", "rename", "old web", "old-web")
	if _, _, stderr := e.run("", "profile", "list"); stderr != "" {
		t.Fatalf("list still has a note after the rename: %q", stderr)
	}
}
