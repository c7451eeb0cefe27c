//go:build linux

package app

import (
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
)

// portal is a stand-in for xdg-desktop-portal's Settings on the test's
// session bus: the desktop's light or dark preference, as GNOME and KDE
// publish it, which Fyne reads at start and follows as it changes.
type portal struct {
	conn   *dbus.Conn
	scheme uint32 // 1 dark, 2 light
}

const portalPath = dbus.ObjectPath("/org/freedesktop/portal/desktop")

func startPortal(t testing.TB, scheme uint32) *portal {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("no session bus for a settings portal: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &portal{conn: conn, scheme: scheme}
	if err := conn.Export(p, portalPath, "org.freedesktop.portal.Settings"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.portal.Desktop", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Skipf("cannot own org.freedesktop.portal.Desktop on the test bus (%v, %v)", reply, err)
	}
	return p
}

// ReadOne is the portal's method: the colour scheme, nothing else.
func (p *portal) ReadOne(namespace, key string) (dbus.Variant, *dbus.Error) {
	if namespace == "org.freedesktop.appearance" && key == "color-scheme" {
		return dbus.MakeVariant(p.scheme), nil
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.portal.Error.NotFound", []any{"no such setting"})
}

// Read is ReadOne's older form, whose value is wrapped once more.
func (p *portal) Read(namespace, key string) (dbus.Variant, *dbus.Error) {
	v, err := p.ReadOne(namespace, key)
	return dbus.MakeVariant(v), err
}

// set changes the scheme and tells the listeners, as the desktop does
// when the user flips its dark style.
func (p *portal) set(t testing.TB, scheme uint32) {
	t.Helper()
	p.scheme = scheme
	if err := p.conn.Emit(portalPath, "org.freedesktop.portal.Settings.SettingChanged",
		"org.freedesktop.appearance", "color-scheme", dbus.MakeVariant(scheme)); err != nil {
		t.Fatal(err)
	}
}

// lightness is the mean brightness (0 to 1) of the window's pixels on
// the screen.
func lightness(img image.Image, at image.Point, w, h int) float64 {
	var sum, n float64
	for y := at.Y; y < at.Y+h; y += 4 {
		for x := at.X; x < at.X+w; x += 4 {
			r, g, b, _ := img.At(x, y).RGBA()
			sum += (0.3*float64(r) + 0.59*float64(g) + 0.11*float64(b)) / 0xffff
			n++
		}
	}
	return sum / n
}

// The window's layout in the real app on Xvfb: at 800×600 Ctrl+Shift+B
// (in the terminal) collapses the sidebar and the terminal gets the
// width; Ctrl+= zooms the terminal; the theme follows the desktop's dark
// or light preference (the settings portal), also when it changes; and
// the next start has the sidebar and zoom as they were left.
func TestRealWindowLayout(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	keyring.Require(t)
	desk := startPortal(t, 1)
	g := newGuardedSSH(t)
	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g)
	st := a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	win := a.window(t)
	a.disp.Xdotool(t, "windowfocus", "--sync", win)
	a.disp.Xdotool(t, "type", "--delay", "30", "lab")
	st = a.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" && st.Connect[2] > 0 })
	a.click(t, st.Connect)
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	// The title names the session; the details say its door is open.
	if name := strings.TrimSpace(a.disp.Xdotool(t, "getwindowname", win)); name != "lab — Sesame" {
		t.Errorf("the window's title is %q, want lab — Sesame", name)
	}
	a.waitState(t, "the door open in the details", shows("● Door open for "))
	at := a.origin(t)
	if l := lightness(disp.Screenshot(t), at, 1100, 700); l > 0.3 {
		t.Errorf("the desktop prefers dark, but the window's lightness is %.2f", l)
	}

	a.disp.Xdotool(t, "windowsize", "--sync", win, "800", "600")
	st = a.waitState(t, "the window at 800×600", func(st hookState) bool {
		return len(st.Tabs) == 1 && st.Tabs[0].Cols > 0 && st.Tabs[0].Cols < 80
	})
	narrow := st.Tabs[0].Cols
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("layout-800x600.png"))
	a.disp.Xdotool(t, "key", "ctrl+shift+b")
	st = a.waitState(t, "the sidebar collapsed and a wider terminal", func(st hookState) bool {
		return st.SidebarHidden && len(st.Tabs) == 1 && st.Tabs[0].Cols > narrow+20
	})
	wide := st.Tabs[0].Cols
	t.Logf("at 800×600 the terminal has %d columns beside the sidebar, %d without it", narrow, wide)
	if strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "^B") {
		t.Error("Ctrl+Shift+B reached the shell")
	}
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("layout-collapsed.png"))

	a.disp.Xdotool(t, "key", "ctrl+equal")
	st = a.waitState(t, "the terminal zoomed in", func(st hookState) bool {
		return st.Zoom > 1.05 && len(st.Tabs) == 1 && st.Tabs[0].Cols < wide
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("layout-zoomed.png"))

	desk.set(t, 2)
	var shot image.Image
	testnet.WaitFor(t, "the window to turn light with the desktop", func() bool {
		shot = disp.Screenshot(t)
		return lightness(shot, at, 800, 600) > 0.6
	})
	xvfb.SavePNG(t, shot, artifact("layout-light.png"))

	// The next start: the sidebar and zoom as left, the theme light.
	a.cmd.Process.Signal(unix.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(testnet.Await):
		t.Fatal("the app did not quit on SIGTERM")
	}
	b := startApp(t, disp, g)
	st = b.waitState(t, "the next start", func(st hookState) bool { return st.Seq > 2 })
	if !st.SidebarHidden || st.Zoom < 1.05 || st.Zoom > 1.15 {
		t.Errorf("the next start has the sidebar hidden %v and zoom %v, want hidden and 1.1 as left", st.SidebarHidden, st.Zoom)
	}
	testnet.WaitFor(t, "the next start drawn light", func() bool {
		shot = disp.Screenshot(t)
		return lightness(shot, b.origin(t), 1100, 700) > 0.6
	})
	xvfb.SavePNG(t, shot, artifact("layout-next-start.png"))

	// Ctrl+B brings the sidebar back; Knock open and Knock close say how
	// they went in the details, in words that stand out.
	b.disp.Xdotool(t, "windowfocus", "--sync", b.window(t))
	b.disp.Xdotool(t, "key", "ctrl+b")
	b.waitState(t, "the sidebar shown", func(st hookState) bool { return !st.SidebarHidden && st.Connect[2] > 0 })
	b.disp.Xdotool(t, "type", "--delay", "30", "lab")
	b.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" })
	b.clickText(t, "Knock open")
	b.waitState(t, "the open knock's result", shows("● Door knocked open 0 s ago"))
	g.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("door-knocked-open.png"))
	b.clickText(t, "Knock close")
	b.waitState(t, "the close knock's result", shows("✓ Door knocked shut 0 s ago"))
	g.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("door-knocked-shut.png"))

	// Esc closes the profile form, also with the focus in its Name field.
	b.disp.Xdotool(t, "key", "ctrl+n")
	b.dialogShown(t, "form-before-esc", "New profile", "Save")
	b.disp.Xdotool(t, "type", "--delay", "20", "draft")
	b.disp.Xdotool(t, "key", "Escape")
	b.closed(t, "the form", "New profile")

	formKeysAndWheel(t, b)
}

