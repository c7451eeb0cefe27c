//go:build linux

package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// binaryStep copies the sesamed program (Binary) to BinaryPath under Root,
// where the service can run it; nil when Binary already is that file (a
// package put it there). A file that was there before is put back on undo
// and kept by uninstall.
func binaryStep(o *Options, st *state) (*step, error) {
	dst := o.path(o.BinaryPath)
	src, err := os.Stat(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("the sesamed program to install, %s: %w (pass its path with --binary)", o.Binary, err)
	}
	if !src.Mode().IsRegular() {
		return nil, fmt.Errorf("the sesamed program to install, %s, is not a regular file (pass its path with --binary)", o.Binary)
	}
	if fi, err := os.Stat(dst); err == nil && os.SameFile(src, fi) {
		fmt.Fprintf(o.Out, "program: %s is in place\n", o.BinaryPath)
		return nil, nil
	}
	prev, err := os.ReadFile(dst)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", o.BinaryPath, err)
	}
	st.BinaryPath, st.BinaryCreated = o.BinaryPath, !existed
	return &step{
		title: fmt.Sprintf("copy %s to %s (mode 0755)", o.Binary, o.BinaryPath),
		do: func(context.Context) error {
			b, err := os.ReadFile(o.Binary)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			st.BinarySHA256 = hex.EncodeToString(sum[:])
			return writeFile(dst, b, 0o755)
		},
		undo: func(context.Context) error {
			if existed {
				return writeFile(dst, prev, 0o755)
			}
			return os.Remove(dst)
		},
	}, nil
}

// removeBinary removes the program install copied, unless it was there
// before install or was replaced since (an upgrade of its own).
func removeBinary(o *Options, st state) error {
	if st.BinaryPath == "" {
		return nil
	}
	if !st.BinaryCreated {
		fmt.Fprintf(o.Out, "  keeping %s: it was there before install\n", st.BinaryPath)
		return nil
	}
	b, err := os.ReadFile(o.path(st.BinaryPath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != st.BinarySHA256 {
		fmt.Fprintf(o.Out, "  keeping %s: it was replaced since install\n", st.BinaryPath)
		return nil
	}
	return os.Remove(o.path(st.BinaryPath))
}
