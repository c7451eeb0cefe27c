package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

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

// CreateRenderer lays a wheel catcher over the field. Fyne hands the wheel
// to the innermost scroller under the pointer, which over a text field is
// the field's own, so the form stopped scrolling wherever the pointer
// crossed a field. The catcher passes only the wheel on: taps, drags and
// the pointer's shape still reach the field beneath it.
func (e *formEntry) CreateRenderer() fyne.WidgetRenderer {
	field := e.Entry.CreateRenderer()
	c := &wheelCatcher{e: e, field: field}
	c.ExtendBaseWidget(c)
	return &wheelRenderer{WidgetRenderer: field, catch: c}
}

type wheelRenderer struct {
	fyne.WidgetRenderer
	catch *wheelCatcher
	objs  []fyne.CanvasObject
}

func (r *wheelRenderer) Layout(s fyne.Size) {
	r.WidgetRenderer.Layout(s)
	r.catch.Move(fyne.NewPos(0, 0))
	r.catch.Resize(s)
}

// Objects are the field's, then the catcher on top. The field swaps its
// objects as its wrapping changes, so they are read every time.
func (r *wheelRenderer) Objects() []fyne.CanvasObject {
	r.objs = append(append(r.objs[:0], r.WidgetRenderer.Objects()...), r.catch)
	return r.objs
}

// wheelCatcher scrolls the form with a vertical wheel. A sideways wheel,
// and any wheel over a multi-line field, stay the field's.
type wheelCatcher struct {
	widget.BaseWidget
	e     *formEntry
	field fyne.WidgetRenderer // the field's own renderer
}

func (c *wheelCatcher) Scrolled(ev *fyne.ScrollEvent) {
	if c.e.MultiLine || ev.Scrolled.DX != 0 || c.e.f.scroll == nil {
		if own := c.own(); own != nil {
			own.Scrolled(ev)
			return
		}
	}
	if c.e.f.scroll != nil {
		c.e.f.scroll.Scrolled(ev)
	}
}

// own is the field's own scroller, if it has one: one of its objects.
func (c *wheelCatcher) own() fyne.Scrollable {
	for _, o := range c.field.Objects() {
		if s, ok := o.(fyne.Scrollable); ok {
			return s
		}
	}
	return nil
}

func (c *wheelCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}
