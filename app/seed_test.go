package app

import (
	"image"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"

	"sesame/profiles"
	"sesame/rotate"
)

// decodeQR reads the QR code of the image go-qrcode made (a pixel per
// module), scaled up as a camera would see it.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	// gozxing's finder-pattern search misses a code now and then at one
	// scale (about one run in twenty-five was seen) and reads it at
	// another, as a phone camera reads at several distances.
	b := img.Bounds()
	for _, scale := range []int{4, 1, 8, 3} {
		big := image.NewRGBA(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
		draw.NearestNeighbor.Scale(big, big.Bounds(), img, b, draw.Src, nil)
		if text := readQR(big); text != "" {
			return text
		}
	}
	t.Fatal("no QR code could be read")
	return ""
}

// readQR reads the QR code in img with a decoder of its own (gozxing),
// or returns "".
func readQR(img image.Image) string {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return ""
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return ""
	}
	return res.GetText()
}

// rotatingProfile is a rotating profile that knocked last with window
// last (0: never).
func rotatingProfile(t testing.TB, name string, p rotate.Params, last int64) *profiles.Profile {
	t.Helper()
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	return &profiles.Profile{Name: name, Host: "192.0.2.7", User: "root",
		Secrets: profiles.Secrets{Rotation: &profiles.Rotation{Seed: seed, Params: p, LastWindow: last}}}
}

// Creating a rotating profile makes a seed, saves it in the keyring only,
// and shows it once: the base32 text, a QR code of its URI, the door's
// lines.
func TestFormNewRotatingProfileShowsSeedOnce(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	test.Type(f.entries[fName], "vault")
	test.Type(f.entries[fHost], "vault.example.com")
	if f.rows[fSeed][1].Visible() || !f.rows[fOpen][1].Visible() {
		t.Fatal("a new profile starts with the seed field shown, or the open knocks hidden")
	}
	f.kind.SetSelected(kindRotating)
	if f.rows[fOpen][1].Visible() || !f.rows[fSeed][1].Visible() || !f.rows[fWindow][1].Visible() {
		t.Fatal("choosing a rotating sequence does not swap the open knocks for the seed's fields")
	}
	if f.newSeed == nil || f.save.Disabled() {
		t.Fatalf("no seed made (%v), or Save disabled: %v", f.newSeed, f.errs)
	}
	if hint := f.hints[fSeed].Text; !strings.Contains(hint, "A new random seed") {
		t.Errorf("the seed field says %q", hint)
	}
	f.protocols.SetSelected("mixed")
	f.entries[fWindow].SetText("")
	test.Type(f.entries[fWindow], "1m")
	h.submit(f)

	got, err := h.store.Get("vault")
	if err != nil {
		t.Fatal(err)
	}
	r := got.Secrets.Rotation
	want := rotate.Params{Length: 4, PortMin: 10000, PortMax: 60000, Protocols: rotate.Mixed, Window: time.Minute}
	if r == nil || len(r.Seed) != rotate.MinSeedBytes || r.Params != want || len(got.Secrets.Open) != 0 {
		t.Fatalf("saved rotation %+v, open %s", r, got.Secrets.Open)
	}
	seed, uri := r.Seed.String(), rotate.URI(r.Seed, r.Params)

	d := h.ui.seedShown
	if d == nil || h.overlay() == nil {
		t.Fatalf("no seed dialog after saving; shown:\n%s", h.texts())
	}
	shown := h.texts()
	if d.text.Text != seed || !strings.Contains(shown, seed) {
		t.Errorf("the dialog shows the seed %q, want %q", d.text.Text, seed)
	}
	if !strings.Contains(shown, "shows it only now") || !strings.Contains(d.lines.Text, "\tRotating_Seed      = "+seed+"\n") ||
		!strings.Contains(d.lines.Text, "\tRotating_Protocols = mixed\n") || !strings.Contains(d.lines.Text, "\tRotating_Window    = 60\n") {
		t.Errorf("the dialog lacks the door's lines:\n%s", shown)
	}
	if d.uri != uri || d.qr == nil {
		t.Fatalf("the dialog's URI is %q (QR %v), want %q", d.uri, d.qr != nil, uri)
	}
	if text := decodeQR(t, d.qr.Image); text != uri {
		t.Errorf("the QR code reads %q, want %q", text, uri)
	}
	// And from the window as drawn: what a phone pointed at it reads.
	if text := readQR(h.ui.win.Canvas().Capture()); text != uri {
		t.Errorf("the QR code in the window reads %q, want %q", text, uri)
	}

	settings, err := os.ReadFile(h.store.SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(settings), seed) || strings.Contains(strings.ToLower(string(settings)), strings.ToLower(seed[:16])) {
		t.Fatalf("the seed is in the settings file:\n%s", settings)
	}

	// Shown once: gone with the dialog, and nowhere else.
	h.tap("Done")
	if h.overlay() != nil || h.ui.seedShown != nil || d.text.Text != "" || d.lines.Text != "" {
		t.Fatal("the seed dialog did not go, or kept the seed")
	}
	h.until("the countdown of vault", func() bool { return h.ui.detail.rotBox.Visible() })
	if shown := h.texts(); strings.Contains(shown, seed) {
		t.Errorf("the window shows the seed after the dialog:\n%s", shown)
	}
	h.ui.editProfile(h.ui.list.selected())
	h.until("the edit form", func() bool { return h.ui.form != nil })
	if f := h.ui.form; f.entries[fSeed].Text != "" || strings.Contains(h.texts(), seed) {
		t.Error("the edit form shows the seed")
	}
}

