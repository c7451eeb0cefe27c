package app

import (
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"

	"sesame/profiles"
)

const testSSHConfig = `# ~/.ssh/config
Host web
  HostName web2.example.com
  User alice
  LocalForward 8080 localhost:80
Host db
  HostName db.example.com
  ProxyJump web
Host new
  HostName new.example.com
  Port 2222
Host *
  User bob
`

// Import of an ~/.ssh/config, as sesame profile import: a host updates
// the profile of its name or of its host and port, which keeps its knock;
// a host with neither is listed with what it lacks and is added once the
// form has its knock; importing again updates the same profiles.
func TestImportSSHConfig(t *testing.T) {
	door := profile(t, "door", "db.example.com", "7100,7200", "")
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""), door)
	h.ui.importData([]byte(testSSHConfig), "/home/u/.ssh/config")
	h.dialogShows("2 profiles to update")
	for _, want := range []string{
		"• web from Host web (config:2)",
		"• door from Host db (config:6), found by its host db.example.com: it keeps its knock",
		"1 host needs a knock before it can be a profile:",
		"new (config:9): new.example.com port 2222",
	} {
		if !strings.Contains(h.texts(), want) {
			t.Errorf("the import dialog lacks %q:\n%s", want, h.texts())
		}
	}
	h.tap("Update 2 profiles")
	h.until("the update", func() bool {
		return strings.HasPrefix(h.ui.status.Text, "Updated 2 profiles from config") || h.ui.list.current == "web"
	})

	web, err := h.store.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	fw := []profiles.Forward{{Kind: profiles.LocalForward, Port: 8080, Host: "localhost", HostPort: 80}}
	if web.Host != "web2.example.com" || web.User != "alice" || !reflect.DeepEqual(web.Forwards, fw) || web.Secrets.Open.String() != "7000" {
		t.Errorf("web after the import: %+v", web)
	}
	got, err := h.store.Get("door")
	if err != nil {
		t.Fatal(err)
	}
	if got.User != "bob" || !reflect.DeepEqual(got.Jump, []string{"web"}) || got.Secrets.Open.String() != "7100,7200" {
		t.Errorf("door after the import: user %q jump %v open %s", got.User, got.Jump, got.Secrets.Open)
	}

	// The new host: the form, on its settings, asks for the knock.
	h.tap("Add with its knock…")
	h.until("the form", func() bool { return h.ui.form != nil })
	f := h.ui.form
	if f.entries[fName].Text != "new" || f.entries[fHost].Text != "new.example.com" || f.entries[fPort].Text != "2222" || f.entries[fUser].Text != "bob" {
		t.Errorf("the form opened on name %q host %q port %q user %q", f.entries[fName].Text, f.entries[fHost].Text, f.entries[fPort].Text, f.entries[fUser].Text)
	}
	if !f.save.Disabled() {
		t.Error("Save is enabled before the knock is given")
	}
	test.Type(f.entries[fOpen], "7300")
	h.submit(f)
	if b := h.button("Added as new"); b == nil || !b.Disabled() {
		t.Errorf("after the save, the import dialog shows:\n%s", h.texts())
	}
	if _, err := h.store.Get("new"); err != nil {
		t.Fatal(err)
	}
	h.tap("Close")

	// Again: every host updates its profile, none is added twice.
	h.ui.importData([]byte(testSSHConfig), "/home/u/.ssh/config")
	h.dialogShows("3 profiles to update")
	if strings.Contains(h.texts(), "a knock before") {
		t.Errorf("re-import asks for knocks again:\n%s", h.texts())
	}
	h.tap("Update 3 profiles")
	h.until("the update", func() bool { return strings.HasPrefix(h.ui.status.Text, "Updated 3 profiles") || h.overlay() == nil })
	list, err := h.store.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Errorf("after a re-import, %d profiles: %s", len(list), names(list))
	}
}

// The Import dialog shows ~/.ssh/config, whose name has no extension, with
// the files it took before.
func TestImportFilterTakesSSHConfig(t *testing.T) {
	for name, want := range map[string]bool{
		"/home/u/.ssh/config": true, "/etc/knockd.conf": true, "/home/u/.fwknoprc": true, "/tmp/all.json": true,
		"/tmp/PROFILES.JSON": true, "/home/u/.ssh/id_ed25519.pub": false, "/tmp/shot.png": false,
	} {
		if got := (importFilter{}).Matches(storage.NewFileURI(name)); got != want {
			t.Errorf("%s: shown %v, want %v", name, got, want)
		}
	}
}
