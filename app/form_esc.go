package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// formEntry is a text field of the profile form that gives Esc to the
// form: Fyne keeps every key for the focused field, so a plain entry would
// swallow it and the form would not close.
type formEntry struct {
	widget.Entry
	f *profileForm
}

func newFormEntry(f *profileForm) *formEntry {
	e := &formEntry{f: f}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey is Esc as the form's Cancel (unless Cancel is disabled while a
// save runs); every other key is the field's.
func (e *formEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		e.f.escape()
		return
	}
	e.Entry.TypedKey(ev)
}

// escape is Esc in one of the form's widgets: its Cancel.
func (f *profileForm) escape() {
	if c := f.cancel; c != nil && !c.Disabled() && c.OnTapped != nil {
		c.OnTapped()
	}
}
