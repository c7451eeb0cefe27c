package app

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sesame/knock"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// explanation is a failure told to a person: what failed, the error, and
// what to try.
type explanation struct {
	Title, Detail, Hint string
	// EditProfile offers the profile's form: the fix is likely there.
	EditProfile bool
}

// explain turns the flow's error into an explanation. The errors never
// quote a secret, so Detail can be the error itself.
func explain(err error) explanation {
	// The flow's own errors carry their one piece of advice.
	ex := explanation{Title: "The connection failed", Detail: err.Error(), Hint: sshlaunch.Advice(err)}
	var (
		unreach   *sshlaunch.UnreachableError
		auth      *sshlaunch.AuthError
		door      *sshlaunch.DoorError
		changed   *sshlaunch.HostKeyChangedError
		unknown   *sshlaunch.HostKeyUnknownError
		lost      *sshlaunch.ConnectionLostError
		closeE    *sshlaunch.CloseError
		resolve   *knock.ResolveError
		spent     *profiles.WindowsSpentError
		openKnock *sshlaunch.OpenKnockError
		keyring   *profiles.KeyringError
		maybe     *sshlaunch.MaybeOpenedError
	)
	switch {
	case errors.As(err, &closeE):
		ex.Title = "The close knock failed: the door may still be open"
		ex.Hint = "Knock close again (the profile's Knock close button or the tray menu) once the network is back. " +
			"Until then the server may accept connections from this address."
	case errors.As(err, &unreach):
		ex.Title = "Host unreachable"
		ex.EditProfile = true
	case errors.As(err, &door):
		ex.Title = "The door did not open"
		ex.EditProfile = true
	case errors.As(err, &auth):
		ex.Title = "Login failed"
		ex.EditProfile = true
	case errors.As(err, &changed):
		ex.Title = "Host key changed: connection refused"
		ex.Hint = "Ask the server's administrator whether the key was replaced; only then remove the old key with ssh-keygen -R and connect again."
	case errors.As(err, &unknown):
		ex.Title = "Host key not accepted"
		ex.Hint = "Nothing was saved. Connect again and compare the fingerprint with the server's."
	case errors.As(err, &lost):
		ex.Title = "Connection lost"
		ex.Hint = "The server or the network stopped answering. The close knock was sent; connect again when the server is reachable."
	case errors.As(err, &resolve):
		ex.Title = "Cannot find the host"
		ex.Hint = "Check the host name in the profile, and the address family (IPv4 or IPv6 only) if one is set."
		ex.EditProfile = true
	case errors.As(err, &spent):
		ex.Title = "No rotating sequence to knock with yet"
		ex.Hint = fmt.Sprintf("sesamed takes each window's sequence once, and this device used the current and the next one. Connect again after %s.",
			spent.Retry.Local().Format("15:04:05"))
	case errors.Is(err, profiles.ErrSecretsMissing):
		ex.Title = "The profile's knock sequences are missing from the keyring"
		ex.Hint = "Edit the profile and enter its knock sequences (or its SPA keys) again."
	case errors.Is(err, profiles.ErrNotFound):
		ex.Title = "The profile is gone"
		ex.Hint = "It was deleted or renamed, perhaps by sesame profile on the command line."
	case errors.As(err, &maybe):
		ex.Title = "The knock was cut short"
		ex.Hint = "It may have opened the door, so the close knock was sent. Connect again to open it."
	case errors.Is(err, sshlaunch.ErrCancelled), errors.Is(err, context.Canceled):
		ex.Title = "Cancelled"
		ex.Hint = "The door was knocked shut again."
	case errors.As(err, &openKnock):
		ex.Title = "The knock could not be sent"
		ex.Hint = openKnock.Advice()
	case errors.As(err, &keyring):
		ex.Title = "The keyring is not available"
		ex.Hint = "Sesame keeps knock sequences in the system keyring: unlock it, or start one (GNOME Keyring, KWallet)."
	}
	return ex
}

// showExplained shows a failure in a dialog.
func (u *UI) showExplained(ex explanation) {
	detail := widget.NewLabel(ex.Detail)
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	content := container.NewVBox(detail)
	if ex.Hint != "" {
		hint := widget.NewLabel(ex.Hint)
		hint.Wrapping = fyne.TextWrapWord
		hint.TextStyle.Bold = true
		content.Add(hint)
	}
	d := dialog.NewCustom(ex.Title, "Close", content, u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// showExplainedFor shows a failure of the named profile's flow in a
// dialog, with an Edit profile button when the fix is likely in the
// profile.
func (u *UI) showExplainedFor(ex explanation, name string) {
	if !ex.EditProfile {
		u.showExplained(ex)
		return
	}
	detail := widget.NewLabel(ex.Detail)
	detail.Wrapping = fyne.TextWrapWord
	detail.Selectable = true
	hint := widget.NewLabel(ex.Hint)
	hint.Wrapping = fyne.TextWrapWord
	hint.TextStyle.Bold = true
	d := dialog.NewCustomConfirm(ex.Title, "Edit profile", "Close", container.NewVBox(detail, hint), func(edit bool) {
		if edit {
			u.editByName(name)
		}
	}, u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
}

// editByName opens the form of the named profile, if it still exists.
func (u *UI) editByName(name string) {
	for _, p := range u.all {
		if p.Name == name {
			u.editProfile(p)
			return
		}
	}
}

// showError shows err with a title and a hint.
func (u *UI) showError(title string, err error, hint string) {
	u.showExplained(explanation{Title: title, Detail: err.Error(), Hint: hint})
}

// doorMayBeOpen warns that a close knock failed, with a button to knock
// close again.
func (u *UI) doorMayBeOpen(name string, err error) {
	ex := explain(&sshlaunch.CloseError{Err: err})
	detail := widget.NewLabel(fmt.Sprintf("%s: the close knock could not be sent: %v", name, err))
	detail.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(ex.Hint)
	hint.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(ex.Title, "Knock close again", "Later", container.NewVBox(detail, hint), func(again bool) {
		if again {
			for _, p := range u.all {
				if p.Name == name {
					u.knock(p, true)
				}
			}
		}
	}, u.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
	u.setStatus(fmt.Sprintf("%s: the close knock failed — the door may still be open", name))
}

// showClosingAll is shown while quitting waits for the sessions' close
// knocks.
func (u *UI) showClosingAll(n int) interface{ Hide() } {
	msg := "Closing the door…"
	if n > 1 {
		msg = fmt.Sprintf("Closing the doors of %d sessions…", n)
	}
	content := container.NewVBox(widget.NewLabel(msg+"\nSesame quits once the close knocks have gone out."), widget.NewProgressBarInfinite())
	d := dialog.NewCustomWithoutButtons("Quitting", content, u.win)
	d.Show()
	return d
}
