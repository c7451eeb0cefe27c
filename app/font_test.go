package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/theme"
)

// A TTF the user picks draws the open terminals and is remembered: the
// next window's sessions start with it. A file that is no font is refused
// with the reason and changes nothing; the bundled font comes back when
// asked for, and when the chosen file is gone (said in the status line).
func TestTerminalFontChoice(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	<-h.launcher.shells
	cols, _ := s.term.GridSize()

	dir := t.TempDir()
	ttf := filepath.Join(dir, "Wide-Bold.ttf") // a sans font: wider cells than the monospace's
	notFont := filepath.Join(dir, "notes.ttf")
	if err := os.WriteFile(ttf, theme.DefaultTextBoldFont().Content(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notFont, []byte("not a font"), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := h.ui.setTermFont(notFont); err == nil || !strings.Contains(err.Error(), "notes.ttf") {
		t.Errorf("a text file named .ttf: got %v, want it refused naming the file", err)
	}
	if got := h.app.Preferences().String(prefTermFont); got != "" {
		t.Errorf("a refused font was remembered: %q", got)
	}
	if err := h.ui.setTermFont(ttf); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.term.GridSize(); c == cols {
		t.Errorf("the chosen font left the open terminal at %d columns", c)
	}

	if err := h.ui.setTermFont(""); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.term.GridSize(); c != cols {
		t.Errorf("the bundled font back: %d columns, want %d as before", c, cols)
	}
	if err := h.ui.setTermFont(ttf); err != nil {
		t.Fatal(err)
	}
	again := New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	defer again.win.Close()
	if res := again.termFont(); res == nil || res.Name() != "Wide-Bold.ttf" {
		t.Errorf("the next window's terminal font is %v, want Wide-Bold.ttf remembered", res)
	}
	os.Remove(ttf)
	third := New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	defer third.win.Close()
	if res := third.termFont(); res != nil {
		t.Errorf("the font file is gone, yet the terminal font is %v", res.Name())
	}
	if !strings.Contains(third.status.Text, "bundled") {
		t.Errorf("the status line does not say the bundled font is used: %q", third.status.Text)
	}

}
