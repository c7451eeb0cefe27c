package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// Ctrl+Alt+= / - zoom the shown tab's profile only, and are remembered;
// the global zoom (Ctrl+= / -) stays every other profile's; Ctrl+Alt+0
// gives the profile the global zoom back.
func TestProfileZoom(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"), profile(t, "db", "db.example.com", "7000", "7001"))
	var terms = map[string]*session{}
	for _, name := range []string{"db", "web"} {
		h.ui.connect(name)
		s := h.session(name)
		h.until("the terminal of "+name, func() bool { return strings.Contains(h.screen(s), "welcome") })
		<-h.launcher.shells
		terms[name] = s
	}
	web, db := terms["web"], terms["db"]
	h.ui.tabs.Select(web.tab)
	ctrlAlt := fyne.KeyModifierShortcutDefault | fyne.KeyModifierAlt
	webCols, _ := web.term.GridSize()
	dbCols, _ := db.term.GridSize()

	web.term.TypedShortcut(key(fyne.KeyEqual, ctrlAlt))
	web.term.TypedShortcut(key(fyne.KeyEqual, ctrlAlt))
	if got := h.ui.zoomFor("web"); got != 1.2 {
		t.Errorf("web's zoom after Ctrl+Alt+= twice: %v, want 1.2", got)
	}
	if got := h.ui.zoomFor("db"); got != 1 {
		t.Errorf("db's zoom changed with web's: %v", got)
	}
	if c, _ := web.term.GridSize(); c >= webCols {
		t.Errorf("web's terminal at 120 %%: %d columns, want fewer than %d", c, webCols)
	}
	if c, _ := db.term.GridSize(); c != dbCols {
		t.Errorf("db's terminal went from %d to %d columns with web's zoom", dbCols, c)
	}

	h.ui.list.filter.TypedShortcut(key(fyne.KeyMinus, fyne.KeyModifierShortcutDefault))
	if got := h.ui.zoomFor("db"); got != 0.9 {
		t.Errorf("db follows the global zoom: %v, want 0.9", got)
	}
	if got := h.ui.zoomFor("web"); got != 1.2 {
		t.Errorf("the global zoom moved web's own: %v, want 1.2", got)
	}

	again := New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	defer again.win.Close()
	if got := again.zoomFor("web"); got != 1.2 {
		t.Errorf("the next window's zoom for web: %v, want 1.2 remembered", got)
	}

	web.term.TypedShortcut(key(fyne.Key0, ctrlAlt))
	if got := h.ui.zoomFor("web"); got != 0.9 {
		t.Errorf("after Ctrl+Alt+0 web's zoom is %v, want the global 0.9", got)
	}
}
