package vt

import (
	"slices"
	"testing"
)

// Splitting the output anywhere, even inside a UTF-8 character or an escape
// sequence, gives the same screen as one Write.
func TestSplitWrites(t *testing.T) {
	streams := map[string]string{
		"utf-8":   "aé€𝄞b\u00e9\u0301日本語🙂x",
		"escapes": "\x1b[1;38;2;10;20;30mA\x1b[0m\x1b]2;título\x1b\\\x1b[?1049h\x1b[2;3Hé\x1b[?1049l",
		"invalid": "a\xe2\x82b\xf0\x9f\x99c\xffd\xe0\x80\x80e\xc3",
		"wrap":    "0123456789日本語日本",
	}
	for name, stream := range streams {
		t.Run(name, func(t *testing.T) {
			whole := newTerm(t, 10, 4, stream)
			want := dump(whole)
			for i := 1; i < len(stream); i++ {
				term := New(Options{Cols: 10, Rows: 4})
				term.Write([]byte(stream[:i]))
				term.Write([]byte(stream[i:]))
				if got := dump(term); got != want {
					t.Fatalf("split at byte %d:\n%s\nwant\n%s", i, got, want)
				}
			}
			// And one byte at a time.
			term := New(Options{Cols: 10, Rows: 4})
			for i := range len(stream) {
				term.Write([]byte{stream[i]})
			}
			if got := dump(term); got != want {
				t.Fatalf("byte by byte:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// dump shows everything a split could change: text, colours, attributes,
// cursor, title.
func dump(term *Terminal) string {
	var s Snapshot
	term.Snapshot(&s, -1)
	out := []byte(term.Title() + "\n")
	for _, l := range s.Lines {
		for _, c := range l.Cells {
			out = append(out, s.Text(c)...)
			out = append(out, byte(c.Attr), byte(c.FG), byte(c.FG>>8), byte(c.FG>>16), byte(c.FG>>24), byte(c.BG))
		}
		out = append(out, '\n')
	}
	x, y := term.Cursor()
	return string(append(out, byte(x), byte(y)))
}

func TestWideCharacters(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
		x, y  int
	}{
		{"two cells each", "日本", []string{"日本", ""}, 4, 0},
		{"emoji", "🙂a", []string{"🙂a", ""}, 3, 0},
		{"wraps whole at the margin", "012345678日", []string{"012345678", "日"}, 2, 1},
		{"fits exactly", "01234567日", []string{"01234567日", ""}, 9, 0},
		{"overwrite the left half", "日本\x1b[1;1Hx", []string{"x 本", ""}, 1, 0},
		{"overwrite the right half", "日本\x1b[1;2Hx", []string{" x本", ""}, 2, 0},
		{"wide over wide, shifted", "日本\x1b[1;2H語", []string{" 語", ""}, 3, 0},
		{"erase the right half", "日本\x1b[1;2H\x1b[X", []string{"  本", ""}, 1, 0},
		{"delete before", "a日本\x1b[1;1H\x1b[P", []string{"日本", ""}, 0, 0},
		{"delete splits", "日本\x1b[1;2H\x1b[P", []string{" 本", ""}, 1, 0},
		{"insert pushes off the margin", "0123456日\x1b[1;1H\x1b[2@", []string{"  0123456", ""}, 0, 0},
		{"no autowrap", "\x1b[?7l012345678日", []string{"01234567日", ""}, 9, 0},
		{"fullwidth letters", "ＡＢ", []string{"ＡＢ", ""}, 4, 0},
		{"ambiguous is narrow", "αβ", []string{"αβ", ""}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, 10, 2, tt.input)
			if got := rows(term); !slices.Equal(got, tt.want) {
				t.Errorf("screen %q, want %q", got, tt.want)
			}
			if x, y := term.Cursor(); x != tt.x || y != tt.y {
				t.Errorf("cursor %d,%d, want %d,%d", x, y, tt.x, tt.y)
			}
		})
	}
}

func TestWideCellLayout(t *testing.T) {
	term := newTerm(t, 10, 2, "a日")
	if c := term.Cell(1, 0); c.Rune != '日' || c.Attr&Wide == 0 {
		t.Errorf("cell 1 = %q attr %#x, want the wide character", c.Rune, c.Attr)
	}
	if c := term.Cell(2, 0); c.Attr&WideSpacer == 0 {
		t.Errorf("cell 2 attr %#x, want its right half", c.Attr)
	}
	// The line that wrapped for a wide character continues on the next.
	term = newTerm(t, 10, 2, "012345678日")
	if got := term.Text(Pos{Line: 0}, Pos{Line: 1, Col: 9}); got != "012345678日" {
		t.Errorf("Text across the wrap = %q", got)
	}
}

func TestCombiningMarks(t *testing.T) {
	tests := []struct {
		name  string
		input string
		col   int
		text  string
		x     int
	}{
		{"acute", "e\u0301x", 0, "e\u0301", 2},
		{"two marks", "a\u0301\u0323", 0, "a\u0301\u0323", 1},
		{"on a wide character", "日\u0301", 0, "日\u0301", 2},
		{"at the margin", "012345678e\u0301", 9, "e\u0301", 9},
		{"variation selector", "❤\ufe0f", 0, "❤\ufe0f", 1},
		{"alone at the start is dropped", "\u0301a", 0, "a", 1},
		{"too many are dropped", "a" + repeat("\u0301", 40), 0, "a" + repeat("\u0301", 15), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, 10, 2, tt.input)
			if got := term.CellText(term.Cell(tt.col, 0)); got != tt.text {
				t.Errorf("cell %d = %q, want %q", tt.col, got, tt.text)
			}
			if x, _ := term.Cursor(); x != tt.x {
				t.Errorf("cursor at column %d, want %d", x, tt.x)
			}
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
