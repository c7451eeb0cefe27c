package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"sesame/sshlaunch"
)

// TestPromptWithoutTerminal: a prompt that cannot be shown counts as
// cancelled, but its message says why and what to do, never "cancelled by
// the user" (nobody was asked).
func TestPromptWithoutTerminal(t *testing.T) {
	u := newTermUI(IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, "web", false, false, true)
	ctx := context.Background()
	_, perr := u.Password(ctx, "root", "192.0.2.1")
	_, kerr := u.Passphrase(ctx, "/home/me/.ssh/id_ed25519")
	_, qerr := u.KeyboardInteractive(ctx, "", "", []string{"Code: "}, []bool{false})
	for _, tt := range []struct {
		err  error
		want string
	}{
		{perr, "sesame profile edit web --password-stdin"},
		{kerr, "protected by a passphrase and there is no terminal"},
		{qerr, "no terminal to ask on"},
	} {
		if !errors.Is(tt.err, sshlaunch.ErrCancelled) || !strings.Contains(tt.err.Error(), tt.want) || strings.Contains(tt.err.Error(), "cancelled by the user") {
			t.Errorf("%v: want an ErrCancelled that says %q, not \"cancelled by the user\"", tt.err, tt.want)
		}
	}
}
