package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sesame/knock"
	"sesame/profiles"
	"sesame/rotate"
)

// Each field is checked as it is typed: its hint turns into the problem,
// and Save is disabled until every field is right.
func TestFormValidatesAsYouType(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id_test")
	if err := os.WriteFile(key, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	tests := []struct {
		field, text, problem string
	}{
		{fName, "", "empty"},
		{fName, "WEB", "a profile named web exists"},
		{fName, "a/b", "must not contain /"},
		{fName, "7000,8000", "port list"},
		{fName, "db", ""},
		{fHost, "", "empty"},
		{fHost, "user@host", "without spaces, user@ or a path"},
		{fHost, "db.example.com", ""},
		{fPort, "0", "1 to 65535"},
		{fPort, "70000", "1 to 65535"},
		{fPort, "ssh", "1 to 65535"},
		{fPort, "2222", ""},
		{fPort, "", ""},
		{fUser, "a b", "must not contain spaces"},
		{fUser, "admin", ""},
		{fOpen, "", "give the knocks"},
		{fOpen, "7000,70000", "70000"},
		{fOpen, "7000:icmp", "icmp"},
		{fOpen, "7000,8000:udp@300ms,9000", ""},
		{fClose, "9000,abc", "abc"},
		{fClose, "", ""},
		{fDelay, "fast", "bad delay"},
		{fDelay, "2h", "at most 1h"},
		{fDelay, "150", ""},
		{fWait, "10m", "at most 5m"},
		{fWait, "1.5s", ""},
		{fIdentity, filepath.Join(t.TempDir(), "missing"), "no such file"},
		{fIdentity, t.TempDir(), "is a folder"},
		{fIdentity, key, ""},
	}
	f := h.ui.openForm(nil, formNew)
	for _, tt := range tests {
		e := f.entries[tt.field]
		e.SetText("")
		if tt.text == "" {
			// Typed and erased, as a person empties a field.
			test.Type(e, "x")
			e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
		}
		test.Type(e, tt.text)
		checkProblem(t, f, tt.field, tt.text, tt.problem)
	}
	if f.save.Disabled() {
		t.Fatalf("Save disabled with every field right: %v", f.errs)
	}
	f.family.SetSelectedIndex(2)
	h.submit(f)
	if h.overlay() != nil {
		t.Fatalf("the form stayed open: %s", h.texts())
	}
	got, err := h.store.Get("db")
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "db.example.com" || got.Port != 0 || got.User != "admin" || got.Delay != 150*time.Millisecond ||
		got.Wait != 1500*time.Millisecond || got.Family != knock.Family6 || got.IdentityFile != key ||
		got.Secrets.Open.String() != "7000,8000:udp@300ms,9000" || len(got.Secrets.Close) != 0 {
		t.Errorf("saved %+v", got)
	}
	if h.ui.list.selected().Name != "db" {
		t.Errorf("after saving, %s is selected, want the new profile", h.ui.list.selected().Name)
	}
}

// checkProblem checks the problem the form shows for field after text was
// entered: none when want is "", else one containing want, shown in the
// field's hint, with Save disabled. It returns the problem.
func checkProblem(t *testing.T, f *profileForm, field, text, want string) string {
	t.Helper()
	got := f.problemWith(field)
	switch {
	case want == "" && got != "":
		t.Errorf("%s %q: problem %q, want none", field, text, got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("%s %q: problem %q, want one about %q", field, text, got, want)
	}
	if shown := f.hints[field].Text; got != "" && shown != got {
		t.Errorf("%s %q: the hint shows %q, not the problem %q", field, text, shown, got)
	}
	if want != "" && !f.save.Disabled() {
		t.Errorf("%s %q: Save is enabled with a problem", field, text)
	}
	return got
}

// Editing keeps what the form does not show (a remembered password), and
// renames through the store.
func TestFormEditKeepsHiddenSecrets(t *testing.T) {
	p := profile(t, "web", "web.example.com", "7000,8000", "8000,7000")
	p.Secrets.Password = "kept"
	h := newHarness(t, p)
	h.ui.editProfile(h.ui.list.selected())
	f := h.formOpen()
	if f.entries[fOpen].Text != "7000,8000" || f.entries[fClose].Text != "8000,7000" || f.save.Disabled() {
		t.Fatalf("edit form starts with open %q close %q, save disabled %v", f.entries[fOpen].Text, f.entries[fClose].Text, f.save.Disabled())
	}
	f.entries[fName].SetText("www")
	f.entries[fOpen].SetText("1111,2222")
	h.submit(f)
	got, err := h.store.Get("www")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secrets.Password != "kept" || got.Secrets.Open.String() != "1111,2222" || got.Secrets.Close.String() != "8000,7000" {
		t.Errorf("after the edit: password %q, open %s, close %s", got.Secrets.Password, got.Secrets.Open, got.Secrets.Close)
	}
	if _, err := h.store.Get("web"); err == nil {
		t.Error("the old name is still there")
	}
}

func TestDuplicateAndDelete(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000", ""))
	h.ui.duplicateProfile(h.ui.list.selected())
	f := h.formOpen()
	if f.entries[fName].Text != "web copy" || f.entries[fOpen].Text != "7000,8000" {
		t.Fatalf("duplicate starts as %q with %q", f.entries[fName].Text, f.entries[fOpen].Text)
	}
	h.submit(f)
	if got := names(h.ui.all); got != "web,web copy" {
		t.Fatalf("profiles %s after duplicating", got)
	}

	h.ui.list.selectName("web copy")
	h.ui.deleteProfile(h.ui.list.selected())
	h.dialogShows("Delete the profile web copy")
	h.tap("Cancel")
	if got := names(h.ui.all); got != "web,web copy" {
		t.Fatalf("Cancel deleted: %s", got)
	}
	h.ui.deleteProfile(h.ui.list.selected())
	h.dialogShows("Delete the profile web copy")
	h.tap("Delete")
	h.until("web copy deleted", func() bool { return names(h.ui.all) == "web" })
}

// formOpen waits for the form, which opens once the keyring is read.
func (h *harness) formOpen() *profileForm {
	h.t.Helper()
	h.until("the form", func() bool { return h.ui.form != nil && h.overlay() != nil })
	return h.ui.form
}

// A rotating profile knocks with a sequence from its seed: the form leaves
// the open knocks to it, and an edit keeps the seed.
func TestFormEditRotatingProfile(t *testing.T) {
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	p := &profiles.Profile{Name: "rot", Host: "rot.example.com",
		Secrets: profiles.Secrets{Rotation: &profiles.Rotation{Seed: seed, Params: rotate.DefaultParams()}}}
	h := newHarness(t, p)
	h.ui.editProfile(h.ui.list.selected())
	f := h.formOpen()
	if !f.rotating() || f.rows[fOpen][1].Visible() || !f.rows[fSeed][1].Visible() || f.save.Disabled() {
		t.Fatalf("rotating %v, open shown %v, seed shown %v, save disabled %v (%v)",
			f.rotating(), f.rows[fOpen][1].Visible(), f.rows[fSeed][1].Visible(), f.save.Disabled(), f.errs)
	}
	if f.entries[fSeed].Text != "" {
		t.Error("the edit form shows the seed")
	}
	f.entries[fHost].SetText("rot2.example.com")
	h.submit(f)
	got, err := h.store.Get("rot")
	if err != nil {
		t.Fatal(err)
	}
	if got.Host != "rot2.example.com" || got.Secrets.Rotation == nil || !bytes.Equal(got.Secrets.Rotation.Seed, seed) || len(got.Secrets.Open) != 0 {
		t.Errorf("after the edit: host %s, rotation %v, open %s", got.Host, got.Secrets.Rotation != nil, got.Secrets.Open)
	}

	// Connect hands the flow this window's sequence.
	h.ui.connect("rot")
	h.until("the flow", func() bool { return h.launcher.connected() == 1 })
	h.launcher.mu.Lock()
	req := h.launcher.connects[0]
	h.launcher.mu.Unlock()
	if len(req.Profile.Secrets.Open) == 0 || req.Profile.Secrets.Rotation != nil {
		t.Errorf("the flow got open %s and a seed %v: want the window's sequence and no seed", req.Profile.Secrets.Open, req.Profile.Secrets.Rotation != nil)
	}
}
