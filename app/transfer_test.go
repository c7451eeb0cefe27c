package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"sesame/internal/testnet"
	"sesame/profiles"
)

// A knockd.conf: the host is asked for, the doors listed, and the pair
// saved as one profile with both sequences.
func TestImportKnockdConf(t *testing.T) {
	h := newHarness(t)
	h.ui.importData([]byte(testnet.GuideConf), "/etc/knockd.conf")
	h.dialogShows("Which server are its doors on?")
	if !h.button("Next").Disabled() {
		t.Error("Next is enabled before a host is given")
	}
	h.typeInto(0, "bad host")
	if !strings.Contains(h.texts(), "without spaces") {
		t.Errorf("a bad host is not pointed out:\n%s", h.texts())
	}
	if !h.button("Next").Disabled() {
		t.Error("Next is enabled with a bad host")
	}
	h.entries()[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.dialogShows("Which server are its doors on?") // Enter did not go on with it
	h.entries()[0].SetText("")
	h.typeInto(0, "gate.example.com")
	h.entries()[0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter is Next
	h.dialogShows("Import 1 profile?")
	if !strings.Contains(h.texts(), "SSH (from doors openSSH and closeSSH)") {
		t.Errorf("the import lists:\n%s", h.texts())
	}
	h.importTap()
	p, err := h.store.Get("SSH")
	if err != nil {
		t.Fatal(err)
	}
	if p.Host != "gate.example.com" || p.Secrets.Open.String() != "7000,8000,9000" || p.Secrets.Close.String() != "9000,8000,7000" {
		t.Errorf("imported %s: host %s open %s close %s", p.Name, p.Host, p.Secrets.Open, p.Secrets.Close)
	}
	if names(h.ui.all) != "SSH" {
		t.Errorf("the list shows %s", names(h.ui.all))
	}
	if h.ui.list.current != "SSH" || !strings.Contains(h.ui.status.Text, "SSH has no SSH user") {
		t.Errorf("after the import %q is selected and the status says %q; want SSH, and what it lacks", h.ui.list.current, h.ui.status.Text)
	}
}

// Export writes secrets only when asked; its file imports back, and an
// existing profile is replaced only when asked.
func TestExportImportRoundTrip(t *testing.T) {
	web := profile(t, "web", "web.example.com", "7111,8222:udp", "9333")
	web.Secrets.Password = "pw"
	h := newHarness(t, web)
	var plain, full bytes.Buffer
	if err := writeExport(h.store, &plain, h.ui.all, false); err != nil {
		t.Fatal(err)
	}
	if err := writeExport(h.store, &full, h.ui.all, true); err != nil {
		t.Fatal(err)
	}
	if s := plain.String(); strings.Contains(s, "7111") || strings.Contains(s, "pw") || !strings.Contains(s, "web.example.com") {
		t.Errorf("an export without secrets:\n%s", s)
	}
	if s := full.String(); !strings.Contains(s, "7111") {
		t.Errorf("an export with secrets lacks the sequence:\n%s", s)
	}

	h.ui.importData(plain.Bytes(), "plain.json")
	h.dialogShows("Nothing to import")
	if !strings.Contains(h.texts(), "exported without its secrets") {
		t.Errorf("why nothing was imported:\n%s", h.texts())
	}
	h.tap("Close")

	if err := h.store.UpdateSecrets("web", func(s *profiles.Secrets) { s.Open = nil; s.Open = web.Secrets.Close }); err != nil {
		t.Fatal(err)
	}
	h.ui.importData(full.Bytes(), "full.json")
	h.dialogShows("Import 1 profile?")
	h.importTap()
	if p, _ := h.store.Get("web"); p.Secrets.Open.String() != "9333" {
		t.Errorf("an import without Replace changed web: open %s", p.Secrets.Open)
	}
	if !strings.Contains(h.ui.status.Text, "kept the existing web") {
		t.Errorf("status %q", h.ui.status.Text)
	}
	h.ui.importData(full.Bytes(), "full.json")
	h.dialogShows("Import 1 profile?")
	for _, obj := range test.LaidOutObjects(h.overlay()) {
		if c, ok := obj.(interface{ SetChecked(bool) }); ok {
			c.SetChecked(true)
		}
	}
	h.importTap()
	if p, _ := h.store.Get("web"); p.Secrets.Open.String() != "7111,8222:udp" || p.Secrets.Password != "pw" {
		t.Errorf("after replacing: open %s, password %q", p.Secrets.Open, p.Secrets.Password)
	}
}

func TestImportBadFile(t *testing.T) {
	h := newHarness(t)
	h.ui.importData([]byte("[door]\n\tsequence = 70000\n"), "bad.conf")
	h.dialogShows("Cannot import bad.conf")
	if !strings.Contains(h.texts(), "bad.conf:2") {
		t.Errorf("the error does not say where:\n%s", h.texts())
	}
}

// The tray lists each profile with Connect, Knock open and Knock close,
// then Show window and a Quit that closes the doors first.
func TestTrayMenu(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000", "8000,7000"), profile(t, "db", "db.example.com", "6000", ""))
	m := h.ui.trayMenu()
	var labels []string
	for _, it := range m.Items {
		labels = append(labels, it.Label)
	}
	if got := strings.Join(labels, ","); got != "db,web,,Show window,Quit" {
		t.Fatalf("tray items %s", got)
	}
	if !m.Items[4].IsQuit {
		t.Error("Quit is not marked as the quit item: Fyne would add its own, which skips the close knocks")
	}
	web := m.Items[1].ChildMenu
	var actions []string
	for _, it := range web.Items {
		actions = append(actions, it.Label)
	}
	if got := strings.Join(actions, ","); got != "Connect,Knock open,Knock close" {
		t.Fatalf("web's items %s", got)
	}
	// One after the other, as a person clicks them: each knock runs on a
	// goroutine of its own, so two clicked at once may go out either way.
	web.Items[1].Action()
	h.until("the open knock", func() bool { return strings.Contains(h.ui.status.Text, "open knock sent") })
	web.Items[2].Action()
	h.until("two knocks", func() bool { return len(h.launcher.knocked()) == 2 })
	if got := strings.Join(h.launcher.knocked(), ";"); got != "web 7000,8000;web 8000,7000" {
		t.Errorf("knocks %s", got)
	}
	h.until("the status", func() bool { return strings.Contains(h.ui.status.Text, "close knock sent") })
	m.Items[0].ChildMenu.Items[2].Action() // db has no close sequence
	h.dialogShows("has no close sequence")
	h.tap("Close")
	web.Items[0].Action()
	h.until("a session", func() bool { return h.session("web") != nil })
}

// An export through the save dialog's writer is written 0600, whether
// the file is new or was there (0644) before, and holds the secrets asked
// for: anyone else on the machine could otherwise read the sequences.
func TestExportFileIsPrivate(t *testing.T) {
	tests := []struct {
		name   string
		before string // the file's content before, "" for none
	}{
		{"new file", ""},
		{"replaces a readable file", "old content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000", "9000"))
			path := filepath.Join(t.TempDir(), "sesame-profiles.json")
			if tt.before != "" {
				if err := os.WriteFile(path, []byte(tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The writer the save dialog hands over: it creates the file
			// with the default mode.
			wc, err := storage.Writer(storage.NewFileURI(path))
			if err != nil {
				t.Fatal(err)
			}
			h.ui.exportFile(wc, true)
			h.until("the export to end", func() bool { return strings.HasPrefix(h.ui.status.Text, "Exported") })
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("the export is mode %v, want 0600", m)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := profiles.ReadExport(data, path)
			if err != nil || len(ps) != 1 || ps[0].Secrets.Open.String() != "7000,8000" {
				t.Errorf("the export does not read back with its secrets (%v):\n%s", err, data)
			}
		})
	}
}
