package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"sesame/knock"
	"sesame/profiles"
	"sesame/sshlaunch"
)

func TestExplain(t *testing.T) {
	key := testKey(t)
	tests := []struct {
		err         error
		title, hint string
	}{
		{&sshlaunch.DoorError{Addr: fakeAddr, Err: errors.New("refused")}, "The door did not open", "knock sequence"},
		{&sshlaunch.CloseError{Err: errors.New("unreachable")}, "the door may still be open", "Knock close again"},
		{&sshlaunch.HostKeyUnknownError{Info: sshlaunch.HostKeyInfo{Host: "h", Key: key, Fingerprint: "SHA256:x"}}, "Host key not accepted", "Nothing was saved"},
		{&sshlaunch.ConnectionLostError{Reason: "gone"}, "Connection lost", "close knock was sent"},
		{fmt.Errorf("resolve: %w", &knock.ResolveError{Host: "nowhere", Err: errors.New("no such host")}), "Cannot find the host", "host name"},
		{&profiles.SecretsMissingError{Name: "web"}, "missing from the keyring", "enter its knock sequences (or its SPA keys) again"},
		{&profiles.WindowsSpentError{Name: "rot", Retry: time.Date(2026, 1, 1, 12, 0, 30, 0, time.Local)}, "No rotating sequence", "after 12:00:30"},
		{&sshlaunch.AuthError{User: "root", Host: "h", Tried: "password", Err: errors.New("ssh: unable to authenticate")}, "Login failed", "identity file"},
		{&sshlaunch.OpenKnockError{Err: errors.New("socket: too many open files")}, "The knock could not be sent", "network"},
		{&profiles.KeyringError{Problem: profiles.KeyringNoService, Op: "read", Err: errors.New("no secret service")}, "The keyring is not available", "unlock it"},
		{context.Canceled, "Cancelled", "shut again"},
		{&sshlaunch.MaybeOpenedError{Err: context.Canceled}, "cut short", "close knock was sent"},
		{errors.New("something else"), "The connection failed", ""},
	}
	for _, tt := range tests {
		ex := explain(tt.err)
		if !strings.Contains(ex.Title, tt.title) || !strings.Contains(ex.Hint, tt.hint) || ex.Detail != tt.err.Error() {
			t.Errorf("explain(%v) = %+v; want a title with %q and a hint with %q", tt.err, ex, tt.title, tt.hint)
		}
	}
}
