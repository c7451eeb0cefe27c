package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// formScroll is the open profile form's scroller and its text fields.
func formScroll(t *testing.T, h *harness) (*container.Scroll, []*formEntry) {
	t.Helper()
	var scroll *container.Scroll
	var fields []*formEntry
	for _, o := range test.LaidOutObjects(h.overlay()) {
		switch w := o.(type) {
		case *container.Scroll:
			if scroll == nil {
				scroll = w
			}
		case *formEntry:
			fields = append(fields, w)
		}
	}
	if scroll == nil || len(fields) < 2 {
		t.Fatalf("the form has no scroller or fewer than two fields:\n%s", h.texts())
	}
	return scroll, fields
}

// A field the focus moves to (Tab) scrolls into view, in a window too
// short for the whole form; the wheel scrolls the form.
func TestFormScrolls(t *testing.T) {
	h := newHarness(t)
	h.ui.win.Resize(fyne.NewSize(800, 420))
	h.ui.newProfile()
	scroll, fields := formScroll(t, h)
	if scroll.Content.MinSize().Height <= scroll.Size().Height {
		t.Fatalf("the form fits its %v scroller (%v): nothing to scroll", scroll.Size(), scroll.Content.MinSize())
	}

	// Over a label, then over a text field (whose own scroller Fyne
	// hands the wheel to first).
	d := fyne.CurrentApp().Driver()
	for _, over := range []struct {
		what string
		at   fyne.Position
	}{
		{"a label", d.AbsolutePositionForObject(scroll).Add(fyne.NewPos(3, 3))},
		{"a text field", d.AbsolutePositionForObject(fields[0]).Add(fyne.NewPos(fields[0].Size().Width/2, fields[0].Size().Height/2))},
	} {
		scroll.ScrollToTop()
		test.Scroll(h.ui.win.Canvas(), over.at, 0, -120)
		if scroll.Offset.Y == 0 {
			t.Errorf("the wheel over %s did not scroll the form", over.what)
		}
	}
	// A sideways wheel over a field stays the field's.
	scroll.ScrollToTop()
	at := d.AbsolutePositionForObject(fields[0]).Add(fyne.NewPos(5, 5))
	test.Scroll(h.ui.win.Canvas(), at, -120, 0)
	if scroll.Offset.Y != 0 {
		t.Error("a sideways wheel over a field scrolled the form")
	}

	// A tap on a field still reaches it through the wheel catcher.
	test.TapCanvas(h.ui.win.Canvas(), at)
	if h.ui.win.Canvas().Focused() != fields[0] {
		t.Errorf("a tap on the first field focused %T", h.ui.win.Canvas().Focused())
	}

	scroll.ScrollToTop()
	last := fields[len(fields)-1]
	h.ui.win.Canvas().Focus(last)
	top := fyne.CurrentApp().Driver().AbsolutePositionForObject(last).Y - fyne.CurrentApp().Driver().AbsolutePositionForObject(scroll).Y
	if top < 0 || top+last.Size().Height > scroll.Size().Height {
		t.Errorf("the focused last field is at %.0f..%.0f in a %.0f-high form: out of view",
			top, top+last.Size().Height, scroll.Size().Height)
	}
}
