package knock

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestServerLinksNoSender pins the split of the sequence type from the
// sender: sesamed only listens for knocks, so no package under server/
// (tests aside: they knock as a client would) may depend on this one.
func TestServerLinksNoSender(t *testing.T) {
	const sender = "sesame/knock"
	for _, tags := range []string{"", "headless"} {
		cmd := exec.Command("go", "list", "-tags", tags, "-f", `{{.ImportPath}}: {{join .Deps " "}}`, "sesame/server/...")
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -tags %q sesame/server/...: %v", tags, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) < 10 {
			t.Fatalf("go list found only %d server packages; is the module layout what this test expects?", len(lines))
		}
		for _, l := range lines {
			pkg, deps, _ := strings.Cut(l, ": ")
			if slices.Contains(strings.Fields(deps), sender) {
				t.Errorf("%s depends on %s (tags %q): the server must use sesame/knocker for sequences and send nothing", pkg, sender, tags)
			}
		}
	}
}
