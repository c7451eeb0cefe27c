package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// A profile can have a zoom of its own (a server whose tools print wide
// tables, another read on a small screen): Ctrl+Alt+= / Ctrl+Alt+- zoom
// the shown tab's profile only, Ctrl+Alt+0 gives it back the global zoom,
// which stays every other profile's. Kept in the app's preferences under
// the profile's name.
const prefProfileZoom = "terminal.zoom.profile."

var profileZoomKeys = []fyne.Shortcut{
	&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierAlt},
	&desktop.CustomShortcut{KeyName: fyne.KeyMinus, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierAlt},
	&desktop.CustomShortcut{KeyName: fyne.Key0, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierAlt},
}

// zoomFor is the zoom of the named profile's terminals: its own, else
// the global one. 0 is stored for none (no zoom is below zoomMin).
func (u *UI) zoomFor(name string) float32 {
	if z := u.app.Preferences().FloatWithFallback(prefProfileZoom+name, 0); z > 0 {
		return float32(z)
	}
	return u.zoom()
}

// setProfileZoom zooms the named profile's terminals to z, within bounds,
// and remembers it; z = 0 returns the profile to the global zoom.
func (u *UI) setProfileZoom(name string, z float32) {
	prefs := u.app.Preferences()
	if z == 0 {
		prefs.RemoveValue(prefProfileZoom + name)
	} else {
		z = min(max(z, zoomMin), zoomMax)
		z = float32(int(z*10+0.5)) / 10
		prefs.SetFloat(prefProfileZoom+name, float64(z))
	}
	u.applyZoom()
	if z == 0 {
		u.setStatus(fmt.Sprintf("%s: terminal text at the global %d %%", name, int(u.zoom()*100+0.5)))
		return
	}
	u.setStatus(fmt.Sprintf("%s: terminal text at %d %% (Ctrl+Alt+0 gives it the global zoom)", name, int(z*100+0.5)))
}

// applyZoom gives every session's terminal its profile's zoom.
func (u *UI) applyZoom() {
	for _, s := range u.sessions {
		if s.term != nil {
			s.term.SetZoom(u.zoomFor(s.name))
		}
	}
}

// profileZoomShortcut runs Ctrl+Alt+= / - / 0 for the shown tab's
// profile; without a tab shown they do nothing.
func (u *UI) profileZoomShortcut(cs *desktop.CustomShortcut) bool {
	if cs.Modifier != fyne.KeyModifierShortcutDefault|fyne.KeyModifierAlt {
		return false
	}
	s := u.sessionOf(u.tabs.Selected())
	if s == nil || !u.tabs.Visible() {
		return cs.KeyName == fyne.KeyEqual || cs.KeyName == fyne.KeyMinus || cs.KeyName == fyne.Key0
	}
	switch cs.KeyName {
	case fyne.KeyEqual:
		u.setProfileZoom(s.name, u.zoomFor(s.name)+zoomStep)
	case fyne.KeyMinus:
		u.setProfileZoom(s.name, u.zoomFor(s.name)-zoomStep)
	case fyne.Key0:
		u.setProfileZoom(s.name, 0)
	default:
		return false
	}
	return true
}
