package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"os"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// spaProfile is an SPA profile with fixed keys.
func spaProfile(name string) *profiles.Profile {
	return &profiles.Profile{Name: name, Host: "192.0.2.9", User: "root", SPA: &profiles.SPA{Timeout: 30},
		Secrets: profiles.Secrets{SPA: &profiles.SPAKeys{Key: bytes.Repeat([]byte("k"), 32), HMACKey: bytes.Repeat([]byte("h"), 64)}}}
}

// The form's SPA kind: its fields replace the knocks', are checked as
// typed, and a new profile gets new keys, saved in the keyring and shown
// once with their QR code and the server's lines.
func TestFormNewSPAProfileShowsKeysOnce(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	test.Type(f.entries[fName], "gate")
	test.Type(f.entries[fHost], "192.0.2.9")
	f.kind.SetSelected(kindSPA)
	if f.rows[fOpen][1].Visible() || f.rows[fClose][1].Visible() || f.rows[fDelay][1].Visible() || !f.rows[fSPAAccess][1].Visible() {
		t.Fatal("choosing SPA does not swap the knocks, close knocks and delay for the SPA fields")
	}
	if f.spa.newKeys == nil || f.save.Disabled() || !strings.Contains(f.hints[fSPAKey].Text, "New random keys") {
		t.Fatalf("no keys made (%v), or Save disabled: %v", f.spa.newKeys, f.errs)
	}
	for _, tt := range []struct{ key, text, problem string }{
		{fSPAAccess, "tcp/0", "the port must be a number from 1 to 65535"},
		{fSPAAllow, "0.0.0.0", `write "source"`},
		{fSPAPort, "70000", "not a port"},
		{fSPATimeout, "soon", "give the seconds"},
		{fSPAHMAC, "c2VjcmV0", "give both keys, or neither"},
	} {
		test.Type(f.entries[tt.key], tt.text)
		shows := tt.key
		if tt.key == fSPAHMAC {
			shows = fSPAKey // the empty one of the two
		}
		if got := f.hints[shows].Text; !strings.Contains(got, tt.problem) || !f.save.Disabled() {
			t.Errorf("%s %q: the hint says %q (Save disabled %v), want %q", tt.key, tt.text, got, f.save.Disabled(), tt.problem)
		}
		f.entries[tt.key].SetText("")
	}
	test.Type(f.entries[fSPAAccess], "tcp/22")
	test.Type(f.entries[fSPAAllow], "source")
	test.Type(f.entries[fSPATimeout], "45")
	if f.save.Disabled() {
		t.Fatalf("Save disabled: %v", f.errs)
	}
	made := f.spa.newKeys
	h.submit(f)

	got, err := h.store.Get("gate")
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind() != profiles.KindSPA || !reflect.DeepEqual(got.SPA, &profiles.SPA{Access: "tcp/22", AllowIP: "source", Timeout: 45}) ||
		!reflect.DeepEqual(got.Secrets.SPA, made) || len(got.Secrets.Close) != 0 {
		t.Fatalf("saved %+v %+v", got, got.SPA)
	}
	d := h.ui.spaKeysShown
	if d == nil || h.overlay() == nil {
		t.Fatalf("no keys dialog after saving; shown:\n%s", h.texts())
	}
	want := made.QRText()
	if text := decodeQR(t, d.qr.Image); text != want {
		t.Errorf("the QR code reads %q, want %q", text, want)
	}
	if text := readQR(h.ui.win.Canvas().Capture()); text != want {
		t.Errorf("the QR code in the window reads %q, want %q", text, want)
	}
	if !strings.Contains(d.lines.Text, "OPEN_PORTS              tcp/22") || !strings.Contains(d.lines.Text, "HMAC_KEY_BASE64         "+d.values[1]) {
		t.Errorf("the dialog lacks the server's lines:\n%s", d.lines.Text)
	}
	h.tap("Done")
	if h.overlay() != nil || h.ui.spaKeysShown != nil || d.text.Text != "" {
		t.Fatal("the keys dialog did not go, or kept the keys")
	}
	settings, _ := os.ReadFile(h.store.SettingsFile())
	if strings.Contains(string(settings), d.values[0][:16]) {
		t.Fatal("a key is in the settings file")
	}
	// The detail pane says how the door closes.
	h.until("gate's details", func() bool { return strings.Contains(h.texts(), "SPA (fwknop): SPA packet to UDP 62201 opens tcp/22") })
	if !strings.Contains(h.texts(), "closes by itself after 45 s (SPA has no close packet)") {
		t.Errorf("the details do not say how the door closes:\n%s", h.texts())
	}
}

