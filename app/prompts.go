package app

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/knock"
	"sesame/sshlaunch"
)

// flowUI is what a session's flow asks and tells through sshlaunch.UI: it
// runs on the flow's goroutine, so every call hands its work to the UI
// goroutine, and the prompts wait there for the user's answer.
type flowUI struct{ s *session }

// Progress implements sshlaunch.UI.
func (f *flowUI) Progress(ev sshlaunch.Event) {
	s := f.s
	if ev.Knock != nil {
		// The UI reads the event later, on its own goroutine.
		k := *ev.Knock
		ev.Knock = &k
	}
	s.u.do(func() { s.progressEvent(ev) })
}

func (s *session) progressEvent(ev sshlaunch.Event) {
	switch ev.Stage {
	case sshlaunch.StageClosing:
		msg := "Closing the door…"
		if !s.userClosed && s.term != nil {
			msg = "The session ended. Closing the door…"
		}
		if k := ev.Knock; k != nil && k.Kind == knock.Sent {
			msg = fmt.Sprintf("Closing the door: knock %d of %d sent (%s %d)…", k.Step, k.Total, protoName(k.Knock.Proto), k.Knock.Port)
		}
		s.showClosing(msg)
	case sshlaunch.StageClosed:
		switch {
		case ev.Err != nil:
			s.closeErr = ev.Err
			s.showClosing("The close knock failed: the door may still be open.")
		case ev.SelfClose != "" && s.banner.Visible():
			s.showClosing(upperFirst(ev.SelfClose) + ".")
		case s.banner.Visible():
			s.showClosing("Door closed.")
		}
	case sshlaunch.StageNotice:
		if ev.Err != nil {
			s.notice = ev.Err.Error()
		}
	case sshlaunch.StageSession:
		s.progress.event(ev)
		if s.reconnecting {
			s.reconnecting = false
			s.autoTries = 0
			s.banner.Hide()
		}
		if s.notice != "" {
			s.u.setStatus(fmt.Sprintf("%s: connected, but %s", s.name, s.notice))
			break
		}
		if s.selfClose != "" {
			s.u.setStatus(fmt.Sprintf("%s: connected to %s; %s", s.name, ev.Addr, s.selfClose))
			break
		}
		s.u.setStatus(fmt.Sprintf("%s: connected to %s; closing the tab closes the door", s.name, ev.Addr))
	default:
		s.progress.event(ev)
	}
}

// upperFirst capitalises a sentence.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ask shows a dialog built by build on the UI goroutine and waits for the
// answer it passes to reply, or for ctx to end (the tab was closed), which
// takes the dialog away.
func ask[T any](ctx context.Context, u *UI, build func(reply func(T, error)) dialog.Dialog) (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	var d dialog.Dialog
	u.do(func() {
		d = build(func(v T, err error) {
			select {
			case ch <- answer{v, err}:
			default: // answered already
			}
		})
		d.Show()
	})
	select {
	case a := <-ch:
		return a.v, a.err
	case <-ctx.Done():
		u.do(func() {
			if d != nil {
				d.Hide()
			}
		})
		var zero T
		return zero, ctx.Err()
	}
}

