// Package filelock takes advisory locks on files, shared or exclusive, so
// that Sesame processes (the app, a CLI in a script) can do
// read-modify-write on the same files without losing each other's changes.
// Processes that do not lock are not held back.
package filelock

import (
	"fmt"
	"os"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// Exclusive blocks until it holds the only lock on the file at path,
// creating the file (mode 0600) if needed.
func Exclusive(path string) (*Lock, error) { return acquire(path, true) }

// Shared blocks until it holds a lock that only excludes exclusive ones.
func Shared(path string) (*Lock, error) { return acquire(path, false) }

func acquire(path string, exclusive bool) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f, exclusive); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock. The file stays: removing it would let two
// processes lock two different files of the same name.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
