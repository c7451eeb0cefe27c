package testnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var bins struct {
	sync.Mutex
	dir   string
	built map[string]string
}

// Binary builds a main package of this module once per test binary (the Go
// build cache makes later builds cheap) and returns the executable's path.
// pkg is an import path such as "sesame" or "sesame/server/cmd/sesamed".
// The environment variable SESAME_TEST_BIN_<NAME> (NAME = the last path
// element, upper case) points at a prebuilt binary instead. Under -race the
// binary is built with the race detector too.
func Binary(t testing.TB, pkg string, tags ...string) string {
	t.Helper()
	name := filepath.Base(pkg)
	if p := os.Getenv("SESAME_TEST_BIN_" + strings.ToUpper(name)); p != "" {
		return p
	}
	bins.Lock()
	defer bins.Unlock()
	key := pkg + " " + strings.Join(tags, ",")
	if p, ok := bins.built[key]; ok {
		return p
	}
	if bins.dir == "" {
		d, err := os.MkdirTemp("", "sesame-testbin-")
		if err != nil {
			t.Fatal(err)
		}
		bins.dir = d
		bins.built = map[string]string{}
	}
	out := filepath.Join(bins.dir, fmt.Sprintf("%s-%d", name, len(bins.built)))
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	bins.built[key] = out
	return out
}

// RemoveBinaries deletes what Binary built. Call it from TestMain after
// m.Run.
func RemoveBinaries() {
	bins.Lock()
	defer bins.Unlock()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
		bins.dir = ""
		bins.built = nil
	}
}
