package app

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"golang.org/x/crypto/ssh"

	"sesame/knock"
	"sesame/profiles"
	"sesame/rotate"
)

// Each field is checked as it is typed: its hint turns into the problem,
// and Save is disabled until every field is right.
func TestFormValidatesAsYouType(t *testing.T) {
	key := writeKeys(t).private
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	tests := []struct {
		field, text, problem string
	}{
		{fName, "", "empty"},
		{fName, "WEB", "a profile named web exists"},
		{fName, "a/b", "must not contain /"},
		{fName, "7000,8000", "port list"},
		{fName, "my db", `use "my-db"`},
		{fName, "db*", "ssh_config reads specially"},
		{fName, "dé", ""},
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

// testKeys are key files of one ed25519 key: the private key, the same
// protected by a passphrase, and the public key.
type testKeys struct{ private, protected, public string }

func writeKeys(t *testing.T) testKeys {
	t.Helper()
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	locked, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte("a passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	k := testKeys{filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "id_locked"), filepath.Join(dir, "id_ed25519.pub")}
	for path, data := range map[string][]byte{
		k.private:   pem.EncodeToMemory(plain),
		k.protected: pem.EncodeToMemory(locked),
		k.public:    ssh.MarshalAuthorizedKey(sshPub),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

// A file picked as the identity that is not a private key — the .pub
// beside it, or anything else — is refused in the form; a key protected
// by a passphrase is a private key.
func TestFormIdentityMustBePrivateKey(t *testing.T) {
	keys := writeKeys(t)
	other := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(other, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, problem string
	}{
		{"private key", keys.private, ""},
		{"protected key", keys.protected, ""},
		{"public key", keys.public, "not a private key: this is a public key"},
		{"other file", other, "not a private key"},
	}
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	f.entries[fName].SetText("web")
	f.entries[fHost].SetText("web.example.com")
	f.entries[fOpen].SetText("7000")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.identityPicked(tt.path)
			checkProblem(t, f, fIdentity, tt.path, tt.problem)
			if tt.problem == "" && f.save.Disabled() {
				t.Errorf("Save disabled with %s: %v", tt.name, f.errs)
			}
		})
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

// A one-time profile keeps its one-time sequences through an edit that
// leaves the open knocks as they were; knocks typed there replace them, as
// sesame profile edit --open does.
func TestFormEditOneTimeProfile(t *testing.T) {
	h := newHarness(t, oneTimeProfile(t, "door", "door.example.com", "7000,8000", "7001,8001"))
	for _, step := range []struct {
		open, note  string
		wantOneTime int
	}{
		{"", "edited", 2},
		{"9000,9001", "", 0},
	} {
		h.ui.editProfile(h.ui.list.selected())
		f := h.formOpen()
		f.entries[fNote].SetText(step.note)
		f.entries[fOpen].SetText(step.open)
		h.submit(f)
		got, err := h.store.Get("door")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Secrets.OneTime) != step.wantOneTime || got.Secrets.Open.String() != step.open || got.Note != step.note {
			t.Errorf("open %q: one-time sequences %d (want %d), open %q, note %q", step.open, len(got.Secrets.OneTime), step.wantOneTime, got.Secrets.Open, got.Note)
		}
	}
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
	if f.entries[fName].Text != "web-copy" || f.entries[fOpen].Text != "7000,8000" {
		t.Fatalf("duplicate starts as %q with %q", f.entries[fName].Text, f.entries[fOpen].Text)
	}
	h.submit(f)
	if got := names(h.ui.all); got != "web,web-copy" {
		t.Fatalf("profiles %s after duplicating", got)
	}

	h.ui.list.selectName("web-copy")
	h.ui.deleteProfile(h.ui.list.selected())
	h.dialogShows("Delete the profile web-copy")
	h.tap("Cancel")
	if got := names(h.ui.all); got != "web,web-copy" {
		t.Fatalf("Cancel deleted: %s", got)
	}
	h.ui.deleteProfile(h.ui.list.selected())
	h.dialogShows("Delete the profile web-copy")
	h.tap("Delete")
	h.until("web-copy deleted", func() bool { return names(h.ui.all) == "web" })
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
