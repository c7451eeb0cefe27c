package app

import (
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"sesame/profiles"
)

// A forward is checked as it is typed, by profiles' own parser with its
// words; a wrong one keeps Save disabled, an empty one is no forward, and
// the rest are saved in order with the jump hosts chosen, through
// profiles.Edit.
func TestFormForwardsAndJumpHosts(t *testing.T) {
	h := newHarness(t, profile(t, "gw", "gw.example.com", "7000", ""), profile(t, "inner", "inner.example.com", "7001", ""),
		profile(t, "db", "db.example.com", "7002", ""))
	h.ui.editProfile(h.ui.profileNamed("db"))
	h.until("the form opens", func() bool { return h.ui.form != nil })
	form := h.ui.form
	s := form.fwd
	if len(s.rows) != 0 || len(s.jump) != 0 {
		t.Fatalf("a profile without forwards shows %d rows, jump %v", len(s.rows), s.jump)
	}
	tests := []struct {
		kind, spec, problem string
	}{
		{"L", "8080:localhost", "-L 8080:localhost: 2 colon-separated part(s) where 3 or 4 are needed"},
		{"L", "8080:localhost:http", `the host's port "http" is not a port 1-65535`},
		{"D", "1:2:3", "too many parts"},
		{"R", "0:localhost:22", `the listening port "0" is not a port`},
		{"L", "8080:localhost:80", ""},
		{"D", "1080", ""},
	}
	test.Tap(s.add)
	r := s.rows[0]
	for _, tt := range tests {
		r.kind.SetSelected(tt.kind)
		r.spec.SetText("")
		test.Type(r.spec, tt.spec)
		_, _, want := r.parse()
		if got := r.hint.Text; tt.problem != "" && (!strings.Contains(got, tt.problem) || want == nil || got != want.Error()) {
			t.Errorf("-%s %s: the row says %q, want profiles' %q", tt.kind, tt.spec, got, tt.problem)
		}
		if tt.problem != "" && !form.save.Disabled() {
			t.Errorf("-%s %s: Save enabled with a wrong forward", tt.kind, tt.spec)
		}
		if tt.problem == "" && (form.save.Disabled() || r.hint.Text != forwardHint) {
			t.Errorf("-%s %s: Save disabled (%v) or hint %q with a right forward", tt.kind, tt.spec, form.errs, r.hint.Text)
		}
	}
	// A second row, right; a third left empty; then the first removed.
	test.Tap(s.add)
	test.Type(s.rows[1].spec, "127.0.0.1:8443:10.0.0.5:443")
	test.Tap(s.add)
	test.Tap(s.add)
	s.rows[3].kind.SetSelected("R")
	test.Type(s.rows[3].spec, "9000:localhost:22")
	test.Tap(s.rows[0].remove)
	if len(s.rows) != 3 {
		t.Fatalf("after a remove, %d rows, want 3", len(s.rows))
	}

	// The jump hosts: the other profiles, in the order chosen; the profile
	// itself is not offered.
	if want := []string{"gw", "inner"}; !reflect.DeepEqual(s.jumpPick.Options, want) {
		t.Errorf("jump hosts offered %v, want %v", s.jumpPick.Options, want)
	}
	s.jumpPick.SetSelected("inner")
	s.jumpPick.SetSelected("gw")
	if want := []string{"inner", "gw"}; !reflect.DeepEqual(s.jump, want) {
		t.Fatalf("jump hosts %v, want %v (the order chosen)", s.jump, want)
	}
	if len(s.jumpPick.Options) != 0 || !s.jumpPick.Disabled() {
		t.Errorf("with every profile chosen, still offered %v", s.jumpPick.Options)
	}
	// Removing the first hop keeps the rest in order; added back, it is last.
	s.removeJump(0)
	s.jumpPick.SetSelected("inner")
	if want := []string{"gw", "inner"}; !reflect.DeepEqual(s.jump, want) {
		t.Fatalf("jump hosts %v, want %v", s.jump, want)
	}
	// A name the profile takes from a hop is its own jump host.
	form.entries[fName].SetText("gw")
	if form.problemWith(fJump) == "" && form.problemWith(fName) == "" {
		t.Errorf("renamed to a hop, no problem shown")
	}
	form.entries[fName].SetText("db")
	if p := form.problemWith(fJump); p != "" {
		t.Errorf("jump hosts problem %q", p)
	}

	h.submit(form)
	if h.overlay() != nil {
		t.Fatalf("the form stayed open: %s", h.texts())
	}
	got, err := h.store.Get("db")
	if err != nil {
		t.Fatal(err)
	}
	want := []profiles.Forward{
		{Kind: profiles.LocalForward, Bind: "127.0.0.1", Port: 8443, Host: "10.0.0.5", HostPort: 443},
		{Kind: profiles.RemoteForward, Port: 9000, Host: "localhost", HostPort: 22},
	}
	if !reflect.DeepEqual(got.Forwards, want) || !reflect.DeepEqual(got.Jump, []string{"gw", "inner"}) {
		t.Errorf("saved forwards %v, jump %v; want %v, [gw inner]", got.Forwards, got.Jump, want)
	}

	// Opened again, the form shows them as saved, and emptied removes them.
	h.ui.editProfile(h.ui.profileNamed("db"))
	h.until("the form opens again", func() bool { return h.ui.form != nil })
	s = h.ui.form.fwd
	if len(s.rows) != 2 || s.rows[0].kind.Selected != "L" || s.rows[0].spec.Text != "127.0.0.1:8443:10.0.0.5:443" ||
		s.rows[1].kind.Selected != "R" || !reflect.DeepEqual(s.jump, []string{"gw", "inner"}) {
		t.Fatalf("the form shows %d rows, jump %v", len(s.rows), s.jump)
	}
	test.Tap(s.rows[1].remove)
	test.Tap(s.rows[0].remove)
	s.removeJump(1)
	s.removeJump(0)
	h.submit(h.ui.form)
	if got, _ = h.store.Get("db"); len(got.Forwards) != 0 || len(got.Jump) != 0 {
		t.Errorf("emptied, still saved forwards %v, jump %v", got.Forwards, got.Jump)
	}
}
