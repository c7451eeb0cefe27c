//go:build linux

package app

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/knocker"
	"sesame/profiles"
)

// top is the topmost layer of st's texts: the top dialog or menu, or the
// window's content when none is open.
func (st hookState) top() int {
	top := 0
	for _, tx := range st.Texts {
		top = max(top, tx.Layer)
	}
	return top
}

// find is a text drawn on the top layer (the last one, when several
// match).
func (st hookState) find(text string) (hookText, bool) {
	var hit hookText
	ok := false
	top := st.top()
	for _, tx := range st.Texts {
		if tx.Layer == top && tx.Text == text {
			hit, ok = tx, true
		}
	}
	return hit, ok
}

// topTexts is the top layer's texts, one a line, for failure messages.
func (st hookState) topTexts() string {
	var out []string
	top := st.top()
	for _, tx := range st.Texts {
		if tx.Layer == top {
			out = append(out, tx.Text)
		}
	}
	return strings.Join(out, " | ")
}

// awaitTexts waits until the top layer shows every one of texts, and
// returns that state.
func (a *realApp) awaitTexts(t testing.TB, what string, texts ...string) hookState {
	t.Helper()
	deadline := time.Now().Add(testnet.Await)
	for {
		st, ok := a.read()
		missing := ""
		for _, tx := range texts {
			if _, found := st.find(tx); !found {
				missing = tx
				break
			}
		}
		if ok && missing == "" {
			return st
		}
		if a.exited() {
			t.Fatalf("the app is gone, waiting for %s; its last state showed on top: %s", what, st.topTexts())
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s (no %q); on top: %s", testnet.Await, what, missing, st.topTexts())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clickText clicks the text on the top layer: a button's or a menu item's
// label, a file in a file dialog.
func (a *realApp) clickText(t testing.TB, text string) {
	t.Helper()
	a.clickAt(t, a.steady(t, text).Rect)
}

// tick clicks the box of the check labelled text.
func (a *realApp) tick(t testing.TB, text string) {
	t.Helper()
	r := a.steady(t, text).Rect
	a.clickAt(t, [4]float32{r[0] - 24, r[1], 16, r[3]})
}

// clickAt clicks the middle of r, keeping the screen before the click
// for dialogShown.
func (a *realApp) clickAt(t testing.TB, r [4]float32) {
	t.Helper()
	a.before = a.disp.Screenshot(t)
	a.click(t, r)
}

// steady waits for text on the top layer to stay in one place in two
// states in a row: a scroll or a layout may still move it.
func (a *realApp) steady(t testing.TB, text string) hookText {
	t.Helper()
	st := a.awaitTexts(t, "a "+text+" to click", text)
	for {
		tx, _ := st.find(text)
		seq := st.Seq
		a.waitState(t, "a new state", func(st hookState) bool { return st.Seq > seq })
		st = a.awaitTexts(t, "a "+text+" to click", text)
		if now, _ := st.find(text); now == tx {
			return tx
		}
	}
}

// scrollTo scrolls the top layer with the mouse wheel over the text at,
// until text shows there.
func (a *realApp) scrollTo(t testing.TB, text, at string) {
	t.Helper()
	for range 20 {
		tx := a.steady(t, at) // after the last scroll has moved it
		st, _ := a.read()
		if _, ok := st.find(text); ok {
			return
		}
		x, y := tx.Rect[0]+tx.Rect[2]/2, tx.Rect[1]+tx.Rect[3]/2
		a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "5")
	}
	st, _ := a.read()
	t.Fatalf("no %q after scrolling; on top: %s", text, st.topTexts())
}

// alive checks that the app still runs: it keeps writing its state. A
// crashed app writes no more.
func (a *realApp) alive(t testing.TB, after string) {
	t.Helper()
	st, _ := a.read()
	seq := st.Seq
	deadline := time.Now().Add(testnet.Await)
	for {
		if st, ok := a.read(); ok && st.Seq > seq+1 {
			return
		}
		if a.exited() || time.Now().After(deadline) {
			t.Fatalf("the app is gone after %s", after)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exited reports whether the app has ended (a crash): it is a zombie
// child, or reaped.
func (a *realApp) exited() bool {
	if a.cmd.ProcessState != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", a.cmd.Process.Pid))
	if err != nil {
		return true
	}
	// pid (comm) S ...: the state follows the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

// origin is where the app's window is on the screen.
func (a *realApp) origin(t testing.TB) image.Point {
	t.Helper()
	var p image.Point
	for _, line := range strings.Split(a.disp.Xdotool(t, "getwindowgeometry", "--shell", a.window(t)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "X":
			p.X = n
		case "Y":
			p.Y = n
		}
	}
	return p
}

// drawn reports whether the screen shows something newly drawn in r
// (window pixels): more than one colour, as text on a background is, and
// not what the screen showed there before (when before is not nil), so
// that a dialog not yet drawn over the window does not pass for one.
func drawn(img, before image.Image, at image.Point, r [4]float32) bool {
	colours := map[[3]uint32]int{}
	changed := before == nil
	for y := int(r[1]); y < int(r[1]+r[3]); y++ {
		for x := int(r[0]); x < int(r[0]+r[2]); x++ {
			cr, cg, cb, _ := img.At(at.X+x, at.Y+y).RGBA()
			colours[[3]uint32{cr, cg, cb}]++
			if !changed {
				br, bg, bb, _ := before.At(at.X+x, at.Y+y).RGBA()
				changed = br != cr || bg != cg || bb != cb
			}
		}
	}
	return len(colours) > 1 && changed
}

// dialogShown waits until a dialog (or menu) whose top layer shows every
// one of texts is open and drawn on the screen — the first text's place
// shows it —, saves a screenshot as name, and checks the app is alive.
func (a *realApp) dialogShown(t testing.TB, name string, texts ...string) hookState {
	t.Helper()
	st := a.awaitTexts(t, name, texts...)
	if st.top() == 0 {
		t.Fatalf("%s: %q is in the window, not in a dialog", name, texts[0])
	}
	tx, _ := st.find(texts[0])
	at := a.origin(t)
	var shot image.Image
	testnet.WaitFor(t, name+" drawn on the screen", func() bool {
		shot = a.disp.Screenshot(t)
		return drawn(shot, a.before, at, tx.Rect)
	})
	xvfb.SavePNG(t, shot, artifact(name+".png"))
	a.alive(t, name)
	return st
}

// closed waits until no dialog or menu shows text.
func (a *realApp) closed(t testing.TB, what, text string) {
	t.Helper()
	a.waitState(t, what+" closed", func(st hookState) bool {
		for _, tx := range st.Texts {
			if tx.Layer > 0 && tx.Text == text {
				return false
			}
		}
		return true
	})
}

// Every dialog and menu item of the window, in the real app on Xvfb, each
// opened by clicks as a person would and seen on the screen: the file
// pickers (which crashed the app), import, export, the profile form,
// delete, an error dialog. A crash of any of them fails the test.
func TestRealWindowDialogs(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	disp := xvfb.Start(t, 1280, 800)
	noClose := &profiles.Profile{Name: "quiet", Host: "192.0.2.50", User: "root"}
	noClose.Secrets.Open = mustSeq(t, "7000")
	a := startApp(t, disp, nil, noClose)
	home := a.home(t)
	// What the file dialogs pick: a knockd.conf in the home folder (where
	// they start), and a public key beside no private one in ~/.ssh.
	if err := os.WriteFile(filepath.Join(home, "doors.conf"), []byte(testnet.GuideConf), 0o600); err != nil {
		t.Fatal(err)
	}
	ssh := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(ssh, 0o700); err != nil {
		t.Fatal(err)
	}
	pub := writeKeys(t).public
	data, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ssh, "laptop.pub"), data, 0o600); err != nil {
		t.Fatal(err)
	}

	st := a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 && st.MenuButton[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("dialogs-window.png"))

	// The empty window's Import: a file dialog, a knockd.conf picked in
	// it, the host asked, the profiles listed, imported.
	a.clickText(t, "Import")
	a.dialogShown(t, "dialog-import-file", "Open", "Cancel", "doors")
	a.clickText(t, "doors")
	a.clickText(t, "Open")
	a.dialogShown(t, "dialog-import-host", "Import knockd.conf", "Next")
	a.disp.Xdotool(t, "type", "--delay", "20", "192.0.2.1")
	a.clickText(t, "Next")
	a.dialogShown(t, "dialog-import-confirm", "Import", "Replace profiles of the same name")
	a.clickText(t, "Import")
	a.waitState(t, "the import saved", func(st hookState) bool { return strings.HasPrefix(st.Status, "Imported 1 profile") })

	// The ⋮ menu: each item.
	menu := func(item string) {
		t.Helper()
		st := a.waitState(t, "the ⋮ button", func(st hookState) bool { return st.MenuButton[2] > 0 && st.top() == 0 })
		a.clickAt(t, st.MenuButton)
		a.dialogShown(t, "menu-"+strings.TrimSuffix(strings.ToLower(strings.Fields(item)[0]), "…"), "New profile…", "Import profiles…", "Export profiles…")
		a.clickText(t, item)
	}
	menu("Import profiles…")
	a.dialogShown(t, "dialog-import-menu", "Open", "Cancel", "doors")
	a.clickText(t, "Cancel")
	a.closed(t, "the import file dialog", "Open")

	menu("Export profiles…")
	a.dialogShown(t, "dialog-export", "Choose file…", "Include knock sequences and saved passwords")
	a.tick(t, "Include knock sequences and saved passwords")
	a.clickText(t, "Choose file…")
	a.dialogShown(t, "dialog-export-file", "Save", "Cancel")
	a.clickText(t, "Save")
	st = a.waitState(t, "the export written", func(st hookState) bool { return strings.HasPrefix(st.Status, "Exported ") })
	_, exported, _ := strings.Cut(st.Status, " to ")
	if fi, err := os.Stat(exported); err != nil {
		t.Errorf("the export: %v", err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("the export with secrets is mode %v, want 0600", fi.Mode().Perm())
	}
	if data, err := os.ReadFile(exported); err != nil {
		t.Error(err)
	} else if ps, err := profiles.ReadExport(data, exported); err != nil || len(ps) == 0 || ps[0].Secrets.IsZero() {
		t.Errorf("the export, asked with its secrets, has none (%v)", err)
	}
	// The export imports back, replacing the profiles of the same name.
	menu("Import profiles…")
	// The file's name is wrapped in two lines under its icon.
	a.dialogShown(t, "dialog-import-export-file", "Open", "sesame-p")
	a.clickText(t, "sesame-p")
	a.clickText(t, "Open")
	a.dialogShown(t, "dialog-import-export", "Import", "Replace profiles of the same name")
	a.tick(t, "Replace profiles of the same name")
	a.clickText(t, "Import")
	a.waitState(t, "the export imported", func(st hookState) bool { return strings.HasPrefix(st.Status, "Imported 6 profiles") })

	// The form, from the menu and from +: its identity picker refuses a
	// public key.
	menu("New profile…")
	a.dialogShown(t, "dialog-form-new", "New profile", "Save")
	a.scrollTo(t, "Choose", "Close knocks")
	a.clickText(t, "Choose")
	a.dialogShown(t, "dialog-identity-file", "Open", "laptop")
	a.clickText(t, "laptop")
	a.clickText(t, "Open")
	a.scrollTo(t, "Address family", "User") // the SSH port is on the Host row, above
	a.waitState(t, "the identity refused", func(st hookState) bool {
		return strings.Contains(st.topTexts(), "not a private key: this is a public key")
	})
	a.dialogShown(t, "dialog-form-identity-refused", "Identity file", "Save")
	a.clickText(t, "Cancel")
	a.closed(t, "the form", "New profile")
	st = a.waitState(t, "the + button", func(st hookState) bool { return st.NewButton[2] > 0 && st.top() == 0 })
	a.clickAt(t, st.NewButton)
	a.dialogShown(t, "dialog-form-plus", "New profile", "Save")
	a.clickText(t, "Cancel")
	a.closed(t, "the form", "New profile")

	// A rotating profile: on saving, its new seed is shown once; Show
	// seed… shows it again, after asking.
	menu("New profile…")
	a.dialogShown(t, "dialog-form-rotating", "New profile", "Rotating sequence (seed)")
	a.clickText(t, "web") // the Name field's placeholder
	a.disp.Xdotool(t, "type", "--delay", "20", "vault2")
	a.clickText(t, "e.g. server.example.com")
	a.disp.Xdotool(t, "type", "--delay", "20", "192.0.2.77")
	a.clickText(t, "Rotating sequence (seed)")
	a.clickText(t, "Save")
	st = a.dialogShown(t, "dialog-seed-new", "New seed for vault2", "Done")
	vault2, err := profiles.NewStore(a.env(t, "SESAME_CONFIG_DIR"), profiles.SystemKeyring()).Get("vault2")
	if err != nil || vault2.Secrets.Rotation == nil {
		t.Fatalf("vault2 saved as %+v, err %v", vault2, err)
	}
	if seed := vault2.Secrets.Rotation.Seed.String(); strings.Contains(fmt.Sprint(st.Texts), seed) {
		t.Error("the test hook's state file holds the seed shown")
	}
	a.clickText(t, "Done")
	a.closed(t, "the seed dialog", "New seed for vault2")
	st = a.waitState(t, "vault2's Show seed…", func(st hookState) bool { return st.Selected == "vault2" && st.ShowSeed[2] > 0 })
	a.clickAt(t, st.ShowSeed)
	a.dialogShown(t, "dialog-seed-ask", "Show")
	a.clickText(t, "Show")
	a.dialogShown(t, "dialog-seed", "Seed of vault2", "Done")
	a.clickText(t, "Done")
	a.closed(t, "the seed dialog", "Seed of vault2")

	// The detail pane's buttons on quiet, which has no close sequence: its
	// Knock close fails before any packet, in an error dialog.
	a.clickText(t, "quiet")
	a.waitState(t, "quiet selected", func(st hookState) bool { return st.Selected == "quiet" })
	a.clickText(t, "Knock close")
	a.dialogShown(t, "dialog-error", "The close knock for quiet failed", "Close")
	a.clickText(t, "Close")
	a.closed(t, "the error dialog", "The close knock for quiet failed")
	a.clickText(t, "Edit")
	a.dialogShown(t, "dialog-form-edit", "Edit quiet", "Save")
	a.clickText(t, "Cancel")
	a.closed(t, "the form", "Edit quiet")
	a.clickText(t, "Duplicate")
	a.dialogShown(t, "dialog-form-duplicate", "New profile from a copy", "quiet-copy", "Save")
	a.clickText(t, "Cancel")
	a.closed(t, "the form", "New profile from a copy")
	// The tray menu, clicked over D-Bus as the desktop's tray does (the
	// items that knock or connect are in TestRealWindowConnectDialogs,
	// inside the test namespaces).
	a.trayClick(t, "quiet", "Knock close")
	a.dialogShown(t, "dialog-tray-error", "The close knock for quiet failed", "Close")
	a.clickText(t, "Close")
	a.closed(t, "the error dialog", "The close knock for quiet failed")
	a.trayClick(t, "Show window")
	a.alive(t, "the tray's Show window")

	a.clickText(t, "Delete")
	a.dialogShown(t, "dialog-delete", "Delete quiet?", "Delete")
	a.clickText(t, "Delete")
	a.waitState(t, "quiet deleted", func(st hookState) bool { return st.Status == "quiet: deleted" })
	a.alive(t, "every dialog")
	t.Logf("screenshots in %s", filepath.Dir(artifact("dialog-error.png")))
}

func mustSeq(t testing.TB, s string) knocker.Sequence {
	t.Helper()
	seq, err := knocker.ParseSequence(s)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// home is the app's home folder.
func (a *realApp) home(t testing.TB) string {
	t.Helper()
	return a.env(t, "HOME")
}

// env is the value of the app's environment variable name.
func (a *realApp) env(t testing.TB, name string) string {
	t.Helper()
	v := ""
	for _, kv := range a.cmd.Env {
		if val, ok := strings.CutPrefix(kv, name+"="); ok {
			v = val
		}
	}
	if v == "" {
		t.Fatalf("the app has no %s", name)
	}
	return v
}

// The connect flow's dialogs in the real app on Xvfb, against the real
// sshd behind knockd, each seen on the screen: a host key seen for the
// first time (accepted once, then saved), the key's passphrase, a
// password refused three times and the login-failed error dialog, and a
// host key that changed. Every door is shut again at the end.
func TestRealWindowConnectDialogs(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "iptables", "ssh-keygen")
	pair := testnet.NewPair(t)
	pair.Server.GuardSSH(t)
	// Passwords are offered, so that a user with no key is asked for one.
	sshd := pair.Server.SSHD(t, "PasswordAuthentication yes")
	pair.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)
	// No known_hosts: the host key is new. The key sshd accepts is
	// protected by a passphrase.
	g := &guardedSSH{pair: pair, home: sshd.ClientHome(t, "")}
	key := filepath.Join(g.home, ".ssh", "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", "open sesame", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -p: %v: %s", err, out)
	}
	ghost := &profiles.Profile{Name: "ghost", Host: testnet.ServerAddr4.String(), User: "ghost", IdentityFile: key}
	ghost.Secrets.Open, ghost.Secrets.Close = mustSeq(t, "7000,8000,9000"), mustSeq(t, "9000,8000,7000")
	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g, ghost)
	client := testnet.ClientAddr4.String()
	a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))

	// lab: the new host key, accepted once; the passphrase; a shell.
	a.clickText(t, "lab")
	a.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" })
	a.clickText(t, "Connect")
	a.dialogShown(t, "dialog-hostkey-unknown", "Unknown host key", "Accept once", "Accept and save")
	a.clickText(t, "Accept once")
	a.dialogShown(t, "dialog-passphrase", "Key passphrase", "Log in", "Remember in the keyring")
	a.disp.Xdotool(t, "type", "--delay", "20", "open sesame")
	a.clickText(t, "Log in")
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !pair.Server.HasAcceptFrom(t, client) {
		t.Error("a session runs, but knockd opened no door")
	}
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.waitState(t, "the tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
	pair.Server.WaitAccept(t, client, false)

	// ghost: no such user on the server, so its key is refused (before
	// the passphrase is needed) and a password asked for, three times;
	// then the login fails.
	a.clickText(t, "ghost")
	a.waitState(t, "ghost selected", func(st hookState) bool { return st.Selected == "ghost" })
	a.clickText(t, "Connect")
	a.dialogShown(t, "dialog-hostkey-unknown-again", "Unknown host key", "Accept and save")
	a.clickText(t, "Accept and save")
	// Esc typed into the password field, which has the focus as the
	// dialog opens, cancels the login as Cancel does, and the door is
	// shut; Try again asks anew.
	pwPrompt := "Password for ghost@" + testnet.ServerAddr4.String() + ":"
	a.dialogShown(t, "dialog-password-esc", "Password", "Log in", pwPrompt)
	a.disp.Xdotool(t, "type", "--delay", "20", "typed")
	a.disp.Xdotool(t, "key", "Escape")
	a.closed(t, "the password dialog", pwPrompt)
	pair.Server.WaitAccept(t, client, false)
	a.clickText(t, "Try again")
	for i := range 3 {
		a.dialogShown(t, fmt.Sprintf("dialog-password-%d", i+1), "Password", "Log in", "Password for ghost@"+testnet.ServerAddr4.String()+":")
		a.disp.Xdotool(t, "type", "--delay", "20", "wrong")
		a.clickText(t, "Log in")
		// The next question is a new dialog with the same words, drawn
		// in the same place: wait for states written after this one went,
		// and take no screen before to compare with.
		a.alive(t, "a password sent")
		a.before = nil
	}
	a.dialogShown(t, "dialog-login-failed", "Login failed", "Close")
	a.clickText(t, "Close")
	a.closed(t, "the login-failed dialog", "Login failed")
	pair.Server.WaitAccept(t, client, false)

	// The saved host key replaced by another: connecting is refused.
	other := writeKeys(t).public
	data, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(g.home, ".ssh", "known_hosts")
	// As OpenSSH finds it: the line may be hashed (HashKnownHosts yes, as
	// Debian's ssh_config sets).
	saved, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-F", testnet.ServerAddr4.String(), "-f", kh).CombinedOutput(); err != nil {
		t.Fatalf("Accept and save did not save the host key where ssh finds it: %v %s\n%q", err, out, saved)
	}
	if err := os.WriteFile(kh, []byte(testnet.ServerAddr4.String()+" "+string(data)), 0o600); err != nil {
		t.Fatal(err)
	}
	a.clickText(t, "Try again")
	a.dialogShown(t, "dialog-hostkey-changed", "Host key changed: connection refused", "REMOTE HOST IDENTIFICATION HAS CHANGED")
	a.clickText(t, "Close")
	a.closed(t, "the host key dialog", "Host key changed: connection refused")
	pair.Server.WaitAccept(t, client, false)
	a.clickText(t, "Close tab")
	a.waitState(t, "the failed tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
	if err := os.WriteFile(kh, saved, 0o600); err != nil {
		t.Fatal(err)
	}

	// The tray menu, clicked over D-Bus as the desktop's tray does: lab's
	// Knock open and Knock close, its Connect, then Quit, which closes the
	// door before the app ends.
	// After each knock the app rebuilds the tray's menu (the profile was
	// used), with new item ids: the next click waits for that.
	a.trayClick(t, "lab", "Knock open")
	pair.Server.WaitAccept(t, client, true)
	a.waitState(t, "the open knock done", func(st hookState) bool { return st.Status == "lab: open knock sent" })
	a.trayClick(t, "lab", "Knock close")
	pair.Server.WaitAccept(t, client, false)
	a.waitState(t, "the close knock done", func(st hookState) bool { return st.Status == "lab: close knock sent" })
	a.trayClick(t, "lab", "Connect")
	a.dialogShown(t, "dialog-passphrase-tray", "Key passphrase", "Log in")
	a.disp.Xdotool(t, "type", "--delay", "20", "open sesame")
	a.clickText(t, "Log in")
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !pair.Server.HasAcceptFrom(t, client) {
		t.Error("the tray's Connect runs a session, but knockd opened no door")
	}

	// The network gone when the tab is closed: the close knock cannot go
	// out, and a dialog says the door may still be open, with a button
	// that knocks close again once the network is back.
	pair.Client.Run(t, "ip", "link", "set", testnet.ClientIf, "down")
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.dialogShown(t, "dialog-door-may-be-open", "The close knock failed: the door may still be open", "Knock close again")
	if !pair.Server.HasAcceptFrom(t, client) {
		t.Fatal("the close knock failed, yet the door is shut: the test proves nothing")
	}
	pair.Client.Run(t, "ip", "link", "set", testnet.ClientIf, "up")
	a.clickText(t, "Knock close again")
	pair.Server.WaitAccept(t, client, false)
	a.waitState(t, "the close knock done", func(st hookState) bool { return st.Status == "lab: close knock sent" })

	// Quit from the tray with a session open closes its door first.
	a.trayClick(t, "lab", "Connect")
	a.dialogShown(t, "dialog-passphrase-tray-again", "Key passphrase", "Log in")
	a.disp.Xdotool(t, "type", "--delay", "20", "open sesame")
	a.clickText(t, "Log in")
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	pair.Server.WaitAccept(t, client, true)
	a.alive(t, "every connect dialog")
	a.trayClick(t, "Quit")
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the app exited with %v", err)
		}
	case <-time.After(testnet.Await):
		t.Fatal("the app did not quit from the tray")
	}
	pair.Server.WaitAccept(t, client, false)
}
