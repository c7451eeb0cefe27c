package app

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
)

// Esc closes a dialog as its Cancel or Close button does (the Delete
// question deletes nothing), and Enter meant for the list does not
// connect from behind a dialog.
func TestEscClosesDialogs(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	key := h.ui.win.Canvas().OnTypedKey()
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}

	h.ui.showError("Something failed", errors.New("because"), "Try again.")
	if h.overlay() == nil {
		t.Fatal("no error dialog")
	}
	key(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if len(h.ui.sessions) != 0 {
		t.Error("Enter behind a dialog connected")
	}
	key(esc)
	if h.overlay() != nil {
		t.Errorf("Esc left the error dialog open:\n%s", h.texts())
	}

	h.ui.list.selectName("web")
	h.tap("Delete")
	h.dialogShows("Delete web?")
	key(esc)
	h.settle()
	if h.overlay() != nil {
		t.Errorf("Esc left the Delete question open:\n%s", h.texts())
	}
	if _, err := h.store.Get("web"); err != nil {
		t.Errorf("Esc on the Delete question deleted the profile: %v", err)
	}
	key(esc) // nothing open: nothing happens
}

// Esc in a field of the profile form cancels the form, as Cancel does:
// nothing is saved.
func TestEscInFormFieldCancels(t *testing.T) {
	h := newHarness(t)
	h.ui.newProfile()
	fe, ok := h.ui.win.Canvas().Focused().(*formEntry)
	if !ok {
		t.Fatalf("the form opens with the focus on %T, not on its Name field", h.ui.win.Canvas().Focused())
	}
	h.typeInto(0, "web")
	fe.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.settle()
	if h.overlay() != nil || h.ui.form != nil {
		t.Errorf("Esc left the form open:\n%s", h.texts())
	}
	if ps, _ := h.store.List(); len(ps) != 0 {
		t.Errorf("Esc saved %d profiles", len(ps))
	}
}
