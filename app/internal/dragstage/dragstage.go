// Package dragstage keeps the private folders that files dragged out of
// the Files pane are downloaded into, for the program they are dropped on
// to copy from. The drop's target copies them when it likes (a file
// manager often after the drag has ended), so a folder stays until a
// later drag finds it older than MaxAge.
package dragstage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// MaxAge is how long the files of a drag are kept.
const MaxAge = 24 * time.Hour

// Root is where the folders go: sesame/drag in the user's cache folder
// ($XDG_CACHE_HOME, ~/.cache).
func Root() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache folder to download a dragged file into: %w (set XDG_CACHE_HOME or HOME)", err)
	}
	return filepath.Join(cache, "sesame", "drag"), nil
}

// Stage is the folder the drags' folders go in, held open: what is done
// in it goes through the handle (os.Root), so a symbolic link planted
// there, or in place of the folder, is never followed.
type Stage struct {
	path string
	root *os.Root
}

// Open makes the folder path (0700) if need be and opens it, refusing it
// unless it is a real folder (no symbolic link) of this user that nobody
// else may write to: another user could otherwise swap the files the
// drop hands over.
func Open(path string) (*Stage, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("make the folder for dragged files: %w", err)
	}
	before, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("look at the folder for dragged files: %w", err)
	}
	if !before.IsDir() { // a symbolic link included
		return nil, fmt.Errorf("%s is not a folder (%s): remove it, and Sesame makes a private folder there at the next drag", path, before.Mode().Type())
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open the folder for dragged files: %w", err)
	}
	// What was opened is what was looked at, not a link swapped in since.
	info, err := root.Stat(".")
	if err == nil && !os.SameFile(before, info) {
		err = fmt.Errorf("%s changed while it was opened: drag again", path)
	}
	if err == nil {
		err = private(path, info)
	}
	if err == nil && info.Mode().Perm() != 0o700 {
		// MkdirAll leaves a folder that was there as it was: one only
		// others could read (an older Sesame's, say) becomes private.
		err = root.Chmod(".", 0o700)
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return &Stage{path: path, root: root}, nil
}

// private refuses a folder others may write to, or that is not the
// user's own.
func private(path string, info fs.FileInfo) error {
	if err := ownedByMe(path, info); err != nil {
		return err
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s may be written by other users (mode %v): remove it, or make it private with chmod 700 %s", path, info.Mode().Perm(), path)
	}
	return nil
}

// Close lets go of the folder.
func (s *Stage) Close() error { return s.root.Close() }

// New makes a fresh folder in the stage, readable by this user only
// (0700), and returns its path.
func (s *Stage) New() (string, error) {
	for range 10000 {
		b := make([]byte, 8)
		rand.Read(b)
		name := hex.EncodeToString(b)
		err := s.root.Mkdir(name, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("make a folder for a dragged file in %s: %w", s.path, err)
		}
		return filepath.Join(s.path, name), nil
	}
	return "", fmt.Errorf("make a folder for a dragged file in %s: every name tried was taken", s.path)
}

// Clean removes the folders in the stage whose time is older than MaxAge
// at now. Anything else there (a file, a symbolic link) is left alone.
func (s *Stage) Clean(now time.Time) error {
	dir, err := s.root.Open(".")
	if err != nil {
		return fmt.Errorf("look for old dragged files in %s: %w", s.path, err)
	}
	entries, err := dir.ReadDir(-1)
	dir.Close()
	if err != nil {
		return fmt.Errorf("look for old dragged files in %s: %w", s.path, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() { // a symbolic link to a folder is no folder here
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) <= MaxAge {
			continue
		}
		if err := s.root.RemoveAll(e.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove old dragged files: %w (remove them by hand from %s)", err, s.path)
	}
	return nil
}
