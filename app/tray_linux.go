//go:build linux

package app

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"sesame/internal/sessionbus"
)

// dbusTray is the tray on Linux: a StatusNotifierItem on the session bus,
// which fyne.io/systray serves from goroutines of its own. Sesame runs it
// itself, started once the window's loop runs: Fyne's tray (its
// SetSystemTrayMenu) first opens a hidden window with a GL context of its
// own, on the UI thread before the first frame, which cost the app about
// 10 MB and 50 ms of start-up for what is a D-Bus service here.
type dbusTray struct {
	start, stop func()

	mu      sync.Mutex
	started bool       // Start ran
	ready   bool       // systray is up: menus can be built
	menu    *fyne.Menu // the menu to show
}

func newTray(_ desktop.App, icon fyne.Resource) trayHost {
	t := &dbusTray{}
	// Before start, which copies them into what it exports: set after,
	// they could miss it. Some trays fail on an item without a title.
	systray.SetIcon(icon.Content())
	systray.SetTitle("Sesame")
	t.start, t.stop = systray.RunWithExternalLoop(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.ready = true
		t.build()
	}, nil)
	return t
}

// Start connects to the session bus and shows the icon, off the UI
// goroutine. Without a session bus there is no tray to show it in, and
// godbus would start a bus of its own that outlives Sesame.
func (t *dbusTray) Start() {
	if !sessionbus.Present() {
		return
	}
	t.mu.Lock()
	t.started = true
	t.mu.Unlock()
	go t.start()
}

// Stop takes the icon away. It closes the shared session bus connection,
// which the keyring uses too: the app stops the tray last.
func (t *dbusTray) Stop() {
	t.mu.Lock()
	started := t.started
	t.mu.Unlock()
	if started {
		t.stop()
	}
}

func (t *dbusTray) SetMenu(m *fyne.Menu) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.menu = m
	if t.ready {
		t.build()
	}
}

// build replaces the tray's items with t.menu's. The caller holds t.mu.
func (t *dbusTray) build() {
	systray.ResetMenu() // closes the old items' channels, ending their goroutines
	if t.menu != nil {
		addTrayItems(t.menu, nil)
	}
}

// addTrayItems adds m's items under parent (nil: the top level). A click
// runs the item's action on the UI goroutine.
func addTrayItems(m *fyne.Menu, parent *systray.MenuItem) {
	for _, it := range m.Items {
		if it.IsSeparator {
			if parent != nil {
				parent.AddSeparator()
			} else {
				systray.AddSeparator()
			}
			continue
		}
		var item *systray.MenuItem
		if parent != nil {
			item = parent.AddSubMenuItem(it.Label, "")
		} else {
			item = systray.AddMenuItem(it.Label, "")
		}
		if it.Disabled {
			item.Disable()
		}
		if it.ChildMenu != nil {
			addTrayItems(it.ChildMenu, item)
		}
		if fn := it.Action; fn != nil {
			go func() {
				for range item.ClickedCh {
					fyne.Do(fn)
				}
			}()
		}
	}
}
