package sesamedcli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"sesame/internal/atomicfile"
	"sesame/internal/manpage"
	"sesame/internal/version"
)

// ManDir is where `sesamed install` puts sesamed(8) and its commands'
// pages, rendered from this binary's own commands so that they match it;
// uninstall removes them.
const ManDir = "/usr/local/share/man/man8"

// installManPages writes the pages under root (after the rest of the
// install, which does not depend on them); a dry run only says so.
func installManPages(cmd *cobra.Command, root string, dryRun bool) error {
	pages, err := manpage.Pages(cmd.Root(), "8", version.Version)
	if err != nil {
		return err
	}
	names := manpage.Names(pages)
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "- install the man pages in %s: %s\n", ManDir, strings.Join(names, ", "))
	if dryRun {
		return nil
	}
	dir := filepath.Join(root, ManDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install the man pages: %w", err)
	}
	for _, name := range names {
		if err := atomicfile.Write(filepath.Join(dir, name), pages[name], 0o644); err != nil {
			return fmt.Errorf("install the man pages: %w", err)
		}
	}
	return nil
}

// uninstallManPages removes the pages install wrote: sesamed.8 and
// sesamed-*.8, the names this binary renders.
func uninstallManPages(cmd *cobra.Command, root string, dryRun bool) error {
	pages, err := manpage.Pages(cmd.Root(), "8", version.Version)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, ManDir)
	var there []string
	for _, name := range manpage.Names(pages) {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			there = append(there, name)
		}
	}
	if len(there) == 0 {
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "- remove the man pages from %s: %s\n", ManDir, strings.Join(there, ", "))
	if dryRun {
		return nil
	}
	var errs []error
	for _, name := range there {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove the man pages: %w", err)
	}
	return nil
}
