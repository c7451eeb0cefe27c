//go:build !linux

package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// fyneTray is Fyne's own tray, which on Windows and macOS runs in the
// app's loop: it must be set up before the loop starts, and Fyne takes it
// away as the app quits.
type fyneTray struct{ d desktop.App }

func newTray(d desktop.App, icon fyne.Resource) trayHost {
	d.SetSystemTrayIcon(icon)
	return fyneTray{d}
}

func (t fyneTray) Start()               {}
func (t fyneTray) SetMenu(m *fyne.Menu) { t.d.SetSystemTrayMenu(m) }
func (t fyneTray) Stop()                {}
