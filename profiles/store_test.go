package profiles

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"sesame/internal/testkeyring"
	"sesame/knock"
	"sesame/knocker"
	"sesame/rotate"
)

// keyring is this test binary's own Secret Service (gnome-keyring on a
// private bus). The store's tests use it, never a fake.
var keyring *testkeyring.Env

func TestMain(m *testing.M) {
	if helper := os.Getenv(helperEnv); helper != "" {
		os.Exit(runHelper(helper))
	}
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// Fuzz workers run only the fuzz target, which needs no keyring.
		os.Exit(m.Run())
	}
	keyring = testkeyring.Start()
	code := m.Run()
	keyring.Stop()
	os.Exit(code)
}

// newTestStore is a store in a fresh directory on the real keyring.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	keyring.Require(t)
	return NewStore(filepath.Join(t.TempDir(), "config"), SystemKeyring())
}

// seq parses a sequence; t may be nil in helper processes.
func seq(t testing.TB, s string) knocker.Sequence {
	q, err := knocker.ParseSequence(s)
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	return q
}

// fullProfile sets every field, with distinctive secrets.
func fullProfile(t testing.TB, name string) *Profile {
	return &Profile{
		Name: name, Host: "web.example.com", Port: 2222, User: "admin", IdentityFile: "/home/u/.ssh/id_ed25519",
		Family: knock.Family6, Delay: 150 * time.Millisecond, Wait: 1500 * time.Millisecond, Note: "rack 4: ask Sam",
		Keepalive: 5 * time.Second, KeepaliveMax: 4, AutoReconnect: true,
		Forwards: []Forward{{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80},
			{Kind: DynamicForward, Bind: "::1", Port: 1080}},
		Jump:     []string{"bastion"},
		LastUsed: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Secrets: Secrets{
			Open: seq(t, "17001,17002:udp,17003@250ms"), Close: seq(t, "17003,17002:udp,17001"),
			Password: "pw-Xq7!", Passphrase: "pass phrase Zz9",
			OneTime: []knocker.Sequence{seq(t, "31001,31002"), seq(t, "31003,31004")}, OneTimeUsed: 3,
		},
	}
}

// storeKeys lists the keyring accounts the store's settings file names.
func storeKeys(t *testing.T, s *Store) []string {
	t.Helper()
	st, err := readSettings(s.SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range st.entries {
		keys = append(keys, e.Key)
	}
	return keys
}

func TestStoreRoundTrip(t *testing.T) {
	s := newTestStore(t)
	want := fullProfile(t, "web")
	if err := s.Create(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Get after Create:\n got %+v\nwant %+v", got, want)
	}
	// Names are found ignoring case.
	if got, err := s.Get("WEB"); err != nil || got.Name != "web" {
		t.Fatalf("Get(WEB) = %v, %v; want the profile web", got, err)
	}
	// The secrets are in the real keyring, one entry, under service sesame.
	keys := storeKeys(t, s)
	if len(keys) != 1 {
		t.Fatalf("settings name %d keyring keys, want 1", len(keys))
	}
	doc, err := gokeyring.Get(Service, keys[0])
	if err != nil {
		t.Fatalf("the keyring entry of web: %v", err)
	}
	if !strings.Contains(doc, `"v":1`) || !strings.Contains(doc, want.Secrets.Password) {
		t.Fatalf("the keyring entry is not the version 1 document with the secrets (%d bytes)", len(doc))
	}
	if !slices.Contains(keyring.Accounts(t, Service), keys[0]) {
		t.Fatalf("the Secret Service lists no item for account %s", keys[0])
	}

	list, err := s.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v; want one profile", list, err)
	}
	noSecrets := *want
	noSecrets.Secrets = Secrets{}
	if !reflect.DeepEqual(list[0], &noSecrets) {
		t.Fatalf("List()[0] = %+v, want the settings without secrets %+v", list[0], &noSecrets)
	}

	// Save replaces; the keyring entry stays the same one.
	want.Host = "web2.example.com"
	want.Secrets.Close = nil
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("web"); !reflect.DeepEqual(got, want) {
		t.Fatalf("Get after Save:\n got %+v\nwant %+v", got, want)
	}
	if k := storeKeys(t, s); !slices.Equal(k, keys) {
		t.Fatalf("Save of an existing profile changed its keyring key from %v to %v", keys, k)
	}

	// The settings file is private.
	fi, err := os.Stat(s.SettingsFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("settings file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestStoreCreateAndNames(t *testing.T) {
	s := newTestStore(t)
	orig := fullProfile(t, "Web")
	if err := s.Create(orig); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"create a duplicate", func() error { return s.Create(fullProfile(t, "Web")) }, ErrExists},
		{"create a duplicate in another case", func() error { return s.Create(fullProfile(t, "wEB")) }, ErrExists},
		{"get a missing profile", func() error { _, err := s.Get("nope"); return err }, ErrNotFound},
		{"delete a missing profile", func() error { return s.Delete("nope") }, ErrNotFound},
		{"rename a missing profile", func() error { return s.Rename("nope", "x") }, ErrNotFound},
		{"update a missing profile", func() error {
			_, err := s.Update("nope", func(*Profile) error { return nil })
			return err
		}, ErrNotFound},
		{"save an invalid profile", func() error {
			p := fullProfile(t, "bad")
			p.Port = 70000
			return s.Save(p)
		}, nil},
		{"update into an invalid profile", func() error {
			_, err := s.Update("Web", func(p *Profile) error { p.Port = 70000; return nil })
			return err
		}, nil},
		{"update that renames", func() error {
			_, err := s.Update("Web", func(p *Profile) error { p.Name = "other"; return nil })
			return err
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			// Nothing changed.
			list, _ := s.List()
			if len(list) != 1 || list[0].Name != "Web" {
				t.Fatalf("profiles after the failure: %v", list)
			}
			got, err := s.Get("Web")
			if err != nil || !reflect.DeepEqual(got, orig) {
				t.Fatalf("Web after the failure: %+v, %v", got, err)
			}
		})
	}
}

