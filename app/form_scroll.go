package app

import "fyne.io/fyne/v2"

// The form's scroller does not follow the focus by itself: Tab could move
// it to a field below the dialog's edge, where the typing goes unseen.

// FocusGained scrolls the form to show the field as it gets the focus.
func (e *formEntry) FocusGained() {
	e.Entry.FocusGained()
	e.f.scrollTo(e)
}

// scrollTo scrolls the form just enough to show o whole.
func (f *profileForm) scrollTo(o fyne.CanvasObject) {
	s := f.scroll
	if s == nil || s.Content == nil {
		return
	}
	d := f.u.app.Driver()
	top := d.AbsolutePositionForObject(o).Y - d.AbsolutePositionForObject(s.Content).Y
	bottom := top + o.Size().Height
	switch {
	case top < s.Offset.Y:
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, top))
	case bottom > s.Offset.Y+s.Size().Height:
		s.ScrollToOffset(fyne.NewPos(s.Offset.X, bottom-s.Size().Height))
	}
}
