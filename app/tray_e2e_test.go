//go:build linux

package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"sesame/internal/testnet"
)

// trayMenuPath is where fyne.io/systray exports the tray's menu
// (com.canonical.dbusmenu) on the session bus, for the desktop's tray to
// show and click.
const trayMenuPath = "/StatusNotifierItem/menu"

// trayItem is a tray menu item as dbusmenu's GetLayout lists it.
type trayItem struct {
	id       int32
	label    string
	children []trayItem
}

// parseTrayItem reads a (ia{sv}av) layout node.
func parseTrayItem(v []any) (trayItem, error) {
	if len(v) != 3 {
		return trayItem{}, fmt.Errorf("a layout node of %d fields, want 3", len(v))
	}
	id, _ := v[0].(int32)
	props, _ := v[1].(map[string]dbus.Variant)
	it := trayItem{id: id}
	if l, ok := props["label"]; ok {
		it.label, _ = l.Value().(string)
	}
	kids, _ := v[2].([]dbus.Variant)
	for _, k := range kids {
		fields, ok := k.Value().([]any)
		if !ok {
			return trayItem{}, fmt.Errorf("a child of %q is a %T", it.label, k.Value())
		}
		c, err := parseTrayItem(fields)
		if err != nil {
			return trayItem{}, err
		}
		it.children = append(it.children, c)
	}
	return it, nil
}

// find is the item at path, by labels ("lab", "Knock open").
func (it trayItem) find(path ...string) (trayItem, bool) {
	if len(path) == 0 {
		return it, true
	}
	for _, c := range it.children {
		if c.label == path[0] {
			return c.find(path[1:]...)
		}
	}
	return trayItem{}, false
}

func (it trayItem) String() string {
	var out []string
	for _, c := range it.children {
		s := c.label
		if len(c.children) > 0 {
			s += " " + c.String()
		}
		out = append(out, s)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// trayClick clicks the app's tray menu item at path as the desktop's tray
// does: a dbusmenu "clicked" event on the session bus, which the app
// shares with the test's keyring.
func (a *realApp) trayClick(t testing.TB, path ...string) {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("the session bus: %v", err)
	}
	obj := conn.Object(fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", a.cmd.Process.Pid), trayMenuPath)
	var item trayItem
	var last error
	ok := false
	deadline := time.Now().Add(testnet.Await)
	for !ok {
		if time.Now().After(deadline) {
			t.Fatalf("no tray item %q after %s: the menu is %v (%v)", strings.Join(path, " → "), testnet.Await, item, last)
		}
		var rev uint32
		var layout []any
		if last = obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &layout); last == nil {
			var root trayItem
			if root, last = parseTrayItem(layout); last == nil {
				item = root
				var hit trayItem
				if hit, ok = root.find(path...); ok {
					item = hit
				}
			}
		}
		if !ok {
			// fyne.io/systray answers the first GetLayout one level deep
			// and refreshes the menu 150 ms later, racing with a
			// GetLayout then (the race detector stops a -race app): ask
			// again only after that.
			time.Sleep(300 * time.Millisecond)
		}
	}
	a.before = a.disp.Screenshot(t)
	if err := obj.Call("com.canonical.dbusmenu.Event", 0, item.id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix())).Err; err != nil {
		t.Fatalf("click the tray's %q: %v", strings.Join(path, " → "), err)
	}
}