func TestStoreRename(t *testing.T) {
	s := newTestStore(t)
	a, b := fullProfile(t, "a"), fullProfile(t, "b")
	b.Secrets.Password = "b's password"
	for _, p := range []*Profile{a, b} {
		if err := s.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	keysBefore := storeKeys(t, s)
	if err := s.Rename("a", "b"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto an existing name: %v, want ErrExists", err)
	}
	if err := s.Rename("a", "bad/name"); err == nil {
		t.Fatal("rename to an invalid name succeeded")
	}
	if err := s.Rename("a", "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(a) after the rename: %v, want ErrNotFound", err)
	}
	got, err := s.Get("c")
	a.Name = "c"
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("Get(c) = %+v, %v; want a's profile and secrets", got, err)
	}
	// A change of case only is a rename too.
	if err := s.Rename("c", "C"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get("C"); err != nil || got.Name != "C" || got.Secrets.Password != a.Secrets.Password {
		t.Fatalf("Get(C) = %+v, %v", got, err)
	}
	if got, _ := s.Get("b"); got.Secrets.Password != "b's password" {
		t.Fatal("b's secrets changed")
	}
	if k := storeKeys(t, s); !slices.Equal(k, keysBefore) {
		t.Fatalf("keyring keys changed from %v to %v: a rename must only touch the settings", keysBefore, k)
	}
}

