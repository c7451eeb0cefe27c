package cli

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"sesame/internal/clock"
	"sesame/profiles"
	"sesame/rotate"
)

const testSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestProfileAddSeedNew(t *testing.T) {
	e := newProfileEnv(t)
	out := e.ok("", "profile", "add", "vault", "--host", "192.0.2.1", "--seed", "new", "--rotating-protocols", "mixed", "--rotating-window", "1m")
	m := regexp.MustCompile(`(?m)^\tRotating_Seed      = ([A-Z2-7]+)$`).FindStringSubmatch(out)
	if !strings.HasPrefix(out, "added profile vault\n# The seed of vault, shown only now.") || m == nil {
		t.Fatalf("add --seed new printed:\n%s", out)
	}
	for _, line := range []string{"\tRotating_Length    = 4\n", "\tRotating_Ports     = 10000-60000\n", "\tRotating_Protocols = mixed\n", "\tRotating_Window    = 60\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("the door's lines lack %q:\n%s", line, out)
		}
	}
	r := e.get("vault").Secrets.Rotation
	if r == nil || r.Seed.String() != m[1] || len(r.Seed) != rotate.MinSeedBytes || r.Params.Protocols != rotate.Mixed || r.Params.Window != time.Minute {
		t.Fatalf("stored rotation %+v, printed seed %s", r, m[1])
	}
	if settings, _ := os.ReadFile(e.store().SettingsFile()); strings.Contains(string(settings), m[1]) {
		t.Fatalf("the seed is in the settings file:\n%s", settings)
	}
	// Shown once: show keeps it hidden, --reveal asks for it.
	show := e.ok("", "profile", "show", "vault")
	if strings.Contains(show, m[1]) || !strings.Contains(show, "4 knocks (mixed) on ports 10000-60000, a new sequence every 1m0s") {
		t.Fatalf("show:\n%s", show)
	}
	show = e.ok("", "profile", "show", "vault", "--reveal")
	uri := regexp.MustCompile(`sesame://rotating\S+`).FindString(show)
	if !regexp.MustCompile(`(?m)^seed: +`+m[1]+`$`).MatchString(show) || uri == "" {
		t.Fatalf("show --reveal lacks the seed or its URI:\n%s", show)
	}
	// Another device takes the seed and the settings from the URI.
	e.ok("", "profile", "add", "phone", "--host", "192.0.2.1", "--seed", uri)
	if got := e.get("phone").Secrets.Rotation; got.Seed.String() != m[1] || got.Params != r.Params {
		t.Fatalf("from the URI: %+v, want %+v", got, r)
	}
}

func TestProfileSeedFlags(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string // in stderr
	}{
		{"seed given", "", []string{"add", "a", "--host", "h", "--seed", strings.ToLower(testSeed)}, 0, ""},
		{"seed from stdin", testSeed + "\n", []string{"add", "a", "--host", "h", "--seed", "-"}, 0, ""},
		{"bad seed", "", []string{"add", "a", "--host", "h", "--seed", "hunter1hunter1"}, 2, "--seed: the seed is not valid base32"},
		{"short seed", "", []string{"add", "a", "--host", "h", "--seed", "GEZDGNBV"}, 2, "at least 160 are needed"},
		{"seed and open", "", []string{"add", "a", "--host", "h", "--seed", "new", "--open", "1,2"}, 2, "--open and --seed cannot be used together: --open sets a fixed sequence"},
		{"rotating flags without a seed", "", []string{"add", "a", "--host", "h", "--open", "1", "--rotating-window", "60"}, 2, "give --seed new"},
		{"bad window", "", []string{"add", "a", "--host", "h", "--seed", "new", "--rotating-window", "2s"}, 2, "window 2s: use whole seconds from 5s"},
		{"bad ports", "", []string{"add", "a", "--host", "h", "--seed", "new", "--rotating-ports", "100"}, 2, "--rotating-ports"},
		{"range too small", "", []string{"add", "a", "--host", "h", "--seed", "new", "--rotating-ports", "100-101"}, 2, "smaller than the 4 distinct ports"},
		{"bad protocols", "", []string{"add", "a", "--host", "h", "--seed", "new", "--rotating-protocols", "sctp"}, 2, "tcp, udp or mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProfileEnv(t)
			code, _, stderr := e.run(tt.stdin, append([]string{"profile"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, "hunter1") || strings.Contains(stderr, "GEZDGNBV") {
				t.Fatalf("the error quotes the seed: %s", stderr)
			}
			if code == 0 {
				if r := e.get("a").Secrets.Rotation; r == nil || r.Seed.String() != testSeed {
					t.Fatalf("stored %+v", r)
				}
			}
		})
	}
}

