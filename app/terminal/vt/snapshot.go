package vt

import "strings"

// Snapshot is a copy of what to draw: the visible lines (the live screen,
// or a window scrolled back into the scrollback), the cursor and the modes.
// Reuse one Snapshot per view: Terminal.Snapshot keeps its storage.
type Snapshot struct {
	Cols, Rows int
	Lines      []Line // Rows lines of Cols cells
	// CursorX and CursorY are where the cursor is drawn; CursorY is -1 when
	// the view is scrolled back past it.
	CursorX, CursorY int
	Modes            Modes
	// Top is the absolute number of Lines[0]; LiveTop that of the first
	// row of the live screen. Absolute numbers count every line that ever
	// scrolled off, so they stay put while output scrolls.
	Top, LiveTop int64
	// First is the absolute number of the oldest line still kept.
	First int64

	clusters []string
}

// Text returns the text of c: its character with any combining marks.
func (s *Snapshot) Text(c Cell) string {
	if c.Rune >= clusterBase {
		if i := int(c.Rune - clusterBase); i < len(s.clusters) {
			return s.clusters[i]
		}
		return "\uFFFD"
	}
	return string(c.Rune)
}

// Snapshot fills s with the view whose first line has absolute number top
// (clamped to what exists); a top at or past the live screen shows the live
// screen. Pass a negative top to follow the live screen.
func (t *Terminal) Snapshot(s *Snapshot, top int64) {
	t.mu.Lock()
	defer t.mu.Unlock()

	first := t.sbBase
	live := t.sbBase + int64(t.sb.len())
	if top < 0 || top > live {
		top = live
	}
	top = max(top, first)

	if s.Cols != t.cols || s.Rows != t.rows || len(s.Lines) != t.rows {
		s.Cols, s.Rows = t.cols, t.rows
		s.Lines = newLines(t.cols, t.rows)
	}
	for y := range t.rows {
		abs := top + int64(y)
		var src Line
		if abs < live {
			src = *t.sb.at(int(abs - first))
		} else {
			src = t.lines[abs-live]
		}
		dst := &s.Lines[y]
		n := copy(dst.Cells, src.Cells)
		fill(dst.Cells[n:], Cell{Rune: ' '})
		dst.Wrapped, dst.ext = src.Wrapped, len(dst.Cells)
	}
	s.CursorX, s.CursorY = t.cur.x, t.cur.y+int(live-top)
	if s.CursorY >= t.rows {
		s.CursorY = -1
	}
	s.Modes = t.modesLocked()
	s.Top, s.LiveTop, s.First = top, live, first
	s.clusters = t.clusters
}

// Pos is a cell position for selections: an absolute line number (see
// Snapshot.Top) and a column.
type Pos struct {
	Line int64
	Col  int
}

// Before reports whether p comes before q in reading order.
func (p Pos) Before(q Pos) bool {
	return p.Line < q.Line || p.Line == q.Line && p.Col < q.Col
}

// Text returns the text from a to b inclusive, in reading order. Lines that
// wrapped are joined; other lines end in a newline, without their trailing
// blanks. Parts no longer kept are left out.
func (t *Terminal) Text(a, b Pos) string {
	if b.Before(a) {
		a, b = b, a
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	first := t.sbBase
	live := first + int64(t.sb.len())
	end := live + int64(t.rows) - 1
	if a.Line < first {
		a = Pos{Line: first}
	}
	if b.Line > end {
		b = Pos{Line: end, Col: t.cols - 1}
	}
	var sb strings.Builder
	for n := a.Line; n <= b.Line; n++ {
		var l Line
		if n < live {
			l = *t.sb.at(int(n - first))
		} else {
			l = t.lines[n-live]
		}
		from, to := 0, len(l.Cells)
		if n == a.Line {
			from = a.Col
		}
		if n == b.Line {
			to = min(to, b.Col+1)
		}
		lastOfLine := to >= len(l.Cells) || n < b.Line
		t.appendText(&sb, l.Cells, from, to, !l.Wrapped && lastOfLine)
		if n < b.Line && !l.Wrapped {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// WordAt returns the extent of the word at p (for double-click selection):
// a run of letters, digits and the characters common in paths and URLs.
// Outside a word it returns p alone.
func (t *Terminal) WordAt(p Pos) (Pos, Pos) {
	t.mu.Lock()
	defer t.mu.Unlock()
	first := t.sbBase
	live := first + int64(t.sb.len())
	if p.Line < first || p.Line >= live+int64(t.rows) {
		return p, p
	}
	var cells []Cell
	if p.Line < live {
		cells = t.sb.at(int(p.Line - first)).Cells
	} else {
		cells = t.lines[p.Line-live].Cells
	}
	word := func(x int) bool {
		if x < 0 || x >= len(cells) {
			return false
		}
		c := cells[x]
		if c.Attr&WideSpacer != 0 {
			return true
		}
		s := t.cellText(c.Rune)
		r := []rune(s)[0]
		return r > 0x7f || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			strings.ContainsRune("-_.,/~:@%+=?&#", r)
	}
	if !word(p.Col) {
		return p, p
	}
	a, b := p.Col, p.Col
	for word(a - 1) {
		a--
	}
	for word(b + 1) {
		b++
	}
	return Pos{Line: p.Line, Col: a}, Pos{Line: p.Line, Col: b}
}