func TestStoreDelete(t *testing.T) {
	s := newTestStore(t)
	if err := s.Create(fullProfile(t, "gone")); err != nil {
		t.Fatal(err)
	}
	key := storeKeys(t, s)[0]
	if err := s.Delete("GONE"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if _, err := gokeyring.Get(Service, key); !errors.Is(err, gokeyring.ErrNotFound) {
		t.Fatalf("the keyring entry is still there after Delete: %v", err)
	}
	if slices.Contains(keyring.Accounts(t, Service), key) {
		t.Fatal("the Secret Service still lists the deleted profile's item")
	}
}

func TestStoreSecretsMissing(t *testing.T) {
	s := newTestStore(t)
	p := fullProfile(t, "lost")
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	// Deleted outside Sesame, e.g. in Passwords and Keys.
	if err := gokeyring.Delete(Service, storeKeys(t, s)[0]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("lost")
	if !errors.Is(err, ErrSecretsMissing) || got == nil || got.Host != p.Host {
		t.Fatalf("Get = %+v, %v; want the settings and ErrSecretsMissing", got, err)
	}
	// Update can set them again.
	got, err = s.Update("lost", func(q *Profile) error { q.Secrets.Open = seq(t, "1,2,3"); return nil })
	if err != nil || got.Secrets.Open.String() != "1,2,3" {
		t.Fatalf("Update = %+v, %v", got, err)
	}
	if got, err := s.Get("lost"); err != nil || got.Secrets.Open.String() != "1,2,3" {
		t.Fatalf("Get after Update = %+v, %v", got, err)
	}
}

func TestStoreTouchAndTakeOpen(t *testing.T) {
	s := newTestStore(t)
	p := fullProfile(t, "ot")
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := s.Touch("ot", at); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"31001,31002", "31003,31004", p.Secrets.Open.String(), p.Secrets.Open.String()} {
		got, seq, err := s.TakeOpen("ot")
		if err != nil {
			t.Fatal(err)
		}
		if seq.String() != want {
			t.Fatalf("knock %d: sequence %s, want %s", i+1, seq, want)
		}
		left := max(0, 1-i)
		if len(got.Secrets.OneTime) != left || got.Secrets.OneTimeUsed != 3+min(i+1, 2) {
			t.Fatalf("knock %d: %d left, %d used", i+1, len(got.Secrets.OneTime), got.Secrets.OneTimeUsed)
		}
	}
	got, err := s.Get("ot")
	if err != nil || !got.LastUsed.Equal(at) || len(got.Secrets.OneTime) != 0 {
		t.Fatalf("after the knocks: %+v, %v", got, err)
	}

	// A profile with only one-time sequences runs out with a clear error.
	only := &Profile{Name: "only", Host: "h", Secrets: Secrets{OneTime: []knocker.Sequence{seq(t, "5,6")}}}
	if err := s.Create(only); err != nil {
		t.Fatal(err)
	}
	if _, seq, err := s.TakeOpen("only"); err != nil || seq.String() != "5,6" {
		t.Fatalf("TakeOpen = %s, %v", seq, err)
	}
	if _, _, err := s.TakeOpen("only"); err == nil || !strings.Contains(err.Error(), "used up") {
		t.Fatalf("TakeOpen with none left: %v", err)
	}
}

func TestStoreUpdateSecrets(t *testing.T) {
	s := newTestStore(t)
	p := fullProfile(t, "kept")
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateSecrets("kept", func(sec *Secrets) { sec.Password = "new-pw" }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("kept")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secrets.Password != "new-pw" || got.Secrets.Open.String() != p.Secrets.Open.String() || got.Host != p.Host {
		t.Errorf("after UpdateSecrets: password %q, open %s, host %q", got.Secrets.Password, got.Secrets.Open, got.Host)
	}
	if err := s.UpdateSecrets("gone", func(*Secrets) {}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateSecrets of a missing profile: %v, want ErrNotFound", err)
	}
}

func TestStoreSecretsTooBig(t *testing.T) {
	s := newTestStore(t)
	many := make([]knocker.Sequence, 200)
	for i := range many {
		many[i] = seq(t, "10001,10002,10003:udp,10004")
	}
	tests := []struct {
		name string
		edit func(p *Profile)
		want string // the part the error must tell to shorten
	}{
		{"long password", func(p *Profile) { p.Secrets.Password = strings.Repeat("x", MaxSecretBytes) }, "the password"},
		{"many one-time sequences", func(p *Profile) { p.Secrets.OneTime = many }, "one-time sequences"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fullProfile(t, "big")
			tt.edit(p)
			err := s.Create(p)
			var tb *TooBigError
			if !errors.As(err, &tb) {
				t.Fatalf("Create = %v, want a *TooBigError", err)
			}
			if !strings.HasPrefix(tb.Parts[0], "the "+strings.TrimPrefix(tt.want, "the ")) && !strings.Contains(tb.Parts[0], tt.want) {
				t.Fatalf("error %q: want %q named first", err, tt.want)
			}
			if strings.Contains(err.Error(), "xxxx") || strings.Contains(err.Error(), "10001") {
				t.Fatalf("error quotes a secret: %q", err)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Fatalf("a profile was saved: %v", list)
			}
		})
	}
	// What fits is saved, up to the limit.
	p := fullProfile(t, "fits")
	n := OneTimeFit(p.Secrets, many)
	if n <= 0 || n >= len(many) {
		t.Fatalf("OneTimeFit = %d of %d", n, len(many))
	}
	p.Secrets.OneTime = many[:n]
	if err := s.Create(p); err != nil {
		t.Fatalf("Create with the %d sequences that fit: %v", n, err)
	}
	p.Secrets.OneTime = many[:n+1]
	if err := s.Save(p); err == nil {
		t.Fatalf("Save with %d sequences, one more than fit, succeeded", n+1)
	}
}

// failingKeyring is the real keyring with one Set failing: the one after
// setsOK successful ones.
type failingKeyring struct {
	Keyring
	setsOK int
	sets   int
}

func (f *failingKeyring) Set(service, account, secret string) error {
	f.sets++
	if f.sets == f.setsOK+1 {
		return errors.New("injected keyring failure")
	}
	return f.Keyring.Set(service, account, secret)
}

// TestStoreNothingHalfSaved fails changes between the keyring write and the
// settings file write, and in the keyring midway through a batch, and
// checks that the keyring and the file both still hold the old profiles.
func TestStoreNothingHalfSaved(t *testing.T) {
	tests := []struct {
		name string
		// setsOK is how many keyring writes succeed (-1: all); failFile
		// fails the settings file write.
		setsOK   int
		failFile bool
		change   func(t *testing.T, s *Store) error
	}{
		{"new profile, file write fails", -1, true, func(t *testing.T, s *Store) error {
			return s.Create(fullProfile(t, "new"))
		}},
		{"replace, file write fails", -1, true, func(t *testing.T, s *Store) error {
			p := fullProfile(t, "old")
			p.Host, p.Secrets.Password = "changed.example.com", "changed password"
			return s.Save(p)
		}},
		{"update, file write fails", -1, true, func(t *testing.T, s *Store) error {
			_, err := s.Update("old", func(p *Profile) error { p.Secrets.Open = seq(t, "1,2"); return nil })
			return err
		}},
		{"take a one-time sequence, file write fails", -1, true, func(t *testing.T, s *Store) error {
			_, _, err := s.TakeOpen("old")
			return err
		}},
		{"delete, file write fails", -1, true, func(t *testing.T, s *Store) error {
			return s.Delete("old")
		}},
		{"batch, keyring fails at the second", 1, false, func(t *testing.T, s *Store) error {
			p := fullProfile(t, "old")
			p.Secrets.Password = "changed password"
			_, err := s.SaveAll([]*Profile{fullProfile(t, "new1"), p, fullProfile(t, "new2")}, true)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			old := fullProfile(t, "old")
			if err := s.Create(old); err != nil {
				t.Fatal(err)
			}
			settingsBefore, err := os.ReadFile(s.SettingsFile())
			if err != nil {
				t.Fatal(err)
			}
			accountsBefore := keyring.Accounts(t, Service)

			if tt.setsOK >= 0 {
				s.kr = &failingKeyring{Keyring: s.kr, setsOK: tt.setsOK}
			}
			if tt.failFile {
				s.afterKeyring = func() error { return errors.New("injected file failure") }
			}
			err = tt.change(t, s)
			if err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("change = %v, want the injected failure", err)
			}
			if strings.Contains(err.Error(), "also failed") {
				t.Fatalf("rollback failed: %v", err)
			}
			s.kr, s.afterKeyring = SystemKeyring(), nil

			if after, _ := os.ReadFile(s.SettingsFile()); string(after) != string(settingsBefore) {
				t.Fatalf("settings file changed:\n%s\nwas:\n%s", after, settingsBefore)
			}
			got, err := s.Get("old")
			if err != nil || !reflect.DeepEqual(got, old) {
				t.Fatalf("old after the failure: %+v, %v\nwant %+v", got, err, old)
			}
			if after := keyring.Accounts(t, Service); !slices.Equal(after, accountsBefore) {
				t.Fatalf("keyring items changed: before %v, after %v", accountsBefore, after)
			}
		})
	}
}

