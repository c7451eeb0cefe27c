package vt

import "slices"

// Resize changes the grid size. On the main screen, lines that wrapped are
// joined and wrapped again at the new width, so text keeps its shape; lines
// that no longer fit go to the scrollback, and lines come back from it when
// the screen grows. The alternate screen is cut or padded: the full-screen
// programs that use it redraw on SIGWINCH. The cursor stays on its
// character, and the scroll region is reset to the whole screen.
func (t *Terminal) Resize(cols, rows int) {
	cols, rows = clampDim(cols), clampDim(rows)
	t.mu.Lock()
	defer t.mu.Unlock()
	if cols == t.cols && rows == t.rows {
		return
	}

	// The main screen's cursor is the live one, or the one saved when the
	// alternate screen was entered.
	mainCur := &t.cur
	if t.alt {
		mainCur = &t.saved[0].cursor
	}
	lines, x, y := t.reflow(t.screens[0], cols, rows, mainCur.x, mainCur.y)
	t.screens[0] = lines
	mainCur.x, mainCur.y = x, y
	mainCur.wrapNext = false

	t.screens[1] = cropLines(t.screens[1], cols, rows)
	altCur := &t.saved[1].cursor
	if t.alt {
		altCur = &t.cur
	}
	altCur.x, altCur.y = min(altCur.x, cols-1), min(altCur.y, rows-1)
	altCur.wrapNext = false
	if !t.alt {
		// DECSC on the main screen saved a position on the old layout.
		t.saved[0].x, t.saved[0].y = min(t.saved[0].x, cols-1), min(t.saved[0].y, rows-1)
	}

	t.lines = t.screens[t.screenIndex()]
	oldCols := t.cols
	t.cols, t.rows = cols, rows
	t.top, t.bot = 0, rows-1
	t.tabs = slices.Grow(t.tabs[:min(oldCols, cols)], cols)[:cols]
	if cols > oldCols {
		t.resetTabs(oldCols)
	}
}

// reflow rewraps the scrollback and the main screen at cols columns and
// returns the new screen and cursor.
func (t *Terminal) reflow(screen []Line, cols, rows, cx, cy int) ([]Line, int, int) {
	sbLen := t.sb.len()
	at := func(i int) *Line {
		if i < sbLen {
			return t.sb.at(i)
		}
		return &screen[i-sbLen]
	}
	cursorRow := sbLen + cy
	last := sbLen + len(screen) - 1
	// Blank rows below the cursor are not content; dropping them keeps the
	// cursor near the bottom when the screen shrinks.
	for last > cursorRow && at(last).content() == 0 {
		last--
	}

	var (
		out      = make([]Line, 0, last+1)
		logical  []Cell
		nx, ny   int
		blankRow = Cell{Rune: ' '}
	)
	for i := 0; i <= last; {
		// Join one logical line.
		logical = logical[:0]
		cursorAt := -1
		for {
			l := at(i)
			if i == cursorRow {
				cursorAt = len(logical) + cx
			}
			i++
			if l.Wrapped && i <= last {
				for _, c := range l.Cells {
					if c.Attr&wrapPad == 0 {
						logical = append(logical, c)
					}
				}
				continue
			}
			logical = append(logical, l.Cells[:l.content()]...)
			break
		}
		if cols < 2 {
			if cursorAt >= 0 {
				for _, c := range logical[:min(cursorAt, len(logical))] {
					if c.Attr&WideSpacer != 0 {
						cursorAt--
					}
				}
			}
			logical = narrow(logical)
		}
		for len(logical) <= cursorAt {
			logical = append(logical, blankRow)
		}

		// Wrap it again; the pieces share one backing array of their own.
		own := slices.Clone(logical)
		pos := 0
		for {
			end := pos + cols
			wrapped := end < len(own)
			pad := false
			if !wrapped {
				end = len(own)
			} else if own[end-1].Attr&Wide != 0 && cols > 1 {
				end-- // keep both halves of a wide character together
				pad = true
			}
			if cursorAt >= pos && cursorAt < max(end, pos+1) {
				nx, ny = cursorAt-pos, len(out)
			}
			piece := own[pos:end:end]
			if pad {
				piece = append(piece, Cell{Rune: ' ', Attr: wrapPad})
			}
			out = append(out, Line{Cells: piece, Wrapped: wrapped, ext: len(piece)})
			pos = end
			if !wrapped {
				break
			}
		}
	}

	// The screen shows the last rows lines, and always the cursor.
	start := max(0, len(out)-rows)
	start = min(start, ny)
	t.sb.clear()
	for _, l := range out[:start] {
		if t.sb.push(l) {
			t.sbBase++
		}
	}
	newScreen := newLines(cols, rows)
	for y := range rows {
		if start+y < len(out) {
			l := out[start+y]
			newScreen[y].ext = copy(newScreen[y].Cells, l.Cells)
			newScreen[y].Wrapped = l.Wrapped
		}
	}
	return newScreen, min(nx, cols-1), ny - start
}

// narrow makes wide characters one cell wide, for a grid too narrow to
// hold them.
func narrow(cells []Cell) []Cell {
	out := cells[:0]
	for _, c := range cells {
		if c.Attr&WideSpacer == 0 {
			c.Attr &^= Wide
			out = append(out, c)
		}
	}
	return out
}

// cropLines cuts or pads lines to cols×rows, keeping the top rows.
func cropLines(lines []Line, cols, rows int) []Line {
	out := newLines(cols, rows)
	for y := range min(rows, len(lines)) {
		out[y].ext = copy(out[y].Cells, lines[y].Cells)
		fixWide(out[y].Cells)
	}
	return out
}
