package sshlaunch

import (
	"context"
	"slices"
	"testing"
)

func TestPrintable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Password: ", "Password: "},
		{"line one\n\tline two", "line one\n\tline two"},
		{"Ünïcödé 認証", "Ünïcödé 認証"},
		{"\x1b]0;pwned\x07Password: ", "?]0;pwned?Password: "},
		{"\x1b[2J\x1b[HOTP: ", "?[2J?[HOTP: "},
		{"over\rwrite", "over?write"},
		{"c1 \u009b31m", "c1 ?31m"},
		{"bad \xff byte", "bad ? byte"},
		{"del \x7f", "del ?"},
	} {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// recordingUI records the keyboard-interactive text it is shown.
type recordingUI struct {
	UI
	shown []string
}

func (u *recordingUI) KeyboardInteractive(_ context.Context, name, instruction string, questions []string, _ []bool) ([]string, error) {
	u.shown = append(append(u.shown, name, instruction), questions...)
	return make([]string, len(questions)), nil
}

// The server's name, instruction and questions reach either face (CLI or
// app) only after printable: a server cannot send a terminal escape to the
// user's terminal through a login prompt.
func TestKeyboardInteractiveTextIsMadePrintable(t *testing.T) {
	ui := &recordingUI{}
	a := newAuthenticator(context.Background(), &Config{UI: ui}, Target{User: "u", Host: "h"})
	if _, err := a.keyboardInteractive("\x1b]0;title\x07", "Enter\x1b[8m the code", []string{"Code\x1b[2K: "}, []bool{false}); err != nil {
		t.Fatal(err)
	}
	want := []string{"?]0;title?", "Enter?[8m the code", "Code?[2K: "}
	if !slices.Equal(ui.shown, want) {
		t.Fatalf("the UI was shown %q, want %q", ui.shown, want)
	}
}
