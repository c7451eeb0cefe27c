//go:build sesame_testhook

package app

import "strings"

// report tells what the Files pane shows, when it is shown.
func (f *filesPane) report(shown bool, ts *hookTab) {
	if f == nil || !shown {
		return
	}
	lines := []string{f.dir}
	for _, e := range f.items {
		if e.Dir {
			lines = append(lines, e.Name+"/")
		} else {
			lines = append(lines, e.Name)
		}
	}
	ts.Files = strings.Join(lines, "\n")
	if f.sel >= 0 && f.sel < len(f.items) {
		ts.FilesSelected = f.items[f.sel].Name
	}
	if f.xfer.Visible() {
		ts.Transfer = f.xferText.Text
	}
	if f.result.Visible() {
		ts.FilesResult = f.result.Text
	}
}