func TestStoreWithoutConfigDir(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "never", "created"), NewMemKeyring())
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("List = %v, %v; want none", list, err)
	}
	if _, err := s.Get("x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reading created the config directory: %v", err)
	}
}

func TestStoreBadSettingsFile(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not yaml", "profiles: [\n", "not valid YAML"},
		{"bad delay", "version: 1\nprofiles:\n  - name: a\n    key: k\n    host: h\n    delay: soon\n", `profile "a": delay`},
		{"no key", "version: 1\nprofiles:\n  - name: a\n    host: h\n", "no name or key"},
		{"newer version", "version: 9\nprofiles: []\n", "newer Sesame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := NewStore(dir, NewMemKeyring())
			if err := os.WriteFile(s.SettingsFile(), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, lerr := s.List()
			cerr := s.Create(fullProfile(t, "x"))
			err := errors.Join(lerr, cerr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("List, Create = %v, %v; want %q", lerr, cerr, tt.want)
			}
			if got, _ := os.ReadFile(s.SettingsFile()); string(got) != tt.content {
				t.Fatalf("the bad file was rewritten:\n%s", got)
			}
		})
	}
}

// TestStoreTakeOpenRotating: each knock of a rotating profile uses a window
// sesamed has not taken from this device: the current one, then the next,
// then (both used) none until the next window begins.
func TestStoreTakeOpenRotating(t *testing.T) {
	s := newTestStore(t)
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	params := rotate.DefaultParams()
	p := &Profile{Name: "rot", Host: "h", Secrets: Secrets{Rotation: &Rotation{Seed: seed, Params: params}}}
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_699_999_990, 0) // 20 s left in its window
	w := params.WindowAt(now)
	want := func(w int64) string {
		seq, err := rotate.Sequence(seed, params, w)
		if err != nil {
			t.Fatal(err)
		}
		return seq.String()
	}
	for i, win := range []int64{w, w + 1} {
		got, seq, err := s.TakeOpenAt("rot", now)
		if err != nil {
			t.Fatal(err)
		}
		// The profile comes back as this knock opens it: ready for the
		// connect flow, without the seed.
		if seq.String() != want(win) || !got.Secrets.Open.Equal(seq) || got.Secrets.Rotation != nil || got.Validate() != nil {
			t.Fatalf("knock %d: sequence %s, profile %+v; want window %d's, as Open", i+1, seq, got.Secrets, win)
		}
		if stored, _ := s.Get("rot"); stored.Secrets.Rotation.LastWindow != win {
			t.Fatalf("knock %d recorded window %d, want %d", i+1, stored.Secrets.Rotation.LastWindow, win)
		}
	}
	_, _, err = s.TakeOpenAt("rot", now)
	var spent *WindowsSpentError
	if !errors.As(err, &spent) || !spent.Retry.Equal(params.WindowStart(w+1).Add(time.Second)) {
		t.Fatalf("third knock in one window: %v, want a *WindowsSpentError to retry a second into the next window", err)
	}
	if got, _ := s.Get("rot"); got.Secrets.Rotation.LastWindow != w+1 {
		t.Fatalf("the refused knock recorded window %d", got.Secrets.Rotation.LastWindow)
	}
	st, err := p.Secrets.Rotation.Status(spent.Retry)
	if err != nil || st.Window != w+1 || st.Sequence.String() != want(w+1) || !st.Next.Equal(params.WindowStart(w+2)) {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if _, seq, err := s.TakeOpenAt("rot", spent.Retry); err != nil || seq.String() != want(w+2) {
		t.Fatalf("at the retry time: %s, %v; want window %d", seq, err, w+2)
	}
	// The seed lives in the keyring only.
	if data, _ := os.ReadFile(s.SettingsFile()); strings.Contains(string(data), seed.String()) {
		t.Fatalf("the settings file holds the seed:\n%s", data)
	}
}
