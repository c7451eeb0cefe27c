package terminal

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sesame/app/terminal/vt"
)

// selection is a range of cells in absolute line numbers, so it stays on
// its text while output scrolls.
type selection struct {
	active       bool // something is selected
	anchor, head vt.Pos
	dragging     bool
}

func (s selection) ordered() (vt.Pos, vt.Pos) {
	if s.head.Before(s.anchor) {
		return s.head, s.anchor
	}
	return s.anchor, s.head
}

func (s selection) contains(p vt.Pos) bool {
	if !s.active {
		return false
	}
	a, b := s.ordered()
	return !p.Before(a) && !b.Before(p)
}

// mouseState tracks a press that went to the program.
type mouseState struct {
	reporting bool
	button    int // xterm button number of the press
	col, row  int // last cell reported
}

// SelectedText returns the selected text, or "".
func (t *Terminal) SelectedText() string {
	if !t.sel.active {
		return ""
	}
	a, b := t.sel.ordered()
	return t.vt.Text(a, b)
}

// cellAt converts a position in the widget to a column and a row of the
// view; they may lie outside the grid.
func (t *Terminal) cellAt(p fyne.Position) (col, row int) {
	cell := t.cellSize()
	col, row = int(p.X/cell.Width), int(p.Y/cell.Height)
	if p.X < 0 {
		col--
	}
	if p.Y < 0 {
		row--
	}
	return col, row
}

// posAt is the absolute cell position under p, clamped to the grid.
func (t *Terminal) posAt(p fyne.Position) vt.Pos {
	col, row := t.cellAt(p)
	cols, rows := t.GridSize()
	var s vt.Snapshot
	t.vt.Snapshot(&s, t.viewTop)
	return vt.Pos{Line: s.Top + int64(max(0, min(row, rows-1))), Col: max(0, min(col, cols-1))}
}

// reportsMouse says whether a mouse event goes to the program: it asked
// for mouse reports, and Shift is not held (Shift keeps selection local).
func (t *Terminal) reportsMouse(mods fyne.KeyModifier) bool {
	return t.vt.Modes().Mouse != vt.MouseOff && mods&fyne.KeyModifierShift == 0
}

// MouseDown is part of desktop.Mouseable.
func (t *Terminal) MouseDown(ev *desktop.MouseEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(t); c != nil {
		c.Focus(t)
	}
	if t.reportsMouse(ev.Modifier) {
		col, row := t.cellAt(ev.Position)
		t.mouse = mouseState{reporting: true, button: buttonCode(ev.Button), col: col, row: row}
		t.reportMouse(t.mouse.button|modifierBits(ev.Modifier), col, row, false)
		return
	}
	if ev.Button == desktop.MouseButtonPrimary {
		p := t.posAt(ev.Position)
		t.sel = selection{anchor: p, head: p, dragging: true}
		t.Refresh()
	}
}

// MouseUp is part of desktop.Mouseable.
func (t *Terminal) MouseUp(ev *desktop.MouseEvent) {
	if t.mouse.reporting {
		t.mouse.reporting = false
		if t.vt.Modes().Mouse != vt.MouseX10 {
			col, row := t.cellAt(ev.Position)
			t.reportMouse(t.mouse.button|modifierBits(ev.Modifier), col, row, true)
		}
		return
	}
	t.sel.dragging = false
}

// Dragged is part of fyne.Draggable: it extends the selection, or reports
// motion with a button down to a program that asked for it.
func (t *Terminal) Dragged(ev *fyne.DragEvent) {
	if t.mouse.reporting {
		col, row := t.cellAt(ev.Position)
		if m := t.vt.Modes().Mouse; (m == vt.MouseDrag || m == vt.MouseMotion) && (col != t.mouse.col || row != t.mouse.row) {
			t.mouse.col, t.mouse.row = col, row
			t.reportMouse(t.mouse.button+32, col, row, false)
		}
		return
	}
	if !t.sel.dragging {
		return
	}
	// Past the top or bottom edge, the view scrolls along.
	_, row := t.cellAt(ev.Position)
	if _, rows := t.GridSize(); row >= rows {
		t.scrollView(-1)
	} else if row < 0 {
		t.scrollView(1)
	}
	t.sel.head = t.posAt(ev.Position)
	t.sel.active = t.sel.head != t.sel.anchor
	t.Refresh()
}

// DragEnd is part of fyne.Draggable.
func (t *Terminal) DragEnd() { t.sel.dragging = false }

// MouseIn is part of desktop.Hoverable.
func (t *Terminal) MouseIn(*desktop.MouseEvent) {}

