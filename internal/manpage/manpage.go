// Package manpage renders man pages from a cobra command tree, so that
// sesame(1), sesame-*(1) and sesamed(8) say what --help says: one page per
// command, named by its path with dashes (sesame-profile-add.1).
package manpage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Pages renders root and every available subcommand in section (the
// completion command included, which cobra adds only when it runs). The
// map's keys are file names such as "sesame-profile-add.1".
func Pages(root *cobra.Command, section, version string) (map[string][]byte, error) {
	root.InitDefaultCompletionCmd()
	pages := map[string][]byte{}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		// The page names its source and version instead of cobra's
		// "Auto generated" line.
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
				continue
			}
			if err := walk(sub); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		header := &doc.GenManHeader{Section: section, Source: "Sesame " + version, Manual: "Sesame Manual"}
		if err := doc.GenMan(c, header, &buf); err != nil {
			return fmt.Errorf("render the man page of %s: %w", c.CommandPath(), err)
		}
		pages[strings.ReplaceAll(c.CommandPath(), " ", "-")+"."+section] = buf.Bytes()
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return pages, nil
}

// Names lists the pages' file names in order.
func Names(pages map[string][]byte) []string {
	names := make([]string, 0, len(pages))
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write renders root's pages into dir/manSECTION, making it if needed.
func Write(root *cobra.Command, section, version, dir string) ([]string, error) {
	pages, err := Pages(root, section, version)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "man"+section)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("make the man page directory: %w", err)
	}
	var written []string
	for _, name := range Names(pages) {
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, pages[name], 0o644); err != nil {
			return written, fmt.Errorf("write man page: %w", err)
		}
		written = append(written, path)
	}
	return written, nil
}