func TestProfileEditRotation(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "h", "--open", "1,2,3")
	if code, _, stderr := e.run("", "profile", "edit", "a", "--rotating-length", "5"); code != ExitUsage || !strings.Contains(stderr, "give --seed new") {
		t.Fatalf("--rotating-length on a fixed profile: exit %d %q", code, stderr)
	}
	out := e.ok("", "profile", "edit", "a", "--seed", testSeed, "--rotating-length", "5")
	if out != "updated profile a\n" {
		t.Fatalf("edit --seed BASE32 printed %q: the seed is printed only when made", out)
	}
	p := e.get("a")
	if r := p.Secrets.Rotation; r == nil || r.Params.Length != 5 || len(p.Secrets.Open) != 0 {
		t.Fatalf("after --seed: %+v", p.Secrets)
	}
	// New parameters count windows anew.
	if _, err := e.store().Update("a", func(p *profiles.Profile) error { p.Secrets.Rotation.LastWindow = 42; return nil }); err != nil {
		t.Fatal(err)
	}
	e.ok("", "profile", "edit", "a", "--rotating-window", "60")
	if r := e.get("a").Secrets.Rotation; r.Params.Window != time.Minute || r.Params.Length != 5 || r.LastWindow != 0 {
		t.Fatalf("after --rotating-window: %+v", r)
	}
	// A fixed sequence replaces the seed.
	e.ok("", "profile", "edit", "a", "--open", "4,5")
	if p := e.get("a"); p.Secrets.Rotation != nil || p.Secrets.Open.String() != "4,5" {
		t.Fatalf("after --open: %+v", p.Secrets)
	}
}

// TestProfileEditLastWindow: the window this device last knocked with is
// kept while the seed and the settings stay, as in the app's form; another
// seed or other settings count windows anew.
func TestProfileEditLastWindow(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int64
	}{
		{"the same settings", []string{"--rotating-window", "30", "--rotating-length", "4"}, 42},
		{"the same seed", []string{"--seed", testSeed}, 42},
		{"another setting", []string{"--rotating-window", "60"}, 0},
		{"a new seed", []string{"--seed", "new"}, 0},
		{"other settings", []string{"--note", "n"}, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProfileEnv(t)
			e.ok("", "profile", "add", "a", "--host", "h", "--seed", testSeed)
			if _, err := e.store().Update("a", func(p *profiles.Profile) error { p.Secrets.Rotation.LastWindow = 42; return nil }); err != nil {
				t.Fatal(err)
			}
			e.ok("", append([]string{"profile", "edit", "a"}, tt.args...)...)
			if got := e.get("a").Secrets.Rotation.LastWindow; got != tt.want {
				t.Errorf("last window %d after edit %v, want %d", got, tt.args, tt.want)
			}
		})
	}
}

// TestKnockRotatingProfile: each knock uses a window sesamed has not taken
// from this device; the third within a window waits for the next window
// and says so.
func TestKnockRotatingProfile(t *testing.T) {
	sink := newUDPSink(t)
	e := newProfileEnv(t)
	clk := clock.NewFake(time.Unix(1_699_999_990, 0)) // 20 s left in a 30 s window
	clk.AdvanceOnSleep = true                         // time moves only when a command sleeps
	e.clock = clk
	// One port: every window's sequence is a datagram to the sink.
	e.ok("", "profile", "add", "rot", "--host", "127.0.0.1", "--seed", testSeed,
		"--rotating-length", "1", "--rotating-ports", sink.port+"-"+sink.port, "--rotating-protocols", "udp")
	params := e.get("rot").Secrets.Rotation.Params
	w := params.WindowAt(clk.Now())

	for i, want := range []int64{w, w + 1} {
		code, _, stderr := e.run("", "knock", "rot")
		if code != 0 || sink.count(t) != 1 {
			t.Fatalf("knock %d: exit %d %q", i+1, code, stderr)
		}
		if got := e.get("rot").Secrets.Rotation.LastWindow; got != want {
			t.Fatalf("knock %d used window %d, want %d", i+1, got, want)
		}
	}
	show := e.ok("", "profile", "show", "rot", "--current")
	want := fmt.Sprintf("window %d: %s:udp\nnext window in 20s\nthis device used this window and the next already: its next knock waits 21s and uses window %d\n", w, sink.port, w+2)
	if show != want {
		t.Fatalf("show --current:\n%s\nwant:\n%s", show, want)
	}
	code, _, stderr := e.run("", "knock", "rot")
	if code != 0 || sink.count(t) != 1 {
		t.Fatalf("third knock: exit %d %q", code, stderr)
	}
	if !strings.Contains(stderr, "sesame knock: rot knocked with this window's sequence and the next one's already, and sesamed takes each once: waiting for the next window (21s)") {
		t.Fatalf("third knock did not say it waits: %q", stderr)
	}
	if got := e.get("rot").Secrets.Rotation.LastWindow; got != w+2 || params.WindowAt(clk.Now()) != w+1 {
		t.Fatalf("third knock used window %d at window %d; want %d at %d", got, params.WindowAt(clk.Now()), w+2, w+1)
	}
	if code, _, stderr := e.run("", "profile", "show", "rot", "--current", "--reveal"); code != ExitUsage || !strings.Contains(stderr, "--current and --reveal cannot be used together") {
		t.Fatalf("--current with --reveal: exit %d %q", code, stderr)
	}
}

func TestShowCurrentNeedsASeed(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "a", "--host", "h", "--open", "1,2,3")
	if code, _, stderr := e.run("", "profile", "show", "a", "--current"); code != ExitUsage || !strings.Contains(stderr, "has no rotating sequence") {
		t.Fatalf("exit %d %q", code, stderr)
	}
}
