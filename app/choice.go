package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// choiceRow is a row of exclusive choices that is one stop for Tab, as a
// radio group is in native toolkits: the arrow keys move the choice, and
// Tab goes on to the next field. Fyne's RadioGroup makes every option a
// stop of its own, so Tab walked through the kinds of knock before it
// reached the first field of the one chosen.
type choiceRow struct {
	widget.BaseWidget
	Options   []string
	Selected  string
	OnChanged func(string)
	// onFocus runs as the row gets the focus (the form scrolls to it),
	// onEscape on Esc (the form's Cancel).
	onFocus, onEscape func()

	focused bool
	items   []*choiceItem
}

var _ fyne.Focusable = (*choiceRow)(nil)

func newChoiceRow(options []string, changed func(string)) *choiceRow {
	c := &choiceRow{Options: options, OnChanged: changed}
	c.ExtendBaseWidget(c)
	for _, o := range options {
		c.items = append(c.items, newChoiceItem(c, o))
	}
	return c
}

// SetSelected chooses option o, and runs OnChanged if that changed it.
func (c *choiceRow) SetSelected(o string) {
	if o == c.Selected {
		return
	}
	c.Selected = o
	c.Refresh()
	if c.OnChanged != nil {
		c.OnChanged(o)
	}
}

// move chooses the option by places after (or before) the chosen one,
// stopping at either end.
func (c *choiceRow) move(by int) {
	i := -1
	for j, o := range c.Options {
		if o == c.Selected {
			i = j
		}
	}
	i = min(max(i+by, 0), len(c.Options)-1)
	if i >= 0 {
		c.SetSelected(c.Options[i])
	}
}

func (c *choiceRow) FocusGained() {
	c.focused = true
	c.Refresh()
	if c.onFocus != nil {
		c.onFocus()
	}
}
func (c *choiceRow) FocusLost()     { c.focused = false; c.Refresh() }
func (c *choiceRow) TypedRune(rune) {}

// TypedKey: Left/Up and Right/Down move the choice, Home and End go to
// either end, Esc is onEscape's.
func (c *choiceRow) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		if c.onEscape != nil {
			c.onEscape()
		}
	case fyne.KeyLeft, fyne.KeyUp:
		c.move(-1)
	case fyne.KeyRight, fyne.KeyDown:
		c.move(1)
	case fyne.KeyHome:
		c.move(-len(c.Options))
	case fyne.KeyEnd:
		c.move(len(c.Options))
	}
}

func (c *choiceRow) CreateRenderer() fyne.WidgetRenderer {
	objs := make([]fyne.CanvasObject, len(c.items))
	for i, it := range c.items {
		objs[i] = it
	}
	return &choiceRenderer{c: c, box: container.NewHBox(objs...)}
}

type choiceRenderer struct {
	c   *choiceRow
	box *fyne.Container
}

func (r *choiceRenderer) Layout(s fyne.Size)           { r.box.Resize(s) }
func (r *choiceRenderer) MinSize() fyne.Size           { return r.box.MinSize() }
func (r *choiceRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.box} }
func (r *choiceRenderer) Destroy()                     {}
func (r *choiceRenderer) Refresh() {
	for _, it := range r.c.items {
		it.Refresh()
	}
}

// choiceItem is one option: its radio icon, with the focus ring on the
// chosen one while the row has the focus, and its label. A tap chooses it
// and gives the row the focus.
type choiceItem struct {
	widget.BaseWidget
	row    *choiceRow
	option string
}

func newChoiceItem(row *choiceRow, option string) *choiceItem {
	it := &choiceItem{row: row, option: option}
	it.ExtendBaseWidget(it)
	return it
}

func (it *choiceItem) Tapped(*fyne.PointEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(it.row); c != nil {
		c.Focus(it.row)
	}
	it.row.SetSelected(it.option)
}

func (it *choiceItem) CreateRenderer() fyne.WidgetRenderer {
	ring := canvas.NewCircle(theme.Color(theme.ColorNameFocus))
	icon := widget.NewIcon(theme.RadioButtonIcon())
	label := widget.NewLabel(it.option)
	r := &choiceItemRenderer{it: it, ring: ring, icon: icon, label: label}
	r.Refresh()
	return r
}

type choiceItemRenderer struct {
	it    *choiceItem
	ring  *canvas.Circle
	icon  *widget.Icon
	label *widget.Label
}

func (r *choiceItemRenderer) iconSize() float32 { return theme.IconInlineSize() }

func (r *choiceItemRenderer) Layout(s fyne.Size) {
	pad := theme.Padding()
	is := r.iconSize()
	y := (s.Height - is) / 2
	r.icon.Move(fyne.NewPos(pad*2, y))
	r.icon.Resize(fyne.NewSquareSize(is))
	r.ring.Move(fyne.NewPos(pad, y-pad))
	r.ring.Resize(fyne.NewSquareSize(is + 2*pad))
	r.label.Move(fyne.NewPos(pad*2+is, 0))
	r.label.Resize(fyne.NewSize(s.Width-pad*2-is, s.Height))
}

func (r *choiceItemRenderer) MinSize() fyne.Size {
	l := r.label.MinSize()
	return fyne.NewSize(theme.Padding()*2+r.iconSize()+l.Width, max(l.Height, r.iconSize()+2*theme.Padding()))
}

func (r *choiceItemRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.ring, r.icon, r.label}
}

func (r *choiceItemRenderer) Destroy() {}

func (r *choiceItemRenderer) Refresh() {
	chosen := r.it.row.Selected == r.it.option
	if chosen {
		r.icon.SetResource(theme.NewPrimaryThemedResource(theme.RadioButtonCheckedIcon()))
	} else {
		r.icon.SetResource(theme.RadioButtonIcon())
	}
	r.ring.FillColor = theme.Color(theme.ColorNameFocus)
	r.ring.Hidden = !(chosen && r.it.row.focused)
	r.ring.Refresh()
	r.label.Refresh()
}
