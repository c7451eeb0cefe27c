package terminal

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// A font set on the terminal draws its cells (their width is the font's
// M); nil is the theme's monospace again; a file that is no font is
// refused and the text stays as it was.
func TestSetFont(t *testing.T) {
	h := newHarness(t, 80, 24)
	base := h.term.cellSize()
	if err := h.term.SetFont(theme.DefaultTextBoldFont()); err != nil {
		t.Fatal(err)
	}
	bold := h.term.cellSize()
	if bold == base {
		t.Errorf("the bold sans font left the cells at the monospace's %v", base)
	}
	if err := h.term.SetFont(fyne.NewStaticResource("notes.txt", []byte("not a font"))); err == nil {
		t.Error("a text file was taken as the terminal's font")
	}
	if got := h.term.cellSize(); got != bold {
		t.Errorf("a refused font changed the cells from %v to %v", bold, got)
	}
	if err := h.term.SetFont(nil); err != nil {
		t.Fatal(err)
	}
	if got := h.term.cellSize(); got != base {
		t.Errorf("no font set: cells %v, want the theme's monospace %v", got, base)
	}
}
