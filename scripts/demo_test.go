// Package scripts_test checks the shell scripts' behaviour that does not
// need root: the demo's headings.
package scripts_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// sayFunc is the demo's heading function, cut out of demo.sh so that it
// runs without the demo's namespaces.
func sayFunc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n(# Bold headings.*?\nfi\n)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("demo.sh has no heading function")
	}
	return string(m[1])
}

// TestDemoColourOnlyOnATerminal: the demo's bold headings go only to a
// terminal, and never when NO_COLOR is set.
func TestDemoColourOnlyOnATerminal(t *testing.T) {
	script := sayFunc(t) + "say hello\n"
	for _, tt := range []struct {
		name    string
		tty     bool
		noColor string
		bold    bool
	}{
		{"terminal", true, "", true},
		{"terminal with NO_COLOR", true, "1", false},
		{"pipe", false, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", script)
			cmd.Env = append(os.Environ(), "NO_COLOR="+tt.noColor)
			var out []byte
			if tt.tty {
				f, err := pty.Start(cmd)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				buf := make([]byte, 256)
				for {
					n, err := f.Read(buf)
					out = append(out, buf[:n]...)
					if err != nil {
						break
					}
				}
				if err := cmd.Wait(); err != nil {
					t.Fatal(err)
				}
			} else {
				var err error
				if out, err = cmd.Output(); err != nil {
					t.Fatal(err)
				}
			}
			if !strings.Contains(string(out), "== hello") {
				t.Fatalf("no heading in %q", out)
			}
			if bold := strings.Contains(string(out), "\x1b["); bold != tt.bold {
				t.Fatalf("escape codes in %q: %v, want %v", out, bold, tt.bold)
			}
		})
	}
}
