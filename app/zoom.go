package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The window's layout as the user left it, in Fyne's preferences for the
// app (~/.config/fyne/org.sesame.Sesame/preferences.json): the sidebar's
// width and whether it is collapsed, and the terminals' zoom.
const (
	prefSidebarOffset = "sidebar.offset"
	prefSidebarHidden = "sidebar.hidden"
	prefZoom          = "terminal.zoom"

	defaultSidebarOffset = 0.28
	// Zoom goes in steps of 10 %, from half to three times the theme's
	// text size.
	zoomStep, zoomMin, zoomMax = 0.1, 0.5, 3.0
)

// sideLayout is the main window's middle: the sidebar and the session
// tabs beside it, or the tabs alone with a button to bring the sidebar
// back.
type sideLayout struct {
	u        *UI
	split    *container.Split
	center   *fyne.Container // holds split, or collapsed
	expand   *widget.Button
	hidden   bool
	lastSide float64 // the offset last saved
}

// sidebar lays side beside the tabs, as the preferences say.
func (u *UI) sidebar(side fyne.CanvasObject) fyne.CanvasObject {
	prefs := u.app.Preferences()
	l := &sideLayout{u: u}
	// The sidebar's layout hears every drag of the divider: the offset
	// is saved as it changes, not only when the app quits well.
	watched := container.New(&watchLayout{onLayout: l.saveOffset}, side)
	l.split = container.NewHSplit(watched, u.right)
	l.split.Offset = prefs.FloatWithFallback(prefSidebarOffset, defaultSidebarOffset)
	l.lastSide = l.split.Offset
	l.expand = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), l.toggle)
	l.expand.Importance = widget.LowImportance
	l.center = container.NewStack(l.split)
	u.side = l
	if prefs.Bool(prefSidebarHidden) {
		l.toggle()
	}
	return l.center
}

// toggle collapses the sidebar, or brings it back (Ctrl+B).
func (l *sideLayout) toggle() {
	l.hidden = !l.hidden
	if l.hidden {
		l.split.Trailing = widget.NewLabel("") // u.right moves out of the split
		l.center.Objects = []fyne.CanvasObject{container.NewBorder(nil, nil, l.expand, nil, l.u.right)}
		l.u.setStatus("Sidebar hidden: Ctrl+B (Ctrl+Shift+B in the terminal) or › brings it back")
	} else {
		l.split.Trailing = l.u.right
		l.center.Objects = []fyne.CanvasObject{l.split}
		l.split.Refresh()
	}
	l.center.Refresh()
	l.u.app.Preferences().SetBool(prefSidebarHidden, l.hidden)
	// The keys typed next go where they went, or to the filter box when
	// it is back and no terminal is shown.
	if s := l.u.sessionOf(l.u.tabs.Selected()); s != nil && s.term != nil && s.live() && l.u.tabs.Visible() {
		l.u.win.Canvas().Focus(s.term)
	} else if !l.hidden {
		l.u.win.Canvas().Focus(l.u.list.filter)
	}
}

func (l *sideLayout) saveOffset() {
	if l.hidden || l.split.Offset == l.lastSide {
		return
	}
	l.lastSide = l.split.Offset
	l.u.app.Preferences().SetFloat(prefSidebarOffset, l.split.Offset)
}

// watchLayout lays its one object over all of its size, and says so.
type watchLayout struct{ onLayout func() }

func (w *watchLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	w.onLayout()
}

func (w *watchLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

// zoom is the terminals' zoom, 1 unless the user changed it.
func (u *UI) zoom() float32 {
	return float32(u.app.Preferences().FloatWithFallback(prefZoom, 1))
}

// setZoom zooms every session's terminal to z, within bounds, and
// remembers it.
func (u *UI) setZoom(z float32) {
	z = min(max(z, zoomMin), zoomMax)
	z = float32(int(z*10+0.5)) / 10 // whole steps: 1.1, not 1.0999999
	u.app.Preferences().SetFloat(prefZoom, float64(z))
	u.applyZoom() // profiles with a zoom of their own keep it (zoom_profile.go)
	u.setStatus(fmt.Sprintf("Terminal text at %d %% (Ctrl+0 resets it)", int(z*100+0.5)))
}

// layoutKeys are the window's keys for the layout: Ctrl+B for the
// sidebar, Ctrl+= / Ctrl+- / Ctrl+0 for the terminals' zoom.
var layoutKeys = []fyne.Shortcut{
	&desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault},
	&desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift},
	&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierShortcutDefault},
	&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift},
	&desktop.CustomShortcut{KeyName: fyne.KeyMinus, Modifier: fyne.KeyModifierShortcutDefault},
	&desktop.CustomShortcut{KeyName: fyne.Key0, Modifier: fyne.KeyModifierShortcutDefault},
}

// layoutShortcut runs the layout keys (primary: Ctrl, outside the terminal). In the terminal Ctrl+B
// is the program's (tmux, readline), so the sidebar takes Ctrl+Shift+B
// there; the zoom keys send nothing a program reads, so they zoom there too
// — but not Ctrl+Shift+-, which is Ctrl+_ (undo).
func (u *UI) layoutShortcut(cs *desktop.CustomShortcut, primary bool) bool {
	if u.profileZoomShortcut(cs) {
		return true
	}
	ctrl := cs.Modifier == fyne.KeyModifierShortcutDefault
	ctrlShift := cs.Modifier == fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift
	switch {
	case cs.KeyName == fyne.KeyB && (primary || cs.Modifier == fyne.KeyModifierControl|fyne.KeyModifierShift):
		u.side.toggle()
	case cs.KeyName == fyne.KeyEqual && (ctrl || ctrlShift):
		u.setZoom(u.zoom() + zoomStep)
	case cs.KeyName == fyne.KeyMinus && ctrl:
		u.setZoom(u.zoom() - zoomStep)
	case cs.KeyName == fyne.Key0 && ctrl:
		u.setZoom(1)
	default:
		return false
	}
	return true
}
