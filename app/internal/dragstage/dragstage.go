// Package dragstage keeps the private folders that files dragged out of
// the Files pane are downloaded into, for the program they are dropped on
// to copy from. The drop's target copies them when it likes (a file
// manager often after the drag has ended), so a folder stays until a
// later drag finds it older than MaxAge.
package dragstage

import (
	"errors"
	"fmt"
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

// New removes the folders under root older than MaxAge at now, and makes
// a fresh one readable by this user only (0700).
func New(root string, now time.Time) (string, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("make the folder for dragged files: %w", err)
	}
	// MkdirAll leaves a folder that was there as it was.
	if err := os.Chmod(root, 0o700); err != nil {
		return "", fmt.Errorf("make the folder for dragged files private: %w", err)
	}
	if err := Clean(root, now); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(root, "")
	if err != nil {
		return "", fmt.Errorf("make a folder for a dragged file: %w", err)
	}
	return dir, nil
}

// Clean removes the folders under root whose time is older than MaxAge at
// now. Anything else there (a file, a symbolic link) is left alone.
func Clean(root string, now time.Time) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("look for old dragged files: %w", err)
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
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove old dragged files: %w (remove them by hand from %s)", err, root)
	}
	return nil
}
