package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"sesame/icons"
)

// trayHost shows Sesame's icon in the desktop's system tray, with a menu.
type trayHost interface {
	// Start shows the icon; the app calls it once its loop runs.
	Start()
	// SetMenu replaces the menu.
	SetMenu(*fyne.Menu)
	// Stop takes the icon away as the app quits.
	Stop()
}

// setupTray gives desktops with a system tray Sesame's icon there (a test
// app has none).
func (u *UI) setupTray() {
	if d, ok := u.app.(desktop.App); ok {
		u.tray = newTray(d, fyne.NewStaticResource("sesame-tray.png", icons.Tray))
		u.refreshTray()
	}
}

// trayMenu is the tray's menu: each profile with Connect, Knock open and
// Knock close, then Show window and Quit.
func (u *UI) trayMenu() *fyne.Menu {
	var items []*fyne.MenuItem
	for _, p := range ordered(u.all) {
		p := p
		item := fyne.NewMenuItem(p.Name, nil)
		item.ChildMenu = fyne.NewMenu("",
			fyne.NewMenuItem("Connect", func() { u.win.Show(); u.connect(p.Name) }),
			fyne.NewMenuItem("Knock open", func() { u.knock(p, false) }),
			fyne.NewMenuItem("Knock close", func() { u.knock(p, true) }),
		)
		items = append(items, item)
	}
	if len(items) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	show := fyne.NewMenuItem("Show window", func() { u.win.Show(); u.win.RequestFocus() })
	quit := fyne.NewMenuItem("Quit", u.Quit)
	// Marked as the quit item, Fyne adds none of its own, which would quit
	// without closing the doors.
	quit.IsQuit = true
	items = append(items, show, quit)
	return fyne.NewMenu("Sesame", items...)
}

// refreshTray rebuilds the tray menu after the profiles changed.
func (u *UI) refreshTray() {
	if u.tray != nil {
		u.tray.SetMenu(u.trayMenu())
	}
}
