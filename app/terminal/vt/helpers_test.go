package vt

import (
	"strings"
	"testing"
)

// newTerm returns a terminal of the given size fed with the input.
func newTerm(t testing.TB, cols, rows int, input string) *Terminal {
	t.Helper()
	term := New(Options{Cols: cols, Rows: rows})
	term.Write([]byte(input))
	checkInvariants(t, term)
	return term
}

// rows returns the screen as one string per row, trailing blanks removed.
func rows(term *Terminal) []string {
	_, n := term.Size()
	out := make([]string, n)
	for y := range out {
		out[y] = term.LineText(y)
	}
	return out
}

// checkInvariants fails if the model is inconsistent: sizes, cursor range,
// wide characters without their other half.
func checkInvariants(t testing.TB, term *Terminal) {
	t.Helper()
	term.mu.Lock()
	defer term.mu.Unlock()
	if term.cur.x < 0 || term.cur.x >= term.cols || term.cur.y < 0 || term.cur.y >= term.rows {
		t.Fatalf("cursor %d,%d outside %dx%d", term.cur.x, term.cur.y, term.cols, term.rows)
	}
	if term.top < 0 || term.bot >= term.rows || term.top >= term.bot && term.rows > 1 {
		t.Fatalf("scroll region %d..%d in %d rows", term.top, term.bot, term.rows)
	}
	if len(term.tabs) != term.cols {
		t.Fatalf("%d tab stops for %d columns", len(term.tabs), term.cols)
	}
	for s, lines := range term.screens {
		if len(lines) != term.rows {
			t.Fatalf("screen %d has %d lines, want %d", s, len(lines), term.rows)
		}
		for y, l := range lines {
			if len(l.Cells) != term.cols {
				t.Fatalf("screen %d row %d has %d cells, want %d", s, y, len(l.Cells), term.cols)
			}
			if l.ext < 0 || l.ext > len(l.Cells) {
				t.Fatalf("screen %d row %d: extent %d of %d cells", s, y, l.ext, len(l.Cells))
			}
			for x, c := range l.Cells[l.ext:] {
				if c != (Cell{Rune: ' '}) {
					t.Fatalf("screen %d row %d col %d: %+v past the extent %d", s, y, l.ext+x, c, l.ext)
				}
			}
			for x, c := range l.Cells {
				if c.Attr&Wide != 0 && (x+1 >= len(l.Cells) || l.Cells[x+1].Attr&WideSpacer == 0) {
					t.Fatalf("screen %d row %d col %d: wide character without its right half", s, y, x)
				}
				if c.Attr&WideSpacer != 0 && (x == 0 || l.Cells[x-1].Attr&Wide == 0) {
					t.Fatalf("screen %d row %d col %d: right half without a wide character", s, y, x)
				}
			}
		}
	}
	if term.sb.len() > term.sb.max {
		t.Fatalf("scrollback holds %d lines, max %d", term.sb.len(), term.sb.max)
	}
}

func join(lines ...string) string { return strings.Join(lines, "\n") }