// formKeysAndWheel: in the profile form, Tab stops once on the kind of
// knock, whose choice the arrow keys move, then goes on to the chosen
// kind's first field; the wheel over a text field scrolls the form.
func formKeysAndWheel(t *testing.T, a *realApp) {
	a.disp.Xdotool(t, "windowsize", "--sync", a.window(t), "800", "450")
	a.disp.Xdotool(t, "key", "ctrl+n")
	a.dialogShown(t, "form-keys", "New profile", "Save")
	st := a.waitState(t, "the Name field focused", func(st hookState) bool { return st.Focused == "field:"+fName })
	for tabs := 1; !strings.HasPrefix(st.Focused, "kind:"); tabs++ {
		if tabs > 15 {
			t.Fatalf("15 Tabs from Name did not reach the kind of knock; the focus is on %s", st.Focused)
		}
		prev := st.Focused
		a.disp.Xdotool(t, "key", "Tab")
		st = a.waitState(t, "the focus to move on from "+prev, func(st hookState) bool { return st.Focused != prev })
	}
	if st.Focused != "kind:"+kindFixed {
		t.Fatalf("the kind of knock is focused as %q, want fixed knocks chosen", st.Focused)
	}
	a.disp.Xdotool(t, "key", "Right")
	a.waitState(t, "Right to choose a rotating sequence", func(st hookState) bool { return st.Focused == "kind:"+kindRotating })
	xvfb.SavePNG(t, a.disp.Screenshot(t), artifact("form-kind-focused.png"))
	a.disp.Xdotool(t, "key", "Tab")
	a.waitState(t, "Tab on to the seed", func(st hookState) bool { return st.Focused == "field:"+fSeed })
	a.disp.Xdotool(t, "key", "shift+Tab")
	a.waitState(t, "Shift+Tab back to the kind of knock", func(st hookState) bool { return st.Focused == "kind:"+kindRotating })
	a.disp.Xdotool(t, "key", "Left")
	st = a.waitState(t, "Left back to fixed knocks", func(st hookState) bool { return st.Focused == "kind:"+kindFixed })

	// The wheel, over the middle of the Name field.
	name := st.FormName
	if name[2] == 0 {
		t.Fatalf("no Name field in the state: %+v", st)
	}
	x, y := name[0]+name[2]/2, name[1]+name[3]/2
	a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "--repeat", "3", "5")
	a.waitState(t, "the wheel over the Name field to scroll the form", func(st hookState) bool { return st.FormName[1] < name[1]-10 })
	xvfb.SavePNG(t, a.disp.Screenshot(t), artifact("form-wheel-scrolled.png"))
	a.disp.Xdotool(t, "key", "Escape")
	a.closed(t, "the form", "New profile")
}

// shows is a condition on the state: a text in the window starts with
// prefix (a wrapped label's first line).
func shows(prefix string) func(hookState) bool {
	return func(st hookState) bool {
		for _, tx := range st.Texts {
			if tx.Layer == 0 && strings.HasPrefix(tx.Text, prefix) {
				return true
			}
		}
		return false
	}
}
