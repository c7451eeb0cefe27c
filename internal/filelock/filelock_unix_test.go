//go:build unix

package filelock

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// tryLock asks for a lock without waiting, through a second open file
// description, as another process would.
func tryLock(t *testing.T, path string, how int) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
	if err == unix.EWOULDBLOCK {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestLocks(t *testing.T) {
	tests := []struct {
		name                  string
		take                  func(string) (*Lock, error)
		sharedOK, exclusiveOK bool
	}{
		{"exclusive keeps everyone out", Exclusive, false, false},
		{"shared lets readers in", Shared, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lock")
			l, err := tt.take(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := tryLock(t, path, unix.LOCK_SH); got != tt.sharedOK {
				t.Errorf("shared lock while held: got %v, want %v", got, tt.sharedOK)
			}
			if got := tryLock(t, path, unix.LOCK_EX); got != tt.exclusiveOK {
				t.Errorf("exclusive lock while held: got %v, want %v", got, tt.exclusiveOK)
			}
			if err := l.Unlock(); err != nil {
				t.Fatal(err)
			}
			if !tryLock(t, path, unix.LOCK_EX) {
				t.Error("exclusive lock refused after Unlock")
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the lock file is gone after Unlock: %v", err)
			}
		})
	}
}

func TestLockMissingDirectory(t *testing.T) {
	if _, err := Exclusive(filepath.Join(t.TempDir(), "no", "lock")); err == nil {
		t.Fatal("locking in a missing directory succeeded")
	}
}
