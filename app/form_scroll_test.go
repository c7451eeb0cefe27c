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

	// Over a label: Fyne gives the wheel over a text field to the
	// field's own scroller (not yet handled).
	over := fyne.CurrentApp().Driver().AbsolutePositionForObject(scroll).Add(fyne.NewPos(3, 3))
	test.Scroll(h.ui.win.Canvas(), over, 0, -120)
	if scroll.Offset.Y == 0 {
		t.Error("the wheel did not scroll the form")
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
