//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteKeepsOwnerAndReplacesLinks: a file that belongs to another user
// (a one-time sequences file an admin gave to knockd's user, say) keeps its
// owner, and a symbolic link in the file's place is replaced, its target
// untouched.
func TestWriteKeepsOwnerAndReplacesLinks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if os.Geteuid() == 0 {
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := Write(path, []byte("new"), 0o600); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65534 || st.Gid != 65534 {
			t.Fatalf("owner %d:%d after the write, want 65534:65534", st.Uid, st.Gid)
		}
	} else {
		t.Log("not root: the owner part needs root to give a file away")
	}

	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Fatalf("the write followed the link: its target holds %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the link was not replaced by the file: %v %v", fi.Mode(), err)
	}
}