// MouseMoved is part of desktop.Hoverable: motion without a button, for
// programs that asked for all motion (1003).
func (t *Terminal) MouseMoved(ev *desktop.MouseEvent) {
	if t.mouse.reporting || t.vt.Modes().Mouse != vt.MouseMotion {
		return
	}
	col, row := t.cellAt(ev.Position)
	if col != t.mouse.col || row != t.mouse.row {
		t.mouse.col, t.mouse.row = col, row
		t.reportMouse(3+32, col, row, false)
	}
}

// MouseOut is part of desktop.Hoverable.
func (t *Terminal) MouseOut() {}

// Cursor is part of desktop.Cursorable.
func (t *Terminal) Cursor() desktop.Cursor { return desktop.TextCursor }

// DoubleTapped is part of fyne.DoubleTappable: it selects a word.
func (t *Terminal) DoubleTapped(ev *fyne.PointEvent) {
	if t.reportsMouse(0) {
		return
	}
	a, b := t.vt.WordAt(t.posAt(ev.Position))
	t.sel = selection{active: true, anchor: a, head: b}
	t.Refresh()
}

// TappedSecondary is part of fyne.SecondaryTappable: a menu with Copy and
// Paste, unless the program takes the mouse.
func (t *Terminal) TappedSecondary(ev *fyne.PointEvent) {
	if t.reportsMouse(0) {
		return
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(t)
	if c == nil {
		return
	}
	cp := fyne.NewMenuItem("Copy", t.copySelection)
	cp.Disabled = !t.sel.active
	menu := fyne.NewMenu("", cp, fyne.NewMenuItem("Paste", t.paste))
	widget.ShowPopUpMenuAtPosition(menu, c, ev.AbsolutePosition)
}

// wheelUnit is how much Fyne's scroll delta makes one line: a wheel notch
// (25 on Linux and Windows) scrolls three.
const wheelUnit = 25.0 / 3

// Scrolled is part of fyne.Scrollable: the wheel goes to a program that
// asked for the mouse, becomes arrow keys on the alternate screen (less,
// vim without mouse), and otherwise scrolls back through the scrollback.
func (t *Terminal) Scrolled(ev *fyne.ScrollEvent) {
	t.wheelAcc += ev.Scrolled.DY
	lines := int(t.wheelAcc / wheelUnit)
	if lines == 0 {
		return
	}
	t.wheelAcc -= float32(lines) * wheelUnit
	m := t.vt.Modes()
	switch {
	case m.Mouse != vt.MouseOff:
		button := 64 // wheel up
		if lines < 0 {
			button = 65
		}
		col, row := t.cellAt(ev.Position)
		for range max(1, abs(lines)/3) {
			t.reportMouse(button, col, row, false)
		}
	case m.AltScreen && m.AltScroll:
		key := fyne.KeyUp
		if lines < 0 {
			key = fyne.KeyDown
		}
		seq := encodeKey(key, 0, m)
		var b []byte
		for range abs(lines) {
			b = append(b, seq...)
		}
		t.send(b)
	default:
		t.scrollView(lines)
	}
}

func abs(n int) int { return max(n, -n) }

func (t *Terminal) reportMouse(code, col, row int, release bool) {
	cols, rows := t.GridSize()
	col, row = max(0, min(col, cols-1)), max(0, min(row, rows-1))
	t.send(mouseReport(code, col, row, release, t.vt.Modes().MouseSGR))
}

// mouseReport encodes a mouse event the way xterm does: SGR (1006) or the
// legacy bytes, whose coordinates stop at 223.
func mouseReport(code, col, row int, release, sgr bool) []byte {
	if sgr {
		final := 'M'
		if release {
			final = 'm'
		}
		return fmt.Appendf(nil, "\x1b[<%d;%d;%d%c", code, col+1, row+1, final)
	}
	if release {
		code = 3 | code&(4|8|16) // legacy releases do not say which button
	}
	return []byte{0x1b, '[', 'M', byte(32 + code), byte(32 + min(col+1, 223)), byte(32 + min(row+1, 223))}
}

func buttonCode(b desktop.MouseButton) int {
	switch b {
	case desktop.MouseButtonTertiary:
		return 1
	case desktop.MouseButtonSecondary:
		return 2
	}
	return 0
}

func modifierBits(m fyne.KeyModifier) int {
	bits := 0
	if m&fyne.KeyModifierShift != 0 {
		bits |= 4
	}
	if m&fyne.KeyModifierAlt != 0 {
		bits |= 8
	}
	if m&fyne.KeyModifierControl != 0 {
		bits |= 16
	}
	return bits
}
