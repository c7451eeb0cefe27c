package dragstage

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// New makes a private folder and removes the folders of drags older than
// a day, and nothing else.
func TestNew(t *testing.T) {
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

	dir, err := New(root, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root, dir} {
		fi, err := os.Stat(p)
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
	if again, err := New(root, now); err != nil || again == dir {
		t.Errorf("New again = %s, %v; want another folder", again, err)
	}
}
