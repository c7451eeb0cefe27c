//go:build linux

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/profiles"
)

// The ssh config import and the form's Forwards and Jump hosts sections
// in the real app on Xvfb, each opened by clicks and seen on the screen:
// the file dialog shows a file named config; a host updates the profile
// of its name; a new one is added once the form has its knock; a forward
// typed wrong is pointed out with profiles' words, and a jump host picked
// from the list; the store holds what was shown.
func TestRealWindowSSHImportAndForwardForm(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, nil)
	// A file named as ~/.ssh/config is, in the home folder where the file
	// dialog starts (it does not show hidden folders such as ~/.ssh).
	conf := "Host web\n  HostName 192.0.2.10\n  User alice\n  LocalForward 8080 localhost:80\n\n" +
		"Host gate\n  HostName 192.0.2.60\n  ProxyJump web\n"
	if err := os.WriteFile(filepath.Join(a.home(t), "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	store := profiles.NewStore(a.env(t, "SESAME_CONFIG_DIR"), profiles.SystemKeyring())
	get := func(name string) *profiles.Profile {
		t.Helper()
		p, err := store.Get(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return p
	}
	a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 && st.MenuButton[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))

	st := a.waitState(t, "the ⋮ button", func(st hookState) bool { return st.MenuButton[2] > 0 && st.top() == 0 })
	a.clickAt(t, st.MenuButton)
	a.dialogShown(t, "menu-import-ssh", "Import profiles…")
	a.clickText(t, "Import profiles…")
	a.dialogShown(t, "dialog-import-ssh-file", "Open", "config")
	a.clickText(t, "config")
	a.clickText(t, "Open")
	a.dialogShown(t, "dialog-import-ssh", "Update 1 profile", "Add with its knock…", "1 profile to update (their knocks stay):")
	a.clickText(t, "Update 1 profile")
	a.waitState(t, "the update", func(st hookState) bool { return strings.HasPrefix(st.Status, "Updated 1 profile from config") })
	web := get("web")
	if web.User != "alice" || len(web.Forwards) != 1 || web.Forwards[0].String() != "L 8080:localhost:80" || len(web.Secrets.Open) == 0 {
		t.Errorf("web after the import: user %q forwards %v open %s", web.User, web.Forwards, web.Secrets.Open)
	}

	a.clickText(t, "Add with its knock…")
	a.dialogShown(t, "dialog-import-ssh-form", "New profile", "Save", "gate")
	a.scrollTo(t, "e.g. 7000,8000,9000", "Name")
	a.clickText(t, "e.g. 7000,8000,9000")
	a.disp.Xdotool(t, "type", "--delay", "20", "7100,7200")
	a.clickText(t, "Save")
	a.dialogShown(t, "dialog-import-ssh-added", "Added as gate")
	if gate := get("gate"); gate.Host != "192.0.2.60" || !reflect.DeepEqual(gate.Jump, []string{"web"}) || gate.Secrets.Open.String() != "7100,7200" {
		t.Errorf("gate saved as host %s jump %v open %s", gate.Host, gate.Jump, gate.Secrets.Open)
	}
	a.clickText(t, "Close")
	a.closed(t, "the import dialog", "Added as gate")

	// gate's form: a forward, typed wrong then right; a second hop.
	a.clickText(t, "gate")
	a.waitState(t, "gate selected", func(st hookState) bool { return st.Selected == "gate" })
	a.clickText(t, "Edit")
	a.dialogShown(t, "dialog-form-forwards", "Edit gate", "Save")
	a.scrollDown(t, "Add a forward")
	a.clickText(t, "Add a forward")
	a.scrollDown(t, "e.g. 8080:localhost:80")
	a.clickText(t, "e.g. 8080:localhost:80")
	a.disp.Xdotool(t, "type", "--delay", "20", "9090:localhost")
	a.scrollDown(t, "Add a jump host…") // the row's hint, under it
	a.waitState(t, "the forward's problem", func(st hookState) bool {
		return strings.Contains(st.topTexts(), "colon-separated part(s) where 3 or 4 are needed")
	})
	a.dialogShown(t, "dialog-form-forward-wrong", "Forwards", "Save")
	a.disp.Xdotool(t, "type", "--delay", "20", ":80")
	a.waitState(t, "the forward right", func(st hookState) bool {
		return !strings.Contains(st.topTexts(), "colon-separated")
	})
	a.scrollDown(t, "Add a jump host…")
	a.clickText(t, "Add a jump host…")
	a.dialogShown(t, "menu-jump-host", "lab")
	a.clickText(t, "lab")
	a.dialogShown(t, "dialog-form-jump", "2. lab", "1. web")
	a.clickText(t, "Save")
	a.closed(t, "the form", "Edit gate")
	gate := get("gate")
	if !reflect.DeepEqual(gate.Jump, []string{"web", "lab"}) || len(gate.Forwards) != 1 || gate.Forwards[0].String() != "L 9090:localhost:80" {
		t.Errorf("gate saved with jump %v forwards %v", gate.Jump, gate.Forwards)
	}
	a.alive(t, "the forwards form and the ssh config import")
}

// scrollDown turns the mouse wheel over the form's label column (not over
// an entry, which takes the wheel) until text shows on the top layer: the
// rows near the end of the form are below the fold.
func (a *realApp) scrollDown(t testing.TB, text string) {
	t.Helper()
	deadline := time.Now().Add(testnet.Await)
	for {
		st, _ := a.read()
		if _, ok := st.find(text); ok {
			a.steady(t, text)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after scrolling; on top: %s", text, st.topTexts())
		}
		// The wheel over the middle of the form.
		v := st.FormView
		if v[2] == 0 {
			t.Fatalf("no profile form to scroll to %q", text)
		}
		a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(v[0]+v[2]/2)), fmt.Sprint(int(v[1]+v[3]/2)), "click", "5")
		seq := st.Seq
		a.waitState(t, "a new state", func(st hookState) bool { return st.Seq > seq })
	}
}
