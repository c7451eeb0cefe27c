package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"sesame/profiles"
	"sesame/rotate"
)

// memFile is the save dialog's writer for the file at path, which the
// export replaces.
type memFile struct {
	bytes.Buffer
	path   string
	closed chan struct{}
}

func (m *memFile) Close() error {
	close(m.closed)
	return nil
}

func (m *memFile) URI() fyne.URI { return storage.NewFileURI(m.path) }

// A locked keyring holds its calls while it asks to be unlocked: the
// actions that read or change secrets must not wait for it on the UI
// goroutine, or the window freezes. Each action here returns while the
// keyring holds its call, and finishes once the keyring answers.
func TestKeyringOffTheUIThread(t *testing.T) {
	type step struct {
		before func(h *harness)                           // on the UI goroutine, keyring open
		act    func(h *harness, file *memFile)            // with the keyring held
		status string                                     // shown meanwhile
		done   func(h *harness, file *memFile) bool       // once it answers
		check  func(t *testing.T, h *harness, f *memFile) // then
	}
	tests := []struct {
		name string
		step step
	}{
		{"edit", step{
			act:    func(h *harness, _ *memFile) { h.ui.editProfile(h.ui.profileNamed("web")) },
			status: "web: reading the keyring…",
			done:   func(h *harness, _ *memFile) bool { return h.ui.form != nil },
			check: func(t *testing.T, h *harness, _ *memFile) {
				if got := h.ui.form.entries[fOpen].Text; got != "7000,8000" {
					t.Errorf("the form's open knocks are %q", got)
				}
			},
		}},
		{"duplicate", step{
			act:    func(h *harness, _ *memFile) { h.ui.duplicateProfile(h.ui.profileNamed("web")) },
			status: "web: reading the keyring…",
			done:   func(h *harness, _ *memFile) bool { return h.ui.form != nil },
			check: func(t *testing.T, h *harness, _ *memFile) {
				if got := h.ui.form.entries[fName].Text; got != "web-copy" {
					t.Errorf("the copy is named %q", got)
				}
			},
		}},
		{"export with secrets", step{
			act:    func(h *harness, f *memFile) { h.ui.exportFile(f, true) },
			status: "Exporting 2 profiles…",
			done: func(h *harness, f *memFile) bool {
				return isClosed(f.closed) && strings.HasPrefix(h.ui.status.Text, "Exported 2 profiles")
			},
			check: func(t *testing.T, h *harness, f *memFile) {
				data, err := os.ReadFile(f.path)
				if err != nil || !strings.Contains(string(data), "7000,8000") {
					t.Errorf("the export lacks the secrets (%v):\n%s", err, data)
				}
			},
		}},
		{"save", step{
			before: func(h *harness) {
				h.ui.editProfile(h.ui.profileNamed("web"))
				f := h.formOpen()
				f.entries[fOpen].SetText("7100,8100")
			},
			act:    func(h *harness, _ *memFile) { test.Tap(h.ui.form.save) },
			status: "web: saving…",
			done:   func(h *harness, _ *memFile) bool { return h.ui.form == nil },
			check: func(t *testing.T, h *harness, _ *memFile) {
				if p, err := h.store.Get("web"); err != nil || p.Secrets.Open.String() != "7100,8100" {
					t.Errorf("after the save: %v, err %v", p, err)
				}
				if h.ui.status.Text != "web: saved" {
					t.Errorf("status %q", h.ui.status.Text)
				}
			},
		}},
		{"import", step{
			before: func(h *harness) {
				var buf bytes.Buffer
				// The export of a profile db, no longer stored.
				db := profile(h.t, "db", "db.example.com", "6000,6100", "")
				if err := h.store.Create(db); err != nil {
					h.t.Fatal(err)
				}
				if err := writeExport(h.store, &buf, []*profiles.Profile{db}, true); err != nil {
					h.t.Fatal(err)
				}
				if err := h.store.Delete("db"); err != nil {
					h.t.Fatal(err)
				}
				h.ui.importData(buf.Bytes(), "db.json")
				h.dialogShows("Import 1 profile?")
			},
			act:    func(h *harness, _ *memFile) { h.tap("Import") },
			status: "Importing 1 profile…",
			done:   func(h *harness, _ *memFile) bool { return h.ui.profileNamed("db") != nil },
			check: func(t *testing.T, h *harness, _ *memFile) {
				if p, err := h.store.Get("db"); err != nil || p.Secrets.Open.String() != "6000,6100" {
					t.Errorf("after the import: %v, err %v", p, err)
				}
			},
		}},
		{"delete", step{
			before: func(h *harness) {
				h.ui.deleteProfile(h.ui.profileNamed("web"))
				h.dialogShows("Delete the profile web")
			},
			act:    func(h *harness, _ *memFile) { h.tap("Delete") },
			status: "web: deleting…",
			done:   func(h *harness, _ *memFile) bool { return h.ui.profileNamed("web") == nil },
		}},
		{"show seed", step{
			before: func(h *harness) {
				h.ui.confirmShowSeed(h.ui.profileNamed("vault"))
				h.dialogShows("Show the seed of vault?")
			},
			act:  func(h *harness, _ *memFile) { h.tap("Show") },
			done: func(h *harness, _ *memFile) bool { return h.ui.seedShown != nil },
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "192.0.2.9", "7000,8000", ""), rotatingProfile(t, "vault", rotate.DefaultParams(), 0))
			// The detail pane's own read of vault, selected first.
			h.until("the details read", func() bool { return h.ui.detail.rotBox.Visible() })
			h.settle()
			if tt.step.before != nil {
				tt.step.before(h)
			}
			file := &memFile{path: filepath.Join(t.TempDir(), "sesame-profiles.json"), closed: make(chan struct{})}
			h.keyring.hold()
			held := h.keyring.held()
			// The action runs as the UI goroutine would; this goroutine
			// waits without touching the UI.
			returned := make(chan struct{})
			go func() {
				defer close(returned)
				tt.step.act(h, file)
			}()
			select {
			case <-returned:
			case <-time.After(await):
				t.Fatalf("%s waited for the keyring on the UI goroutine", tt.name)
			}
			h.until("the keyring call to be held", func() bool { return h.keyring.held() > held })
			if tt.step.status != "" && h.ui.status.Text != tt.step.status {
				t.Errorf("while the keyring is held, the status says %q, want %q", h.ui.status.Text, tt.step.status)
			}
			if tt.step.done(h, file) {
				t.Fatal("done before the keyring answered")
			}
			h.keyring.release()
			h.until(tt.name+" to finish", func() bool { return tt.step.done(h, file) })
			if tt.step.check != nil {
				tt.step.check(t, h, file)
			}
		})
	}
}
