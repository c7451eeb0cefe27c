package app

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"fyne.io/fyne/v2/test"

	"sesame/sshlaunch"
)

// The network failures are told apart, each with one piece of advice
// that the error's own text does not repeat, and an Edit profile button.
func TestExplainNetworkFailures(t *testing.T) {
	tests := []struct {
		err         error
		title, hint string
	}{
		{&sshlaunch.UnreachableError{Addr: fakeAddr, Err: syscall.ECONNREFUSED}, "Host unreachable", "SSH port"},
		{&sshlaunch.UnreachableError{Addr: fakeAddr, Knock: true, Err: syscall.ENETUNREACH}, "Host unreachable", "network reaches it"},
		{&sshlaunch.DoorError{Addr: fakeAddr, Err: errors.New("i/o timeout")}, "The door did not open", "knock sequence"},
		{&sshlaunch.AuthError{User: "root", Host: "h", Tried: "publickey", Err: errors.New("ssh: unable to authenticate")}, "Login failed", "user name"},
	}
	for _, tt := range tests {
		ex := explain(tt.err)
		if !strings.Contains(ex.Title, tt.title) || !strings.Contains(ex.Hint, tt.hint) || !ex.EditProfile {
			t.Errorf("explain(%v) = %+v; want %q, a hint with %q and Edit profile", tt.err, ex, tt.title, tt.hint)
		}
		if strings.Contains(ex.Detail, ex.Hint) || strings.Contains(ex.Detail, "Check ") {
			t.Errorf("explain(%v): the advice is said twice:\n%s\n%s", tt.err, ex.Detail, ex.Hint)
		}
	}
}

func TestFailureOffersEditProfile(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.launcher.connectErr = &sshlaunch.UnreachableError{Addr: fakeAddr, Err: syscall.ECONNREFUSED}
	h.ui.connect("web")
	h.dialogShows("Host unreachable")
	h.tap("Edit profile")
	h.until("the form", func() bool { return h.ui.form != nil })
	if got := h.ui.form.entries[fName].Text; got != "web" {
		t.Fatalf("the form edits %q, want web", got)
	}
	test.Tap(h.button("Cancel"))
	h.until("the form to close", func() bool { return h.ui.form == nil })
	// The failed tab offers it too.
	s := h.session("web")
	test.Tap(h.buttonIn(s.failure, "Edit profile"))
	h.until("the form again", func() bool { return h.ui.form != nil })
}