// Editing an SPA profile keeps its keys unless others are pasted (fwknop
// --key-gen's two lines fill both fields) or scanned from a QR code; a
// fixed sequence replaces them.
func TestFormEditSPAProfile(t *testing.T) {
	h := newHarness(t, spaProfile("gate"))
	p, err := h.store.Get("gate")
	if err != nil {
		t.Fatal(err)
	}
	f := h.ui.openForm(p, formEdit)
	if f.kind.Selected != kindSPA || f.entries[fSPAKey].Text != "" || !strings.Contains(f.hints[fSPAKey].Text, "are kept") || f.entries[fSPATimeout].Text != "30" {
		t.Fatalf("the edit form: kind %q, hint %q", f.kind.Selected, f.hints[fSPAKey].Text)
	}
	if h.button("Show keys…") == nil {
		t.Fatal("no Show keys… for a profile with keys")
	}
	other, _ := profiles.NewSPAKeys(nil)
	// A single-line field turns the pasted line break into a space.
	f.entries[fSPAKey].SetText(strings.ReplaceAll(strings.TrimSpace(other.String()), "\n", " "))
	if f.entries[fSPAHMAC].Text != base64.StdEncoding.EncodeToString(other.HMACKey) || f.save.Disabled() {
		t.Fatalf("pasting fwknop --key-gen's lines did not fill both keys: %v", f.errs)
	}
	h.submit(f)
	if got, _ := h.store.Get("gate"); !reflect.DeepEqual(got.Secrets.SPA, other) || got.SPA.Timeout != 30 {
		t.Fatalf("saved keys %+v, settings %+v", got.Secrets.SPA, got.SPA)
	}

	// A picture of the keys' QR code reads back as the keys: the mobile
	// clients' one line, or fwknop --key-gen's two.
	var buf bytes.Buffer
	for _, text := range []string{other.QRText(), other.String()} {
		img, err := qrImage(text)
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if got, err := readQRKeys(&buf); err != nil || !reflect.DeepEqual(got, other) {
			t.Fatalf("readQRKeys(%q) = %+v, %v", text, got, err)
		}
	}
	if _, err := readQRKeys(strings.NewReader("not a picture")); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Fatalf("readQRKeys of text = %v", err)
	}
	img, _ := qrImage("sesame://rotating?seed=X")
	buf.Reset()
	png.Encode(&buf, img)
	if _, err := readQRKeys(&buf); err == nil || !strings.Contains(err.Error(), "holds no SPA keys") {
		t.Fatalf("readQRKeys of another code = %v", err)
	}

	// Back to a fixed sequence.
	p, _ = h.store.Get("gate")
	f = h.ui.openForm(p, formEdit)
	f.kind.SetSelected(kindFixed)
	test.Type(f.entries[fOpen], "7000,8000")
	h.submit(f)
	if got, _ := h.store.Get("gate"); got.Kind() != profiles.KindSequence || got.SPA != nil || got.Secrets.SPA != nil {
		t.Fatalf("a fixed sequence did not replace SPA: %+v", got)
	}
}

// Knock close of an SPA profile says the door closes by itself, and
// sends nothing.
func TestKnockCloseSPA(t *testing.T) {
	h := newHarness(t, spaProfile("gate"))
	err := h.ui.sendKnock("gate", true)
	if err == nil || !strings.Contains(err.Error(), "the door closes by itself after 30 s (SPA has no close packet)") {
		t.Fatalf("sendKnock(close) = %v", err)
	}
	if k := h.launcher.knocked(); len(k) != 0 {
		t.Fatalf("knocked %v", k)
	}
}

// A ~/.fwknoprc imports as SPA profiles, one a stanza, without asking for
// a host: each stanza names its server.
func TestImportFwknoprc(t *testing.T) {
	h := newHarness(t)
	k := spaProfile("x").Secrets.SPA
	rc := "[default]\nALLOW_IP source\n\n[gate]\nSPA_SERVER 192.0.2.9\nKEY_BASE64 " + base64.StdEncoding.EncodeToString(k.Key) +
		"\nHMAC_KEY_BASE64 " + base64.StdEncoding.EncodeToString(k.HMACKey) + "\n"
	h.ui.importData([]byte(rc), "/home/u/.fwknoprc")
	h.dialogShows("Import 1 profile?")
	if !strings.Contains(h.texts(), "gate (from stanza [gate] of /home/u/.fwknoprc)") {
		t.Errorf("the import lists:\n%s", h.texts())
	}
	h.importTap()
	p, err := h.store.Get("gate")
	if err != nil || p.Kind() != profiles.KindSPA || p.SPA.AllowIP != profiles.AllowSource || !reflect.DeepEqual(p.Secrets.SPA, k) {
		t.Fatalf("imported %+v, %v", p, err)
	}
}

// Connecting with an SPA profile shows its packet as the flow's one
// knock, and the tab says the door closes by itself, where it would say
// the close knock went out.
func TestConnectSPAProfile(t *testing.T) {
	h := newHarness(t, spaProfile("gate"))
	sessionUp := make(chan struct{})
	h.launcher.script = func(ctx context.Context, req ConnectRequest, _ func(context.Context, Shell) error) error {
		ui, p := req.UI, req.Profile
		if p.Secrets.SPA == nil {
			t.Error("the flow got no SPA keys")
		}
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageResolved, Addr: fakeAddr})
		ev := knock.Event{Kind: knock.Sent, Step: 1, Total: 1, Knock: knocker.Step{Port: 62201, Proto: knocker.UDP}, Addr: fakeAddr.Addr()}
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageKnock, Addr: fakeAddr, Knock: &ev})
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageDial, Addr: fakeAddr, Attempt: 1})
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageAuth, Addr: fakeAddr})
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageSession, Addr: fakeAddr})
		close(sessionUp)
		<-ctx.Done()
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosed, Addr: fakeAddr, SelfClose: p.SPA.ClosesBySelf()})
		return nil
	}
	h.ui.connect("gate")
	h.until("the session", func() bool { return isClosed(sessionUp) })
	s := h.session("gate")
	h.until("the status line", func() bool { return strings.Contains(h.ui.status.Text, "connected to 192.0.2.1:22") })
	if p := s.progress.text(); !strings.Contains(p, "✓ SPA packet to UDP 62201 sent") {
		t.Errorf("progress:\n%s", p)
	}
	if st := h.ui.status.Text; !strings.Contains(st, "the door closes by itself after 30 s (SPA has no close packet)") {
		t.Errorf("status %q", st)
	}
	h.ui.tabs.CloseIntercept(s.tab)
	h.until("the tab to go", func() bool { return h.tab("gate") == nil })
}
