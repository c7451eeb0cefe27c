package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// escEntry is a text field of a dialog that gives Esc to the dialog: Fyne
// keeps every key for the focused field, so a plain entry would swallow
// Esc and the dialog would stay open. Every other key is the field's.
type escEntry struct {
	widget.Entry
	onEsc func()
}

// dialogEntry is a text field for a dialog on u's window: Esc in it closes
// the topmost dialog as its Cancel button does. password hides the text
// (with the eye that shows it, as widget.NewPasswordEntry has).
func (u *UI) dialogEntry(password bool) *escEntry {
	e := &escEntry{onEsc: func() { u.escape() }}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.Password = password
	e.ExtendBaseWidget(e)
	return e
}

func (e *escEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(ev)
}