// A seed URI pasted into the seed field brings the settings along; a
// pasted seed is not shown again (the user has it).
func TestFormPasteSeedURI(t *testing.T) {
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	want := rotate.Params{Length: 6, PortMin: 2000, PortMax: 2999, Protocols: rotate.UDPOnly, Window: time.Minute}
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	test.Type(f.entries[fName], "phone")
	test.Type(f.entries[fHost], "vault.example.com")
	f.kind.SetSelected(kindRotating)
	f.entries[fSeed].SetText(rotate.URI(seed, want)) // a paste
	if f.entries[fLength].Text != "6" || f.entries[fPorts].Text != "2000-2999" || f.protocols.Selected != "udp" || f.entries[fWindow].Text != "60" {
		t.Fatalf("after pasting the URI: length %q, ports %q, protocols %q, window %q",
			f.entries[fLength].Text, f.entries[fPorts].Text, f.protocols.Selected, f.entries[fWindow].Text)
	}
	if f.save.Disabled() || !strings.Contains(f.hints[fSeed].Text, "seed URI") {
		t.Fatalf("save disabled %v, seed hint %q (%v)", f.save.Disabled(), f.hints[fSeed].Text, f.errs)
	}
	h.submit(f)
	got, err := h.store.Get("phone")
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Secrets.Rotation; r == nil || r.Seed.String() != seed.String() || r.Params != want {
		t.Fatalf("saved %+v", got.Secrets.Rotation)
	}
	if h.ui.seedShown != nil {
		t.Error("a pasted seed was shown again")
	}
}

// Bad seeds and settings show their problem under the field, never
// quoting the seed, and keep Save disabled.
func TestFormRotatingFieldErrors(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	test.Type(f.entries[fName], "vault")
	test.Type(f.entries[fHost], "vault.example.com")
	f.kind.SetSelected(kindRotating)
	tests := []struct {
		field, text, problem string
	}{
		{fSeed, "hunter1hunter1", "not valid base32"},
		{fSeed, "GEZDGNBVGY3TQOJQ", "at least 160 are needed"},
		{fSeed, "sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&length=many", `length "many" is not a number`},
		{fSeed, "sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&window=2", "window 2s"},
		{fSeed, "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", ""},
		{fSeed, "", ""}, // the new seed again
		{fLength, "0", "1 to 32 knocks"},
		{fLength, "x", "number of knocks"},
		{fLength, "4", ""},
		{fPorts, "100", "LOW-HIGH"},
		{fPorts, "2000-1000", "LOW-HIGH"},
		{fPorts, "100-101", "smaller than the 4 distinct ports"},
		{fLength, "2", ""}, // and the range holds two now
		{fPorts, "100-101", ""},
		{fWindow, "2s", "whole seconds from 5s"},
		{fWindow, "soon", "is not seconds"},
		{fWindow, "90", ""},
	}
	for _, tt := range tests {
		f.entries[tt.field].SetText(tt.text) // typed or pasted
		got := checkProblem(t, f, tt.field, tt.text, tt.problem)
		if tt.field == fSeed && len(tt.text) > 8 && strings.Contains(strings.ToUpper(got), "GEZDGNBV") {
			t.Errorf("the problem quotes the seed: %q", got)
		}
	}
	if f.problemWith(fPorts) != "" || f.save.Disabled() {
		t.Fatalf("ports %q, save disabled %v: %v", f.problemWith(fPorts), f.save.Disabled(), f.errs)
	}
	h.submit(f)
	got, err := h.store.Get("vault")
	if err != nil {
		t.Fatal(err)
	}
	if want := (rotate.Params{Length: 2, PortMin: 100, PortMax: 101, Protocols: rotate.TCPOnly, Window: 90 * time.Second}); got.Secrets.Rotation.Params != want {
		t.Errorf("saved %+v, want %+v", got.Secrets.Rotation.Params, want)
	}
}

