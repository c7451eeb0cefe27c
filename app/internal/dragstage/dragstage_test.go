package dragstage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newStage opens the stage at root, failing the test if it cannot.
func newStage(t *testing.T, root string) *Stage {
	t.Helper()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// New makes a private folder, and Clean removes the folders of drags
// older than a day, and nothing else.
func TestNewAndClean(t *testing.T) {
	now := time.Now()
	root := filepath.Join(t.TempDir(), "drag")
	outside := t.TempDir()
	for _, tc := range []struct {
		name string
		age  time.Duration
		kind string // dir, file, link (to a folder outside)
		kept bool
	}{
		{"old", 25 * time.Hour, "dir", false},
		{"recent", 23 * time.Hour, "dir", true},
		{"oldfile", 48 * time.Hour, "file", true},
		{"oldlink", 48 * time.Hour, "link", true},
	} {
		p := filepath.Join(root, tc.name)
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		switch tc.kind {
		case "dir":
			if err := os.MkdirAll(filepath.Join(p, "sub"), 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "sub", "f"), []byte("x"), 0o600)
		case "file":
			os.WriteFile(p, []byte("x"), 0o600)
		case "link":
			os.Symlink(outside, p)
		}
		if err := os.Chtimes(p, now.Add(-tc.age), now.Add(-tc.age)); err != nil && tc.kind != "link" {
			t.Fatal(err)
		}
		defer func() {
			_, err := os.Lstat(p)
			if kept := err == nil; kept != tc.kept {
				t.Errorf("%s (%s, %s old): kept %v, want %v", tc.name, tc.kind, tc.age, kept, tc.kept)
			}
		}()
	}
	os.WriteFile(filepath.Join(outside, "keep"), []byte("x"), 0o600)

	s := newStage(t, root)
	if err := s.Clean(now); err != nil {
		t.Fatal(err)
	}
	dir, err := s.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root, dir} {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
			t.Errorf("%s: %v, %v; want a folder with mode 0700", p, fi.Mode(), err)
		}
	}
	if filepath.Dir(dir) != root {
		t.Errorf("New made %s, want a folder in %s", dir, root)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("a linked folder's file was removed: %v", err)
	}
	if again, err := s.New(); err != nil || again == dir {
		t.Errorf("New again = %s, %v; want another folder", again, err)
	}
}

// A stage that is a symbolic link, a file, another user's folder or one
// others may write to is refused, naming the path and the fix, and
// nothing is changed or made where it leads.
func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, root, elsewhere string)
		root  bool // needs root (chown)
		wants string
	}{
		{"symbolic link", func(t *testing.T, root, elsewhere string) {
			if err := os.Symlink(elsewhere, root); err != nil {
				t.Fatal(err)
			}
		}, false, "is not a folder"},
		{"file", func(t *testing.T, root, _ string) {
			if err := os.WriteFile(root, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false, "not a directory"},
		{"group-writable", func(t *testing.T, root, _ string) {
			if err := os.Mkdir(root, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(root, 0o770); err != nil {
				t.Fatal(err)
			}
		}, false, "chmod 700"},
		{"another user's", func(t *testing.T, root, _ string) {
			if err := os.Mkdir(root, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(root, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, true, "not to you"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Getuid() != 0 {
				t.Skip("giving a folder to another user needs root")
			}
			root := filepath.Join(t.TempDir(), "drag")
			elsewhere := t.TempDir()
			if err := os.Chmod(elsewhere, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.make(t, root, elsewhere)
			s, err := Open(root)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) took it, want it refused", root)
			}
			if !strings.Contains(err.Error(), root) || !strings.Contains(err.Error(), tc.wants) {
				t.Errorf("Open: %v; want an error naming %s and saying %q", err, root, tc.wants)
			}
			fi, err := os.Stat(elsewhere)
			if err != nil || fi.Mode().Perm() != 0o755 {
				t.Errorf("the linked folder: %v, %v; want it left at 0755", fi.Mode(), err)
			}
		})
	}
}

// An old folder that cannot be removed is reported by Clean, and New
// still makes a fresh folder: one stuck folder blocks no drag.
func TestCleanFailureBlocksNothing(t *testing.T) {
	now := time.Now()
	root := filepath.Join(t.TempDir(), "drag")
	stuck := filepath.Join(root, "stuck")
	if err := os.MkdirAll(filepath.Join(stuck, "in"), 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		// Root removes anything it may write: a mount point it cannot.
		if out, err := exec.Command("mount", "-t", "tmpfs", "stuck", filepath.Join(stuck, "in")).CombinedOutput(); err != nil {
			t.Skipf("mount a tmpfs to make a folder that cannot be removed: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", filepath.Join(stuck, "in")).Run() })
	} else {
		os.WriteFile(filepath.Join(stuck, "in", "f"), nil, 0o600)
		os.Chmod(filepath.Join(stuck, "in"), 0o500)
		t.Cleanup(func() { os.Chmod(filepath.Join(stuck, "in"), 0o700) })
	}
	old := now.Add(-48 * time.Hour)
	if err := os.Chtimes(stuck, old, old); err != nil {
		t.Fatal(err)
	}
	s := newStage(t, root)
	if err := s.Clean(now); err == nil || !strings.Contains(err.Error(), root) {
		t.Errorf("Clean: %v; want an error naming %s", err, root)
	}
	if dir, err := s.New(); err != nil || filepath.Dir(dir) != root {
		t.Errorf("New after a failed clean = %s, %v; want a folder in %s", dir, err, root)
	}
}