// UnknownHostKey implements sshlaunch.UI: the fingerprint, and three ways
// out — accept once, accept and save, cancel.
func (f *flowUI) UnknownHostKey(ctx context.Context, info sshlaunch.HostKeyInfo) (sshlaunch.HostKeyDecision, error) {
	u := f.s.u
	return ask(ctx, u, func(reply func(sshlaunch.HostKeyDecision, error)) dialog.Dialog {
		intro := widget.NewLabel(fmt.Sprintf("Sesame has not seen %s before, so it cannot tell that this is the server you mean. "+
			"Check the key's fingerprint against the one the server's administrator gave you "+
			"(on the server: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub).", hostOf(info), keyFile(info)))
		intro.Wrapping = fyne.TextWrapWord
		fp := widget.NewLabel(fmt.Sprintf("%s key fingerprint:\n%s", info.Key.Type(), info.Fingerprint))
		fp.TextStyle.Monospace = true
		fp.Selectable = true
		where := widget.NewLabel("Accept and save adds the key to " + info.KnownHosts + ", as ssh does.")
		where.Wrapping = fyne.TextWrapWord
		where.Importance = widget.LowImportance
		d := dialog.NewCustomWithoutButtons("Unknown host key", container.NewVBox(intro, fp, where), u.win)
		cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { reply(sshlaunch.RejectHostKey, sshlaunch.ErrCancelled); d.Hide() })
		once := widget.NewButton("Accept once", func() { reply(sshlaunch.AcceptHostKeyOnce, nil); d.Hide() })
		save := widget.NewButtonWithIcon("Accept and save", theme.ConfirmIcon(), func() { reply(sshlaunch.AcceptAndSaveHostKey, nil); d.Hide() })
		save.Importance = widget.HighImportance
		d.SetButtons([]fyne.CanvasObject{cancel, once, save})
		d.SetOnClosed(func() { reply(sshlaunch.RejectHostKey, sshlaunch.ErrCancelled) })
		d.Resize(fyne.NewSize(560, 0))
		return d
	})
}

// ChangedHostKey implements sshlaunch.UI: the connection is refused, and
// the dialog says why and what to do, with no way to accept the key.
func (f *flowUI) ChangedHostKey(ctx context.Context, info sshlaunch.HostKeyInfo) {
	s := f.s
	s.u.do(func() {
		s.changedKey = true
		s.u.showChangedKey(info)
	})
}

func (u *UI) showChangedKey(info sshlaunch.HostKeyInfo) {
	head := widget.NewLabel("REMOTE HOST IDENTIFICATION HAS CHANGED")
	head.TextStyle.Bold = true
	head.Importance = widget.DangerImportance
	body := widget.NewLabel(fmt.Sprintf("The server at %s sent a different key from the one on record, so Sesame refused to connect "+
		"(the door was knocked shut again). Someone could be intercepting the connection, or the server's key was replaced.", hostOf(info)))
	body.Wrapping = fyne.TextWrapWord
	keys := widget.NewLabel(fmt.Sprintf("Sent: %s %s\nOn record: %s", info.Key.Type(), info.Fingerprint, strings.Join(info.Known, "\n")))
	keys.TextStyle.Monospace = true
	keys.Selectable = true
	keys.Wrapping = fyne.TextWrapBreak
	fix := widget.NewLabel(fmt.Sprintf("Ask the server's administrator whether the key was changed. Only if it was, remove the old key with\n"+
		"    ssh-keygen -R %s\nand connect again to check the new one.", hostOf(info)))
	fix.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Host key changed: connection refused", "Close", container.NewVBox(head, body, keys, fix), u.win)
	d.Resize(fyne.NewSize(600, 0))
	d.Show()
}

// hostOf is the host of a known_hosts name: "[h]:2222" → "[h]:2222" stays
// as ssh-keygen -R wants it, "h" stays h.
func hostOf(info sshlaunch.HostKeyInfo) string {
	if info.Host != "" {
		return info.Host
	}
	return info.Addr.String()
}

// keyFile is the host key file name part for a key type (ed25519, ecdsa,
// rsa).
func keyFile(info sshlaunch.HostKeyInfo) string {
	t := info.Key.Type()
	switch {
	case strings.Contains(t, "ed25519"):
		return "ed25519"
	case strings.Contains(t, "ecdsa"):
		return "ecdsa"
	}
	return "rsa"
}

