package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/crypto/ssh"

	"sesame/profiles"
	"sesame/sshlaunch"
)

// prompting runs a flow that asks one question and hands the answer to the
// test.
func prompting[T any](h *harness, ask func(ctx context.Context, req ConnectRequest) (T, error)) (answers chan T, errs chan error) {
	answers, errs = make(chan T, 1), make(chan error, 1)
	h.launcher.script = func(ctx context.Context, req ConnectRequest, _ func(context.Context, Shell) error) error {
		v, err := ask(ctx, req)
		answers <- v
		errs <- err
		return err
	}
	h.ui.connect("web")
	return answers, errs
}

func testKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// An unknown host key: the fingerprint, and three ways out.
func TestUnknownHostKeyDialog(t *testing.T) {
	tests := []struct {
		button string
		want   sshlaunch.HostKeyDecision
		err    error
	}{
		{"Accept once", sshlaunch.AcceptHostKeyOnce, nil},
		{"Accept and save", sshlaunch.AcceptAndSaveHostKey, nil},
		{"Cancel", sshlaunch.RejectHostKey, sshlaunch.ErrCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.button, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
			key := testKey(t)
			info := sshlaunch.HostKeyInfo{Host: "web.example.com", Addr: fakeAddr, Key: key,
				Fingerprint: ssh.FingerprintSHA256(key), KnownHosts: "/home/me/.ssh/known_hosts"}
			answers, errs := prompting(h, func(ctx context.Context, req ConnectRequest) (sshlaunch.HostKeyDecision, error) {
				return req.UI.UnknownHostKey(ctx, info)
			})
			h.dialogShows(info.Fingerprint)
			shown := h.texts()
			for _, want := range []string{"web.example.com", "ssh-ed25519", "/home/me/.ssh/known_hosts", "[Cancel]", "[Accept once]", "[Accept and save]"} {
				if !strings.Contains(shown, want) {
					t.Errorf("dialog lacks %q:\n%s", want, shown)
				}
			}
			h.tap(tt.button)
			h.until("the answer", func() bool { return len(answers) == 1 })
			if got, err := <-answers, <-errs; got != tt.want || err != tt.err {
				t.Errorf("%s answered %v, %v; want %v, %v", tt.button, got, err, tt.want, tt.err)
			}
			if h.overlay() != nil {
				t.Errorf("the dialog stayed: %s", h.texts())
			}
		})
	}
}

// A changed host key is refused and explained; there is nothing to accept.
func TestChangedHostKeyDialog(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	key := testKey(t)
	info := sshlaunch.HostKeyInfo{Host: "web.example.com", Addr: fakeAddr, Key: key, Fingerprint: ssh.FingerprintSHA256(key),
		Known: []string{"/home/me/.ssh/known_hosts:3 (ssh-ed25519 SHA256:old)"}}
	h.launcher.script = func(ctx context.Context, req ConnectRequest, _ func(context.Context, Shell) error) error {
		req.UI.ChangedHostKey(ctx, info)
		return &sshlaunch.HostKeyChangedError{Info: info}
	}
	h.ui.connect("web")
	h.dialogShows("REMOTE HOST IDENTIFICATION HAS CHANGED")
	h.until("the flow's end", func() bool { return h.session("web").ended })
	shown := h.texts()
	for _, want := range []string{info.Fingerprint, "known_hosts:3", "ssh-keygen -R web.example.com", "refused"} {
		if !strings.Contains(shown, want) {
			t.Errorf("dialog lacks %q:\n%s", want, shown)
		}
	}
	for _, obj := range test.LaidOutObjects(h.overlay()) {
		if b, ok := obj.(*widget.Button); ok && b.Text != "Close" {
			t.Errorf("the changed-key dialog has a button %q", b.Text)
		}
	}
	h.tap("Close")
	if h.overlay() != nil {
		t.Errorf("a second dialog about the same key: %s", h.texts())
	}
}

