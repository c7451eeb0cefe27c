package app

import (
	"testing"
)

// Every file dialog of the app opens: the identity file's Choose, the ⋮
// menu's Import profiles… and Export's Choose file…, and the empty
// window's Import. A Resize before Show made each of them panic.
func TestFileDialogsOpen(t *testing.T) {
	tests := []struct {
		name    string
		open    func(h *harness)
		confirm string // the file dialog's confirm button
	}{
		{"identity file", func(h *harness) {
			h.ui.openForm(nil, formNew)
			h.tap("Choose")
		}, "Open"},
		{"import from the menu", func(h *harness) { h.ui.importProfiles() }, "Open"},
		{"import in the empty window", func(h *harness) { h.tap("Import") }, "Open"},
		{"export", func(h *harness) {
			h.ui.exportProfiles()
			h.tap("Choose file…")
		}, "Save"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
			tt.open(h)
			if h.button(tt.confirm) == nil {
				t.Fatalf("no file dialog with %q; shown:\n%s", tt.confirm, h.texts())
			}
		})
	}
}