// secretDialog asks for a password or passphrase, with "Remember in
// keyring".
func (u *UI) secretDialog(title, prompt string, canRemember bool, reply func(sshlaunch.Secret, error)) dialog.Dialog {
	label := widget.NewLabel(prompt)
	label.Wrapping = fyne.TextWrapWord
	entry := u.dialogEntry(true)
	remember := widget.NewCheck("Remember in the keyring", nil)
	content := container.NewVBox(label, entry)
	if canRemember {
		content.Add(remember)
	}
	d := dialog.NewCustomWithoutButtons(title, content, u.win)
	submit := func() {
		reply(sshlaunch.Secret{Value: entry.Text, Remember: canRemember && remember.Checked}, nil)
		d.Hide()
	}
	entry.OnSubmitted = func(string) { submit() }
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { reply(sshlaunch.Secret{}, sshlaunch.ErrCancelled); d.Hide() })
	ok := widget.NewButtonWithIcon("Log in", theme.ConfirmIcon(), submit)
	ok.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	d.SetOnClosed(func() { reply(sshlaunch.Secret{}, sshlaunch.ErrCancelled) })
	d.Resize(fyne.NewSize(420, 0))
	return focusedDialog{Dialog: d, u: u, first: entry}
}

// focusedDialog is a dialog whose first field takes the focus as it is
// shown (the field is on the canvas only then).
type focusedDialog struct {
	dialog.Dialog
	u     *UI
	first fyne.Focusable
}

func (d focusedDialog) Show() { d.u.showFocused(d.Dialog, d.first) }

// showFocused shows d and focuses its field first, in that order on the
// UI goroutine: the focus goes to the dialog shown, not to whichever a
// later turn of the UI loop finds on top.
func (u *UI) showFocused(d interface{ Show() }, first fyne.Focusable) {
	d.Show()
	u.win.Canvas().Focus(first)
}

// Password implements sshlaunch.UI.
func (f *flowUI) Password(ctx context.Context, user, host string) (sshlaunch.Secret, error) {
	u := f.s.u
	return ask(ctx, u, func(reply func(sshlaunch.Secret, error)) dialog.Dialog {
		return u.secretDialog("Password", fmt.Sprintf("Password for %s@%s:", user, host), true, reply)
	})
}

// Passphrase implements sshlaunch.UI.
func (f *flowUI) Passphrase(ctx context.Context, keyFile string) (sshlaunch.Secret, error) {
	u := f.s.u
	return ask(ctx, u, func(reply func(sshlaunch.Secret, error)) dialog.Dialog {
		return u.secretDialog("Key passphrase", fmt.Sprintf("Passphrase for the key %s:", keyFile), true, reply)
	})
}

// KeyboardInteractive implements sshlaunch.UI: the server's questions in
// one form, hidden where the server asks for no echo.
func (f *flowUI) KeyboardInteractive(ctx context.Context, name, instruction string, questions []string, echo []bool) ([]string, error) {
	u := f.s.u
	return ask(ctx, u, func(reply func([]string, error)) dialog.Dialog {
		return u.questionsDialog(name, instruction, questions, echo, reply)
	})
}

// questionsDialog asks a keyboard-interactive login's questions.
func (u *UI) questionsDialog(name, instruction string, questions []string, echo []bool, reply func([]string, error)) dialog.Dialog {
	content := container.NewVBox()
	if instruction != "" {
		l := widget.NewLabel(instruction)
		l.Wrapping = fyne.TextWrapWord
		content.Add(l)
	}
	entries := make([]*escEntry, len(questions))
	for i, q := range questions {
		entries[i] = u.dialogEntry(i >= len(echo) || !echo[i])
		content.Add(widget.NewLabel(q))
		content.Add(entries[i])
	}
	title := name
	if title == "" {
		title = "The server asks"
	}
	d := dialog.NewCustomWithoutButtons(title, content, u.win)
	submit := func() {
		answers := make([]string, len(entries))
		for i, e := range entries {
			answers[i] = e.Text
		}
		reply(answers, nil)
		d.Hide()
	}
	if len(entries) > 0 {
		entries[len(entries)-1].OnSubmitted = func(string) { submit() }
	}
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { reply(nil, sshlaunch.ErrCancelled); d.Hide() })
	ok := widget.NewButtonWithIcon("Send", theme.ConfirmIcon(), submit)
	ok.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	d.SetOnClosed(func() { reply(nil, sshlaunch.ErrCancelled) })
	d.Resize(fyne.NewSize(420, 0))
	if len(entries) == 0 {
		return d
	}
	return focusedDialog{Dialog: d, u: u, first: entries[0]}
}