// A password typed with "Remember" reaches the flow with Remember set, and
// the flow's keeper is the store, which keeps it in the keyring.
func TestPasswordRemembered(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	answers, _ := prompting(h, func(ctx context.Context, req ConnectRequest) (sshlaunch.Secret, error) {
		sec, err := req.UI.Password(ctx, "root", "web.example.com")
		if err == nil && sec.Remember {
			// What sshlaunch does once the password worked.
			err = req.Keeper.UpdateSecrets(req.Profile.Name, func(s *profiles.Secrets) { s.Password = sec.Value })
		}
		return sec, err
	})
	h.dialogShows("Password for root@web.example.com")
	var entry *widget.Entry
	var remember *widget.Check
	for _, obj := range test.LaidOutObjects(h.overlay()) {
		switch w := obj.(type) {
		case *escEntry:
			entry = &w.Entry
		case *widget.Check:
			remember = w
		}
	}
	if entry == nil || !entry.Password || remember == nil {
		t.Fatalf("the dialog has no hidden entry or no Remember: %s", h.texts())
	}
	test.Type(entry, "s3cret")
	test.Tap(remember)
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter logs in
	h.until("the answer", func() bool { return len(answers) == 1 })
	if sec := <-answers; sec.Value != "s3cret" || !sec.Remember {
		t.Errorf("answer %+v", sec)
	}
	p, err := h.store.Get("web")
	if err != nil || p.Secrets.Password != "s3cret" {
		t.Errorf("the store has password %q (%v)", p.Secrets.Password, err)
	}
}

func TestPassphraseAndKeyboardInteractive(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	answers, _ := prompting(h, func(ctx context.Context, req ConnectRequest) ([]string, error) {
		sec, err := req.UI.Passphrase(ctx, "/home/me/.ssh/id_ed25519")
		if err != nil {
			return nil, err
		}
		got, err := req.UI.KeyboardInteractive(ctx, "", "Two steps", []string{"Code:", "PIN:"}, []bool{true, false})
		return append([]string{sec.Value}, got...), err
	})
	h.dialogShows("Passphrase for the key /home/me/.ssh/id_ed25519")
	h.typeInto(0, "pass phrase")
	h.tap("Log in")
	h.dialogShows("Two steps")
	if e := h.entries(); len(e) != 2 || e[0].Password || !e[1].Password {
		t.Fatalf("keyboard-interactive entries: %d, want the code shown and the PIN hidden", len(e))
	}
	h.typeInto(0, "123456")
	h.typeInto(1, "0000")
	h.tap("Send")
	h.until("the answers", func() bool { return len(answers) == 1 })
	if got := strings.Join(<-answers, "|"); got != "pass phrase|123456|0000" {
		t.Errorf("answers %q", got)
	}
}

// Closing the tab while a prompt waits takes the prompt away and ends the
// flow.
func TestPromptEndsWithTab(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
	_, errs := prompting(h, func(ctx context.Context, req ConnectRequest) (sshlaunch.Secret, error) {
		return req.UI.Password(ctx, "root", "web.example.com")
	})
	h.dialogShows("Password for")
	h.session("web").disconnect()
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if err := <-errs; err != context.Canceled {
		t.Errorf("the prompt returned %v, want context.Canceled", err)
	}
	if h.overlay() != nil {
		t.Errorf("the prompt stayed: %s", h.texts())
	}
}

func (h *harness) entries() []*widget.Entry {
	var out []*widget.Entry
	for _, obj := range test.LaidOutObjects(h.overlay()) {
		switch e := obj.(type) {
		case *widget.Entry:
			out = append(out, e)
		case *formEntry: // the profile form's fields
			out = append(out, &e.Entry)
		case *escEntry: // the other dialogs' fields
			out = append(out, &e.Entry)
		}
	}
	return out
}

func (h *harness) typeInto(i int, text string) {
	h.t.Helper()
	e := h.entries()
	if i >= len(e) {
		h.t.Fatalf("no entry %d in the dialog: %s", i, h.texts())
	}
	test.Type(e[i], text)
}

// A dialog with fields has its first field focused as it is shown, in
// the same turn of the UI loop: nothing queued has to run first, so no
// later dialog or scheduling decides where the keys go.
func TestDialogsFocusTheirFirstField(t *testing.T) {
	tests := []struct {
		name string
		show func(u *UI)
	}{
		{"profile form", func(u *UI) { u.newProfile() }},
		{"password", func(u *UI) {
			u.secretDialog("Password", "Password for root@web:", true, func(sshlaunch.Secret, error) {}).Show()
		}},
		{"keyboard-interactive", func(u *UI) {
			u.questionsDialog("", "Two steps", []string{"Code:", "PIN:"}, []bool{true, false}, func([]string, error) {}).Show()
		}},
		{"import's host", func(u *UI) { u.askHost("knockd.conf", func(string) {}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""))
			tt.show(h.ui) // on the test's goroutine, which runs the UI's work
			e := h.entries()
			if len(e) == 0 {
				t.Fatalf("no field shown: %s", h.texts())
			}
			got := h.ui.win.Canvas().Focused()
			switch fe := got.(type) {
			case *formEntry:
				got = &fe.Entry
			case *escEntry:
				got = &fe.Entry
			}
			if got != e[0] {
				t.Fatalf("the focus is on %T %v, not on the dialog's first field", got, got)
			}
		})
	}
}
