//go:build linux

package app

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/draw"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/profiles"
)

// The SPA kind in the real app on Xvfb, clicked through as a person
// would, each dialog seen on the screen: the form's SPA fields with a
// problem shown as typed, Scan QR… reading the keys from a picture in a
// file dialog, new keys shown once as a QR code read back from the
// screen, Show keys… after its question, and Knock close (the detail
// pane's and the tray's) saying the door closes by itself.
func TestRealWindowSPA(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	disp := xvfb.Start(t, 1280, 800)
	gate := spaProfile("gate")
	a := startApp(t, disp, nil, gate)
	store := profiles.NewStore(a.env(t, "SESAME_CONFIG_DIR"), profiles.SystemKeyring())
	// A picture of other keys' QR code in the home folder, where the file
	// dialog starts, as a phone's screenshot would be.
	scanned, err := profiles.NewSPAKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	writeQRPicture(t, filepath.Join(a.home(t), "keys.png"), scanned.QRText())

	st := a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 && st.MenuButton[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))

	// A new SPA profile whose keys are scanned from the picture.
	a.clickAt(t, st.NewButton)
	a.dialogShown(t, "spa-form-new", "New profile", "SPA (fwknop)")
	a.clickText(t, "web") // the Name field's placeholder
	a.disp.Xdotool(t, "type", "--delay", "20", "door")
	a.clickText(t, "e.g. server.example.com")
	a.disp.Xdotool(t, "type", "--delay", "20", "192.0.2.61")
	a.clickText(t, "SPA (fwknop)")
	a.dialogShown(t, "spa-form", "New keys", "Scan QR…", "HMAC key")
	a.scrollTo(t, "Allow IP", "HMAC key")
	a.clickText(t, "this computer's address")
	a.disp.Xdotool(t, "type", "--delay", "20", "0.0.0.0")
	a.scrollTo(t, "SPA user", "Open ports") // the field's problem below it
	a.waitState(t, "the allow IP's problem", func(st hookState) bool { return strings.Contains(st.topTexts(), `write "source"`) })
	a.dialogShown(t, "spa-form-problem", "Allow IP", "Save")
	a.disp.Xdotool(t, "key", "ctrl+a", "BackSpace")
	a.disp.Xdotool(t, "type", "--delay", "20", "source")
	a.waitState(t, "the problem gone", func(st hookState) bool { return !strings.Contains(st.topTexts(), `write "source"`) })
	a.scrollUpTo(t, "Scan QR…", "SPA port")
	a.clickText(t, "Scan QR…")
	a.dialogShown(t, "spa-scan-file", "Open", "Cancel", "keys")
	a.clickText(t, "keys")
	a.clickText(t, "Open")
	a.closed(t, "the file dialog", "Open")
	a.waitState(t, "the scanned keys checked", func(st hookState) bool {
		return strings.Contains(st.topTexts(), "The key you pasted")
	})
	a.clickText(t, "Save")
	a.closed(t, "the form", "New profile")
	door, err := store.Get("door")
	if err != nil || door.Kind() != profiles.KindSPA || door.SPA.AllowIP != profiles.AllowSource ||
		door.Secrets.SPA == nil || door.Secrets.SPA.String() != scanned.String() {
		t.Fatalf("door saved as %+v, %v: want the scanned keys", door, err)
	}

	// A new SPA profile with new keys: they are shown once, as a QR code
	// read back from the screen.
	a.clickAt(t, a.waitState(t, "the + button", func(st hookState) bool { return st.NewButton[2] > 0 && st.top() == 0 }).NewButton)
	a.dialogShown(t, "spa-form-new-keys", "New profile", "SPA (fwknop)")
	a.clickText(t, "web")
	a.disp.Xdotool(t, "type", "--delay", "20", "fresh")
	a.clickText(t, "e.g. server.example.com")
	a.disp.Xdotool(t, "type", "--delay", "20", "192.0.2.62")
	a.clickText(t, "SPA (fwknop)")
	a.awaitTexts(t, "the new keys' hint", "New keys")
	a.clickText(t, "Save")
	st = a.dialogShown(t, "spa-keys-new", "New SPA keys for fresh", "Done", "Copy keys", "Copy lines")
	fresh, err := store.Get("fresh")
	if err != nil || fresh.Secrets.SPA == nil {
		t.Fatalf("fresh saved as %+v, %v", fresh, err)
	}
	assertNoKeys(t, st, fresh.Secrets.SPA)
	waitQR(t, disp, "spa-keys-new-qr.png", fresh.Secrets.SPA.QRText())
	a.clickText(t, "Done")
	a.closed(t, "the keys dialog", "New SPA keys for fresh")

	// Show keys… in gate's form asks, then shows them.
	a.clickText(t, "gate")
	a.waitState(t, "gate selected", func(st hookState) bool { return st.Selected == "gate" })
	a.clickText(t, "Edit")
	a.dialogShown(t, "spa-form-edit", "Edit gate", "Show keys…")
	a.clickText(t, "Show keys…")
	a.dialogShown(t, "spa-keys-ask", "Show the SPA keys of gate?", "Show")
	a.clickText(t, "Show")
	st = a.dialogShown(t, "spa-keys", "SPA keys of gate", "Done")
	assertNoKeys(t, st, gate.Secrets.SPA)
	waitQR(t, disp, "spa-keys-qr.png", gate.Secrets.SPA.QRText())
	a.clickText(t, "Done")
	a.closed(t, "the keys dialog", "SPA keys of gate")
	a.clickText(t, "Cancel")
	a.closed(t, "the form", "Edit gate")

	// Knock close: the detail pane's and the tray's say there is none.
	a.clickText(t, "Knock close")
	a.dialogShown(t, "spa-knock-close", "The close knock for gate failed", "Close")
	if st, _ := a.read(); !strings.Contains(st.topTexts(), "the door closes by itself after 30 s") || !strings.Contains(st.topTexts(), "There is nothing to send") {
		t.Errorf("the dialog does not say the door closes by itself: %s", st.topTexts())
	}
	a.clickText(t, "Close")
	a.closed(t, "the error dialog", "The close knock for gate failed")
	a.trayClick(t, "gate", "Knock close")
	a.dialogShown(t, "spa-tray-knock-close", "The close knock for gate failed", "Close")
	a.clickText(t, "Close")
	a.alive(t, "the SPA dialogs")
}

