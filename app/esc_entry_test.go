package app

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"

	"sesame/sshlaunch"
)

// Esc typed into the focused text field of a dialog closes the dialog as
// its Cancel button does: Fyne gives the key to the field, not to the
// window, so the field must pass it on.
func TestEscInDialogFieldCancels(t *testing.T) {
	for _, tc := range []struct {
		name string
		// show opens the dialog; cancelled reports whether its Cancel ran.
		show func(u *UI) (cancelled func() bool)
	}{
		{"password", func(u *UI) func() bool {
			var err error
			u.secretDialog("Password", "Password for root@lab:", true, func(_ sshlaunch.Secret, e error) { err = e }).Show()
			return func() bool { return errors.Is(err, sshlaunch.ErrCancelled) }
		}},
		{"keyboard-interactive", func(u *UI) func() bool {
			var err error
			u.questionsDialog("", "", []string{"Code:", "Password:"}, []bool{true, false}, func(_ []string, e error) { err = e }).Show()
			return func() bool { return errors.Is(err, sshlaunch.ErrCancelled) }
		}},
		{"import host", func(u *UI) func() bool {
			next := false
			u.askHost("knockd.conf", func(string) { next = true })
			return func() bool { return !next }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cancelled := tc.show(h.ui)
			field := h.ui.win.Canvas().Focused()
			if field == nil {
				t.Fatal("the dialog opened with no field focused")
			}
			field.TypedRune('x')
			field.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
			h.settle()
			if h.overlay() != nil {
				t.Errorf("Esc in the focused %T left the dialog open:\n%s", field, h.texts())
			}
			if !cancelled() {
				t.Error("Esc did not cancel the dialog")
			}
		})
	}
}
