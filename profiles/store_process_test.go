package profiles

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The test binary re-runs itself as a helper process when helperEnv is
// set: TestMain hands over to runHelper.
const helperEnv = "SESAME_PROFILES_TEST_HELPER"

// runHelper is a second Sesame process working on the same store.
func runHelper(what string) int {
	s, err := OpenDefault()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	switch what {
	case "save":
		// Saves SAVE_COUNT profiles named SAVE_PREFIX-i.
		n, _ := strconv.Atoi(os.Getenv("SAVE_COUNT"))
		prefix := os.Getenv("SAVE_PREFIX")
		for i := 0; i < n; i++ {
			p := fullProfile(nil, fmt.Sprintf("%s-%d", prefix, i))
			p.Secrets.Password = p.Name + "-secret"
			if err := s.Create(p); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return 0
	case "keyring":
		// Tries a change and prints how the keyring failed.
		err := s.Create(fullProfile(nil, "k"))
		var ke *KeyringError
		if errors.As(err, &ke) {
			fmt.Printf("problem=%d\n%v\n", ke.Problem, err)
			return 0
		}
		fmt.Printf("not a keyring error: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", what)
	return 2
}

// helper runs the test binary as a helper process with extra environment.
func helper(t *testing.T, what string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + what}, env...)...)
	return cmd
}

// TestStoreConcurrentProcesses saves profiles from two processes at once
// into one store: the lock file keeps either from losing the other's.
func TestStoreConcurrentProcesses(t *testing.T) {
	keyring.Require(t)
	dir := filepath.Join(t.TempDir(), "config")
	const perProcess = 15
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([][]byte, 2)
	for i, prefix := range []string{"a", "b"} {
		cmd := helper(t, "save", ConfigDirEnv+"="+dir, "SAVE_PREFIX="+prefix, fmt.Sprintf("SAVE_COUNT=%d", perProcess))
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("helper %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	s := NewStore(dir, SystemKeyring())
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2*perProcess {
		var names []string
		for _, p := range list {
			names = append(names, p.Name)
		}
		t.Fatalf("%d profiles saved, want %d: %s", len(list), 2*perProcess, strings.Join(names, " "))
	}
	for _, p := range list {
		got, err := s.Get(p.Name)
		if err != nil || got.Secrets.Password != p.Name+"-secret" {
			t.Fatalf("profile %s: %v, secrets %v", p.Name, err, err == nil && got.Secrets.Password != "")
		}
	}
}

// TestKeyringProblems runs a change in a process with no usable keyring
// and checks that the error says which problem it is.
func TestKeyringProblems(t *testing.T) {
	env := keyring.Require(t)
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Log("this machine has a user bus at /run/user/UID/bus: the unset-address case finds it")
	}
	tests := []struct {
		name    string
		bus     string
		problem KeyringProblem
		want    string
	}{
		{"no bus address", "", KeyringNoBus, "DBUS_SESSION_BUS_ADDRESS is not set"},
		{"bus address pointing nowhere", "unix:path=" + filepath.Join(t.TempDir(), "nothing"), KeyringNoBus, "no D-Bus session bus"},
		{"bus without a Secret Service", env.BareBus(t), KeyringNoService, "gnome-keyring-daemon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bus == "" {
				if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
					t.Skip("a user bus exists at /run/user/UID/bus; godbus would find it")
				}
			}
			dir := filepath.Join(t.TempDir(), "config")
			out, err := helper(t, "keyring", ConfigDirEnv+"="+dir, "DBUS_SESSION_BUS_ADDRESS="+tt.bus).Output()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			lines := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)
			if len(lines) != 2 || lines[0] != fmt.Sprintf("problem=%d", tt.problem) {
				t.Fatalf("helper said %q, want problem %d", out, tt.problem)
			}
			if !strings.Contains(lines[1], tt.want) {
				t.Fatalf("error %q does not say %q", lines[1], tt.want)
			}
			if list, err := NewStore(dir, NewMemKeyring()).List(); err != nil || len(list) != 0 {
				t.Fatalf("profiles after the failure: %v, %v", list, err)
			}
		})
	}
}

// TestKeyringLocked locks the real login keyring: with no prompter to show
// the unlock prompt (as when it is dismissed), the error says it is locked.
func TestKeyringLocked(t *testing.T) {
	env := keyring.Require(t)
	s := newTestStore(t)
	if err := s.Create(fullProfile(t, "locked")); err != nil {
		t.Fatal(err)
	}
	env.Lock(t)
	defer env.Unlock(t)
	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"read", func() error { _, err := s.Get("locked"); return err }},
		{"write", func() error { return s.Save(fullProfile(t, "locked2")) }},
	} {
		err := op.do()
		var ke *KeyringError
		if !errors.As(err, &ke) || ke.Problem != KeyringLocked {
			t.Fatalf("%s with the keyring locked: %v, want a KeyringLocked error", op.name, err)
		}
		if !strings.Contains(err.Error(), "unlock") {
			t.Errorf("%s: the error does not say to unlock: %v", op.name, err)
		}
	}
	env.Unlock(t)
	if _, err := s.Get("locked"); err != nil {
		t.Fatalf("Get after unlocking: %v", err)
	}
	if _, err := s.Get("locked2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the save made while locked left a profile: %v", err)
	}
}