// scrollUpTo scrolls the top layer up with the mouse wheel over the text
// at, until text shows there (scrollTo scrolls down).
func (a *realApp) scrollUpTo(t testing.TB, text, at string) {
	t.Helper()
	for range 20 {
		st, _ := a.read()
		if _, ok := st.find(text); ok {
			return
		}
		tx := a.steady(t, at)
		x, y := tx.Rect[0]+tx.Rect[2]/2, tx.Rect[1]+tx.Rect[3]/2
		a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "4")
	}
	st, _ := a.read()
	t.Fatalf("no %q after scrolling up; on top: %s", text, st.topTexts())
}

// writeQRPicture saves a picture of text's QR code, scaled up as a
// screenshot of it would be.
func writeQRPicture(t *testing.T, path, text string) {
	t.Helper()
	img, err := qrImage(text)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	big := image.NewRGBA(image.Rect(0, 0, b.Dx()*6, b.Dy()*6))
	draw.NearestNeighbor.Scale(big, big.Bounds(), img, b, draw.Src, nil)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, big); err != nil {
		t.Fatal(err)
	}
}

// waitQR waits until the screen shows the QR code of want, and saves it.
func waitQR(t *testing.T, disp *xvfb.Display, name, want string) {
	t.Helper()
	var shot image.Image
	t.Cleanup(func() {
		if shot != nil {
			xvfb.SavePNG(t, shot, artifact(name))
		}
	})
	testnet.WaitFor(t, "the QR code of the keys on the screen", func() bool {
		shot = disp.Screenshot(t)
		return readQR(shot) == want
	})
}

// assertNoKeys checks that the test hook's state holds no key.
func assertNoKeys(t *testing.T, st hookState, k *profiles.SPAKeys) {
	t.Helper()
	for _, tx := range st.Texts {
		for _, v := range strings.Fields(k.String() + k.AccessLines()) {
			if len(v) > 20 && strings.Contains(tx.Text, v) {
				t.Fatalf("the test hook's state holds a key: %q", tx.Text)
			}
		}
	}
}

// An SPA profile in the real app, in the client namespace, against the
// real fwknopd guarding a real sshd: Connect reaches a shell through the
// door fwknopd opens, shows the packet as the one knock, and says the door
// closes by itself; Knock open, and the tray's Knock open, send packets
// fwknopd takes.
func TestRealWindowSPAFwknopd(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "fwknopd", "iptables", "ssh-keygen")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	sshd := p.Server.SSHD(t)
	g := &guardedSSH{pair: p, home: sshd.ClientHome(t, testnet.ServerAddr4.String())}
	gate := spaProfile("gate")
	gate.Host = testnet.ServerAddr4.String()
	k := gate.Secrets.SPA
	fw := p.Server.Fwknopd(t, testnet.ServerIf,
		"SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\n"+k.AccessLines())
	client := testnet.ClientAddr4.String()
	opened := func() bool { return fw.Opened(t, p.Server, client, "tcp", 22) }

	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g, gate)
	a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	a.clickText(t, "gate")
	a.waitState(t, "gate selected", func(st hookState) bool { return st.Selected == "gate" })
	if opened() {
		t.Fatal("the door is open before the knock")
	}
	// Connect: a shell through the door; the status says how it closes.
	st := a.waitState(t, "Connect", func(st hookState) bool { return st.Selected == "gate" && st.Connect[2] > 0 })
	a.click(t, st.Connect)
	st = a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !strings.Contains(st.Tabs[0].Progress, "✓ SPA packet to UDP 62201 sent") {
		t.Errorf("the progress view:\n%s", st.Tabs[0].Progress)
	}
	st = a.waitState(t, "the status line", func(st hookState) bool { return strings.Contains(st.Status, "connected to") })
	if !strings.Contains(st.Status, "the door closes by itself after 30 s (SPA has no close packet)") {
		t.Errorf("status %q", st.Status)
	}
	fw.Proc.WaitOutput(t, "Added access rule")
	if !opened() {
		t.Error("a session runs, but fwknopd opened no door for the client")
	}
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("spa-session.png"))
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.waitState(t, "the tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })

	// Knock open (the door is open from the session still: fwknopd takes
	// the packet again).
	n := fw.Proc.Len()
	a.clickText(t, "Knock open")
	a.waitState(t, "the packet sent", func(st hookState) bool { return st.Status == "gate: open knock sent" })
	// fwknopd decoded it: the HMAC and the key matched, and it is new.
	fw.Proc.WaitOutputAfter(t, n, "SPA Decode (res=0)")

	// The tray's Knock open sends another packet (a new one: fwknopd
	// refuses a replay).
	n = fw.Proc.Len()
	a.trayClick(t, "gate", "Knock open")
	// fwknopd decoded it: the HMAC and the key matched, and it is new.
	fw.Proc.WaitOutputAfter(t, n, "SPA Decode (res=0)")

	a.alive(t, "the SPA session")
}
