package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// ringShown reports whether the choice row shows its focus ring on item i.
func ringShown(c *choiceRow, i int) bool {
	return test.WidgetRenderer(c.items[i]).(*choiceItemRenderer).ring.Visible()
}

// isField reports whether o is the form's text field e.
func isField(o fyne.Focusable, e *widget.Entry) bool {
	fe, ok := o.(*formEntry)
	return ok && &fe.Entry == e
}

// The kind of knock is one stop for Tab, as radio groups are elsewhere:
// Tab goes from the field before it to it, and from it to the chosen
// kind's first field; the arrow keys change the kind, and a tap chooses
// one and gives the row the focus.
func TestKindChoiceIsOneTabStop(t *testing.T) {
	h := newHarness(t)
	f := h.ui.openForm(nil, formNew)
	c := h.ui.win.Canvas()
	kinds := f.kinds()
	if len(kinds) < 3 {
		t.Fatalf("only %d kinds of knock: the test needs three", len(kinds))
	}

	c.Focus(f.kind)
	if !ringShown(f.kind, 0) || ringShown(f.kind, 1) {
		t.Error("the focused choice shows no focus ring on the chosen kind, or shows one on another")
	}
	c.FocusNext()
	if got := c.Focused(); !isField(got, f.entries[fOpen]) {
		t.Fatalf("Tab from the kind of knock went to %T, want the open knocks' field", got)
	}
	if ringShown(f.kind, 0) {
		t.Error("the focus ring stays after the focus left")
	}
	c.FocusPrevious()
	if got := c.Focused(); got != f.kind {
		t.Fatalf("Shift+Tab from the open knocks went to %T, want the kind of knock", got)
	}
	c.FocusPrevious()
	before := c.Focused()
	if _, ok := before.(*formEntry); !ok {
		t.Fatalf("Shift+Tab from the kind of knock went to %T, want the field before it", before)
	}
	c.FocusNext()
	if c.Focused() != f.kind {
		t.Fatalf("Tab from the field before the kind of knock went to %T", c.Focused())
	}

	for _, tt := range []struct {
		key  fyne.KeyName
		want string
	}{
		{fyne.KeyRight, kinds[1].choice},
		{fyne.KeyDown, kinds[2].choice},
		{fyne.KeyLeft, kinds[1].choice},
		{fyne.KeyHome, kinds[0].choice},
		{fyne.KeyUp, kinds[0].choice}, // stops at the first
		{fyne.KeyEnd, kinds[len(kinds)-1].choice},
	} {
		f.kind.TypedKey(&fyne.KeyEvent{Name: tt.key})
		if f.kind.Selected != tt.want {
			t.Errorf("%s: the kind is %q, want %q", tt.key, f.kind.Selected, tt.want)
		}
	}
	f.kind.TypedKey(&fyne.KeyEvent{Name: fyne.KeyHome})
	if !f.rows[fOpen][1].Visible() {
		t.Error("back on fixed knocks, their field is hidden")
	}

	c.Focus(f.first)
	test.Tap(f.kind.items[1])
	if f.kind.Selected != kinds[1].choice || c.Focused() != f.kind {
		t.Errorf("a tap on %q chose %q and focused %T", kinds[1].choice, f.kind.Selected, c.Focused())
	}
	if f.rows[fOpen][1].Visible() || !f.rows[fSeed][1].Visible() {
		t.Error("the tap on a rotating sequence did not show its rows")
	}

	f.kind.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.ui.form != nil {
		t.Error("Esc on the kind of knock did not close the form")
	}
}