// Editing a rotating profile keeps its seed and the window it last used
// (even one used while the form was open); New seed replaces the seed,
// shows it once, and counts windows anew; a fixed sequence replaces it.
func TestFormEditRotatingSeed(t *testing.T) {
	p := rotatingProfile(t, "vault", rotate.DefaultParams(), 0)
	old := p.Secrets.Rotation.Seed.String()
	h := newHarness(t, p)

	h.ui.editProfile(h.ui.list.selected())
	h.until("the edit form", func() bool { return h.ui.form != nil })
	f := h.ui.form
	if !strings.Contains(f.hints[fSeed].Text, "is kept") {
		t.Errorf("the seed field says %q", f.hints[fSeed].Text)
	}
	// A knock from elsewhere while the form is open.
	_, _, err := h.store.TakeOpenAt("vault", testNow)
	if err != nil {
		t.Fatal(err)
	}
	f.entries[fNote].SetText("edited")
	h.submit(f)
	got, _ := h.store.Get("vault")
	if r := got.Secrets.Rotation; r.Seed.String() != old || r.LastWindow != r.Params.WindowAt(testNow) || got.Note != "edited" {
		t.Fatalf("after an edit: seed kept %v, last window %d (want %d)", r.Seed.String() == old, r.LastWindow, r.Params.WindowAt(testNow))
	}
	if h.ui.seedShown != nil {
		t.Fatal("an edit that kept the seed showed it")
	}

	h.ui.editProfile(h.ui.list.selected())
	h.until("the edit form", func() bool { return h.ui.form != nil && h.ui.form != f })
	f = h.ui.form
	h.tap("New seed")
	h.submit(f)
	got, _ = h.store.Get("vault")
	r := got.Secrets.Rotation
	if r.Seed.String() == old || r.LastWindow != 0 {
		t.Fatalf("after New seed: seed changed %v, last window %d", r.Seed.String() != old, r.LastWindow)
	}
	if h.ui.seedShown == nil || h.ui.seedShown.text.Text != r.Seed.String() {
		t.Fatal("the new seed was not shown")
	}
	h.tap("Done")

	h.ui.editProfile(h.ui.list.selected())
	h.until("the edit form", func() bool { return h.ui.form != nil && h.ui.form != f })
	f = h.ui.form
	f.kind.SetSelected(kindFixed)
	if !f.save.Disabled() || !strings.Contains(f.problemWith(fOpen), "give the knocks") {
		t.Fatalf("a fixed sequence without knocks: save disabled %v, open problem %q", f.save.Disabled(), f.problemWith(fOpen))
	}
	f.entries[fOpen].SetText("7000,8000")
	h.submit(f)
	got, _ = h.store.Get("vault")
	if got.Secrets.Rotation != nil || got.Secrets.Open.String() != "7000,8000" {
		t.Errorf("after choosing a fixed sequence: rotation %v, open %s", got.Secrets.Rotation != nil, got.Secrets.Open)
	}
}

