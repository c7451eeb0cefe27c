package vt

import (
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// widths follows wcwidth: East Asian ambiguous characters are narrow, as in
// the C library that the programs on the other side use.
var widths = &runewidth.Condition{EastAsianWidth: false}

// runeWidth is the number of cells r takes: 0 for combining marks, 2 for
// East Asian wide characters and most emoji, 1 otherwise.
func runeWidth(r rune) int {
	if r < 0x300 {
		return 1 // the caller has removed the controls
	}
	return widths.RuneWidth(r)
}

// decGraphics maps 0x5f–0x7e to the DEC special graphics (line drawing) set.
var decGraphics = [...]rune{
	' ', '◆', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼',
	'⎺', '⎻', '─', '⎼', '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '·',
}

// blank is an erased cell: a space on the current background (xterm erases
// with the background colour, the "bce" terminfo capability).
func (t *Terminal) blank() Cell {
	return Cell{Rune: ' ', BG: t.cur.pen.BG}
}

// printASCII writes a run of printable ASCII. It is the hot path: most
// output is plain text.
func (t *Terminal) printASCII(s []byte) {
	if t.charsets[t.gl] != charsetASCII || t.insert {
		for _, b := range s {
			t.printRune(rune(b))
		}
		return
	}
	t.lastRune = rune(s[len(s)-1])
	pen := t.cur.pen
	for len(s) > 0 {
		if t.cur.wrapNext {
			if t.autowrap {
				t.wrap()
			} else {
				t.cur.wrapNext = false
			}
		}
		line := &t.lines[t.cur.y]
		cells := line.Cells
		x := t.cur.x
		n := min(len(s), t.cols-x)
		line.touch(x + n)
		clearWide(cells, x, x+n)
		for i, b := range s[:n] {
			pen.Rune = rune(b)
			cells[x+i] = pen
		}
		s = s[n:]
		x += n
		if x >= t.cols {
			x = t.cols - 1
			if t.autowrap {
				t.cur.wrapNext = true
			} else if len(s) > 0 {
				// Without autowrap the rest overwrites the last column.
				pen.Rune = rune(s[len(s)-1])
				cells[x] = pen
				s = nil
			}
		}
		t.cur.x = x
	}
}

// printRune writes one character at the cursor.
func (t *Terminal) printRune(r rune) {
	if r < 0xa0 && (r < 0x20 || r >= 0x7f) {
		return // C1 controls are not printed
	}
	if r >= 0x5f && r < 0x7f && t.charsets[t.gl] == charsetGraphics {
		r = decGraphics[r-0x5f]
	}
	w := runeWidth(r)
	if w == 0 {
		t.combine(r)
		return
	}
	if w == 2 && t.cols < 2 {
		r, w = utf8.RuneError, 1
	}
	t.lastRune = r
	if t.cur.wrapNext {
		if t.autowrap {
			t.wrap()
		} else {
			t.cur.wrapNext = false
		}
	}
	if w == 2 && t.cur.x == t.cols-1 {
		if t.autowrap {
			// No room for both halves: pad the margin and wrap.
			line := &t.lines[t.cur.y]
			line.touch(t.cur.x + 1)
			cells := line.Cells
			clearWide(cells, t.cur.x, t.cur.x+1)
			pad := t.blank()
			pad.Attr = wrapPad
			cells[t.cur.x] = pad
			t.wrap()
		} else {
			t.cur.x--
		}
	}
	line := &t.lines[t.cur.y]
	cells := line.Cells
	x := t.cur.x
	if t.insert {
		t.insertBlanks(w)
	}
	line.touch(x + w)
	clearWide(cells, x, x+w)
	c := t.cur.pen
	c.Rune = r
	if w == 2 {
		c.Attr |= Wide
		cells[x] = c
		c.Rune = ' '
		c.Attr = c.Attr&^Wide | WideSpacer
		cells[x+1] = c
	} else {
		cells[x] = c
	}
	x += w
	if x >= t.cols {
		x = t.cols - 1
		t.cur.wrapNext = t.autowrap
	}
	t.cur.x = x
}

// combine appends a zero-width character (a combining mark, a joiner or a
// variation selector) to the character before the cursor.
func (t *Terminal) combine(r rune) {
	x := t.cur.x
	if !t.cur.wrapNext {
		x--
	}
	if x < 0 {
		return
	}
	cells := t.lines[t.cur.y].Cells
	if cells[x].Attr&WideSpacer != 0 && x > 0 {
		x--
	}
	s := t.cellText(cells[x].Rune)
	if len(s)+utf8.RuneLen(r) > maxClusterBytes {
		return
	}
	if id, ok := t.intern(s + string(r)); ok {
		cells[x].Rune = id
		t.lines[t.cur.y].touch(x + 1)
	}
}

// clearWide blanks the halves of wide characters that a write to
// cells[x0:x1] would cut in two.
func clearWide(cells []Cell, x0, x1 int) {
	if x0 < len(cells) && cells[x0].Attr&WideSpacer != 0 && x0 > 0 {
		cells[x0-1].Rune = ' '
		cells[x0-1].Attr &^= Wide
	}
	if x1 > 0 && x1 < len(cells) && cells[x1].Attr&WideSpacer != 0 {
		cells[x1].Rune = ' '
		cells[x1].Attr &^= WideSpacer
	}
}

// fixWide blanks any half of a wide character that lost its partner after
// cells were shifted.
func fixWide(cells []Cell) {
	for x := range cells {
		switch {
		case cells[x].Attr&Wide != 0 && (x+1 >= len(cells) || cells[x+1].Attr&WideSpacer == 0):
			cells[x].Rune = ' '
			cells[x].Attr &^= Wide
		case cells[x].Attr&WideSpacer != 0 && (x == 0 || cells[x-1].Attr&Wide == 0):
			cells[x].Rune = ' '
			cells[x].Attr &^= WideSpacer
		}
	}
}

// wrap moves to the start of the next line, marking this one as continued.
func (t *Terminal) wrap() {
	t.lines[t.cur.y].Wrapped = true
	t.index()
	t.cur.x = 0
	t.cur.wrapNext = false
}

func (t *Terminal) linefeed() {
	t.index()
	if t.modes.NewLine {
		t.cur.x = 0
	}
	t.cur.wrapNext = false
}

// index moves down a line, scrolling the region at its bottom margin.
func (t *Terminal) index() {
	switch {
	case t.cur.y == t.bot:
		t.scrollUp(t.top, t.bot, 1, !t.alt && t.top == 0)
	case t.cur.y < t.rows-1:
		t.cur.y++
	}
}

// reverseIndex moves up a line, scrolling the region down at its top margin.
func (t *Terminal) reverseIndex() {
	switch {
	case t.cur.y == t.top:
		t.scrollDown(t.top, t.bot, 1)
	case t.cur.y > 0:
		t.cur.y--
	}
	t.cur.wrapNext = false
}

// scrollUp moves lines top..bot up by n, blanking n lines at the bottom.
// With save, the lines leaving the top go to the scrollback.
func (t *Terminal) scrollUp(top, bot, n int, save bool) {
	n = min(n, bot-top+1)
	for range n {
		old := t.lines[top]
		if save {
			t.pushScrollback(old)
		}
		copy(t.lines[top:bot], t.lines[top+1:bot+1])
		t.blankLine(&old)
		t.lines[bot] = old
	}
	if top > 0 {
		t.lines[top-1].Wrapped = false
	}
}

// scrollDown moves lines top..bot down by n, blanking n lines at the top.
func (t *Terminal) scrollDown(top, bot, n int) {
	n = min(n, bot-top+1)
	for range n {
		old := t.lines[bot]
		copy(t.lines[top+1:bot+1], t.lines[top:bot])
		t.blankLine(&old)
		t.lines[top] = old
	}
	if top > 0 {
		t.lines[top-1].Wrapped = false
	}
}

// blankLine erases a whole line with the current background.
func (t *Terminal) blankLine(l *Line) {
	l.Wrapped = false
	b := t.blank()
	if b == (Cell{Rune: ' '}) {
		fill(l.Cells[:l.ext], b)
		l.ext = 0
		return
	}
	fill(l.Cells, b)
	l.ext = len(l.Cells)
}

// pushScrollback keeps a copy of l, without trailing blanks unless it wraps
// (then the blanks are part of the text).
func (t *Terminal) pushScrollback(l Line) {
	n := len(l.Cells)
	if !l.Wrapped {
		n = l.content()
	}
	if t.sb.max == 0 {
		t.sbBase++
		return
	}
	var cells []Cell
	if old, full := t.sb.oldest(); full && cap(old.Cells) >= n {
		cells = old.Cells[:n] // reuse the storage of the line about to go
	} else if n > 0 {
		cells = make([]Cell, n)
	}
	copy(cells, l.Cells)
	if t.sb.push(Line{Cells: cells, Wrapped: l.Wrapped, ext: n}) {
		t.sbBase++
	}
}

// eraseCells blanks cells x0..x1-1 of row y.
func (t *Terminal) eraseCells(y, x0, x1 int) {
	cells := t.lines[y].Cells
	x0, x1 = max(x0, 0), min(x1, t.cols)
	if x0 >= x1 {
		return
	}
	clearWide(cells, x0, x1)
	b := t.blank()
	if b.BG != DefaultColor {
		t.lines[y].touch(x1)
	}
	fill(cells[x0:x1], b)
	if x1 == t.cols {
		t.lines[y].Wrapped = false
	}
}

func (t *Terminal) eraseRows(y0, y1 int) {
	for y := max(y0, 0); y < min(y1, t.rows); y++ {
		t.eraseCells(y, 0, t.cols)
	}
}

// insertBlanks shifts the cursor's line right by n from the cursor (ICH).
func (t *Terminal) insertBlanks(n int) {
	x := t.cur.x
	cells := t.lines[t.cur.y].Cells
	n = min(n, t.cols-x)
	copy(cells[x+n:], cells[x:t.cols-n])
	fill(cells[x:x+n], t.blank())
	fixWide(cells)
	t.lines[t.cur.y].touch(t.cols)
	t.lines[t.cur.y].Wrapped = false
}

// deleteChars shifts the cursor's line left by n into the cursor (DCH).
func (t *Terminal) deleteChars(n int) {
	x := t.cur.x
	cells := t.lines[t.cur.y].Cells
	n = min(n, t.cols-x)
	copy(cells[x:], cells[x+n:])
	fill(cells[t.cols-n:], t.blank())
	fixWide(cells)
	t.lines[t.cur.y].touch(t.cols)
	t.lines[t.cur.y].Wrapped = false
}

func (t *Terminal) tabForward(n int) {
	x := t.cur.x
	for ; n > 0 && x < t.cols-1; n-- {
		x++
		for x < t.cols-1 && !t.tabs[x] {
			x++
		}
	}
	t.cur.x = x
	t.cur.wrapNext = false
}

func (t *Terminal) tabBackward(n int) {
	x := t.cur.x
	for ; n > 0 && x > 0; n-- {
		x--
		for x > 0 && !t.tabs[x] {
			x--
		}
	}
	t.cur.x = x
	t.cur.wrapNext = false
}

// moveTo puts the cursor at x, y (screen coordinates), clamped.
func (t *Terminal) moveTo(x, y int) {
	t.cur.x = max(0, min(x, t.cols-1))
	t.cur.y = max(0, min(y, t.rows-1))
	t.cur.wrapNext = false
}

// moveToOrigin is CUP: y counts from the top margin in origin mode and stays
// inside the region.
func (t *Terminal) moveToOrigin(x, y int) {
	if t.origin {
		y = max(t.top, min(y+t.top, t.bot))
	}
	t.moveTo(x, y)
}

func (t *Terminal) saveCursor() {
	s := &t.saved[t.screenIndex()]
	*s = savedCursor{cursor: t.cur, origin: t.origin, charsets: t.charsets, gl: t.gl, valid: true}
}

func (t *Terminal) restoreCursor() {
	s := t.saved[t.screenIndex()]
	if !s.valid {
		s = savedCursor{cursor: cursor{pen: Cell{Rune: ' '}}}
	}
	t.cur = s.cursor
	t.origin, t.charsets, t.gl = s.origin, s.charsets, s.gl
	t.cur.x = min(t.cur.x, t.cols-1)
	t.cur.y = min(t.cur.y, t.rows-1)
}

func (t *Terminal) screenIndex() int {
	if t.alt {
		return 1
	}
	return 0
}

// setAltScreen switches between the main and the alternate screen.
func (t *Terminal) setAltScreen(on bool) {
	if on == t.alt {
		return
	}
	t.alt = on
	t.lines = t.screens[t.screenIndex()]
}

// alignmentTest is DECALN: fill the screen with E.
func (t *Terminal) alignmentTest() {
	for y := range t.rows {
		fill(t.lines[y].Cells, Cell{Rune: 'E'})
		t.lines[y].Wrapped = false
		t.lines[y].touch(t.cols)
	}
	t.top, t.bot = 0, t.rows-1
	t.moveTo(0, 0)
}
