package app

import (
	"reflect"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// dismissLabels are the buttons that close a dialog without doing
// anything: every dialog of the app has one of them.
var dismissLabels = map[string]bool{"Cancel": true, "Close": true, "Later": true, "Skip": true}

// escape closes the topmost dialog as its Cancel (or Close, Later, Skip)
// button would, so its callback runs as for a click. Fyne gives Esc to the
// window only while no field has the focus: a dialog whose field has it
// (the profile form, a password) still takes a click on Cancel.
func (u *UI) escape() bool {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return false
	}
	b := dismissButton(top)
	if b == nil || b.OnTapped == nil {
		return false
	}
	b.OnTapped()
	return true
}

// dismissButton finds a shown, enabled dismiss button in the containers
// under o (a dialog's pop-up and its rows).
func dismissButton(o fyne.CanvasObject) *widget.Button {
	switch w := o.(type) {
	case *widget.PopUp:
		return dismissButton(w.Content)
	case *fyne.Container:
		for _, c := range w.Objects {
			if c.Visible() {
				if b := dismissButton(c); b != nil {
					return b
				}
			}
		}
	case *widget.Button:
		if dismissLabels[w.Text] && !w.Disabled() {
			return w
		}
	default:
		// The canvas holds a pop-up in an overlay container of Fyne's
		// internals, whose Content (exported) is the pop-up.
		v := reflect.ValueOf(o)
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			if f := v.Elem().FieldByName("Content"); f.IsValid() && f.CanInterface() {
				if c, ok := f.Interface().(fyne.CanvasObject); ok && c != nil {
					return dismissButton(c)
				}
			}
		}
	}
	return nil
}