// The detail pane counts down to the next window, following the clock
// across window boundaries, says when this device's next knock must wait,
// and stops ticking when another profile is selected or the window
// closes.
func TestDetailCountdown(t *testing.T) {
	params := rotate.DefaultParams() // 30 s windows
	cur := params.WindowAt(testNow)
	// This device used the current window and the next: its next knock
	// waits for the one after.
	h := newHarness(t, rotatingProfile(t, "a-vault", params, cur+1), profile(t, "web", "192.0.2.9", "7000", ""))
	h.clock.Advance(18 * time.Second)
	d := h.ui.detail
	if d.p.Name != "a-vault" {
		t.Fatalf("%s selected", d.p.Name)
	}
	steps := []struct {
		advance time.Duration
		want    []string
		not     string
	}{
		{0, []string{"Next window in 12 s", "its next knock waits 13 s"}, ""},
		{time.Second, []string{"Next window in 11 s", "its next knock waits 12 s"}, ""},
		{11 * time.Second, []string{"Next window in 30 s", "used this window already: its next knock uses the next one"}, "waits"},
		{29 * time.Second, []string{"Next window in 1 s", "uses the next one"}, ""},
		{time.Second, []string{"Next window in 30 s"}, "This device"},
	}
	for i, st := range steps {
		if st.advance > 0 {
			// The countdown sleeps on the clock before it moves.
			h.until("the countdown asleep", func() bool { return h.clock.Pending() == 1 })
			h.clock.Advance(st.advance)
		}
		h.until(strings.Join(st.want, ", "), func() bool {
			for _, w := range st.want {
				if !strings.Contains(d.countdown.Text, w) {
					return false
				}
			}
			return st.not == "" || !strings.Contains(d.countdown.Text, st.not)
		})
		if !d.rotBox.Visible() || !strings.Contains(d.rotLine.Text, "4 knocks (tcp) on ports 10000-60000, a new sequence every 30s") {
			t.Fatalf("step %d: rotating line %q shown %v", i, d.rotLine.Text, d.rotBox.Visible())
		}
	}

	// Another profile: the countdown goes, and its goroutine with it.
	done := d.tickDone
	h.ui.list.selectName("web")
	h.until("the countdown's goroutine to return", func() bool { return isClosed(done) && h.clock.Pending() == 0 })
	h.settle()
	if d.rotBox.Visible() || d.stopTick != nil {
		t.Fatal("the countdown is still shown for web")
	}
	text := d.countdown.Text
	h.clock.Advance(5 * time.Second)
	h.settle()
	if d.countdown.Text != text {
		t.Errorf("the countdown ticked after the selection changed: %q", d.countdown.Text)
	}

	// Back to the vault, then the window closes.
	h.ui.list.selectName("a-vault")
	h.until("the countdown again", func() bool { return d.rotBox.Visible() && h.clock.Pending() == 1 })
	done = d.tickDone
	h.closeWindow()
	h.until("the countdown's goroutine to return on close", func() bool { return isClosed(done) && h.clock.Pending() == 0 })
}

// Show seed… asks first, then shows the seed read from the keyring.
func TestShowSeedAsksFirst(t *testing.T) {
	p := rotatingProfile(t, "vault", rotate.DefaultParams(), 0)
	seed := p.Secrets.Rotation.Seed.String()
	h := newHarness(t, p)
	h.until("the rotating details", func() bool { return h.ui.detail.rotBox.Visible() })
	if strings.Contains(h.texts(), seed) {
		t.Fatal("the seed is shown before anyone asked")
	}
	h.tap("Show seed…")
	h.dialogShows("Show the seed of vault?")
	h.tap("Cancel")
	h.settle()
	if h.ui.seedShown != nil {
		t.Fatal("Cancel showed the seed")
	}
	h.tap("Show seed…")
	h.dialogShows("Show the seed of vault?")
	h.tap("Show")
	h.until("the seed dialog", func() bool { return h.ui.seedShown != nil })
	d := h.ui.seedShown
	if d.text.Text != seed || strings.Contains(d.lines.Text, "shown only now") || !strings.Contains(d.lines.Text, "# The seed of vault.") {
		t.Errorf("the dialog shows seed %q (want %q) and lines\n%s", d.text.Text, seed, d.lines.Text)
	}
	if text := decodeQR(t, d.qr.Image); text != rotate.URI(p.Secrets.Rotation.Seed, p.Secrets.Rotation.Params) {
		t.Errorf("the QR code reads %q", text)
	}
}
