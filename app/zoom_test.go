package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

func key(name fyne.KeyName, mod fyne.KeyModifier) *desktop.CustomShortcut {
	return &desktop.CustomShortcut{KeyName: name, Modifier: mod}
}

// Ctrl+B collapses the sidebar and brings it back; in the terminal Ctrl+B
// is the program's (tmux's prefix) and Ctrl+Shift+B does it. The state
// and the divider's place are remembered by the next window.
func TestSidebarCollapses(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	shown := func(u *UI) bool { return u.side.center.Objects[0] == u.side.split }
	if !shown(h.ui) || h.ui.side.split.Offset != defaultSidebarOffset {
		t.Fatalf("a first start shows the sidebar at %v, want shown at %v", h.ui.side.split.Offset, defaultSidebarOffset)
	}
	ctrlB := key(fyne.KeyB, fyne.KeyModifierShortcutDefault)
	h.ui.list.filter.TypedShortcut(ctrlB)
	if shown(h.ui) {
		t.Fatal("Ctrl+B left the sidebar shown")
	}
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	sh := <-h.launcher.shells
	s.term.TypedShortcut(key(fyne.KeyB, fyne.KeyModifierControl))
	h.until("Ctrl+B to reach the shell", func() bool {
		select {
		case in := <-sh.input:
			return in == "\x02"
		default:
			return false
		}
	})
	if shown(h.ui) {
		t.Fatal("Ctrl+B in the terminal brought the sidebar back: it is the program's")
	}
	s.term.TypedShortcut(key(fyne.KeyB, fyne.KeyModifierControl|fyne.KeyModifierShift))
	if !shown(h.ui) {
		t.Fatal("Ctrl+Shift+B in the terminal did not bring the sidebar back")
	}
	if h.ui.win.Canvas().Focused() != s.term {
		t.Error("the terminal lost the focus to the sidebar's key")
	}

	// The divider dragged (its offset changed, the sidebar laid out again)
	// and the sidebar hidden: a new window starts so.
	h.ui.side.split.SetOffset(0.4)
	h.ui.side.toggle()
	again := New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	defer again.win.Close()
	if shown(again) {
		t.Error("the next window shows the sidebar the user hid")
	}
	again.side.toggle()
	if got := again.side.split.Offset; got != 0.4 {
		t.Errorf("the next window's divider is at %v, want 0.4 where it was left", got)
	}
}

// Ctrl+= and Ctrl+- zoom the terminals' text in steps, Ctrl+0 resets it,
// also from inside the terminal; the zoom is remembered and a new
// session's terminal starts with it.
func TestTerminalZoomKeys(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	<-h.launcher.shells
	cols, rows := s.term.GridSize()
	for _, tc := range []struct {
		key  *desktop.CustomShortcut
		want float32
	}{
		{key(fyne.KeyEqual, fyne.KeyModifierControl), 1.1},
		{key(fyne.KeyEqual, fyne.KeyModifierControl|fyne.KeyModifierShift), 1.2}, // Ctrl++
		{key(fyne.KeyMinus, fyne.KeyModifierControl), 1.1},
		{key(fyne.Key0, fyne.KeyModifierControl), 1},
		{key(fyne.KeyMinus, fyne.KeyModifierControl), 0.9},
	} {
		s.term.TypedShortcut(tc.key)
		if got := h.ui.zoom(); got != tc.want {
			t.Errorf("after %s the zoom is %v, want %v", tc.key.ShortcutName(), got, tc.want)
		}
	}
	// A cell's width is whole pixels: 90 % may keep it, but not its height.
	if c, r := s.term.GridSize(); c*r <= cols*rows {
		t.Errorf("at 90 %% the terminal has %dx%d cells, not more than the %dx%d at 100 %%", c, r, cols, rows)
	}
	for range 40 {
		h.ui.list.filter.TypedShortcut(key(fyne.KeyMinus, fyne.KeyModifierShortcutDefault))
	}
	if got := h.ui.zoom(); got != zoomMin {
		t.Errorf("zooming out 40 times ends at %v, want the floor %v", got, zoomMin)
	}
	h.ui.list.filter.TypedShortcut(key(fyne.Key0, fyne.KeyModifierShortcutDefault))
	h.ui.setZoom(1.5)
	again := New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	defer again.win.Close()
	if got := again.zoom(); got != 1.5 {
		t.Errorf("the next window's zoom is %v, want 1.5", got)
	}
}
