package vt

import (
	"slices"
	"testing"
)

func TestResize(t *testing.T) {
	tests := []struct {
		name       string
		cols, rows int
		input      string
		toC, toR   int
		want       []string
		x, y       int
		scrollback int64
	}{
		{
			name: "narrower rewraps", cols: 10, rows: 3, input: "0123456789abcdef",
			toC: 5, toR: 4, want: []string{"01234", "56789", "abcde", "f"}, x: 1, y: 3,
		},
		{
			name: "wider joins", cols: 5, rows: 4, input: "0123456789abcdef",
			toC: 10, toR: 4, want: []string{"0123456789", "abcdef", "", ""}, x: 6, y: 1,
		},
		{
			name: "hard newlines stay", cols: 10, rows: 3, input: "ab\r\ncd",
			toC: 20, toR: 3, want: []string{"ab", "cd", ""}, x: 2, y: 1,
		},
		{
			name: "shorter pushes into the scrollback", cols: 10, rows: 4, input: "1\r\n2\r\n3\r\n4",
			toC: 10, toR: 2, want: []string{"3", "4"}, x: 1, y: 1, scrollback: 2,
		},
		{
			name: "blank rows below the cursor go first", cols: 10, rows: 4, input: "1\r\n2",
			toC: 10, toR: 2, want: []string{"1", "2"}, x: 1, y: 1,
		},
		{
			name: "taller pulls from the scrollback", cols: 10, rows: 2, input: "1\r\n2\r\n3\r\n4",
			toC: 10, toR: 4, want: []string{"1", "2", "3", "4"}, x: 1, y: 3,
		},
		{
			name: "wide characters move whole", cols: 6, rows: 3, input: "ab日本語",
			toC: 5, toR: 3, want: []string{"ab日", "本語", ""}, x: 4, y: 1,
		},
		{
			name: "wide padding is not text", cols: 5, rows: 3, input: "abcd日x",
			toC: 10, toR: 3, want: []string{"abcd日x", "", ""}, x: 7, y: 0,
		},
		{
			name: "cursor past the text", cols: 10, rows: 3, input: "ab\x1b[1;8H",
			toC: 4, toR: 3, want: []string{"ab", "", ""}, x: 3, y: 1,
		},
		{
			name: "wide characters in one column", cols: 10, rows: 4, input: "日本",
			toC: 1, toR: 4, want: []string{"日", "本", "", ""}, x: 0, y: 2,
		},
		{
			name: "tiny", cols: 10, rows: 3, input: "hello",
			toC: 1, toR: 1, want: []string{""}, x: 0, y: 0, scrollback: 5, // the cursor is after the o
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, tt.cols, tt.rows, tt.input)
			term.Resize(tt.toC, tt.toR)
			checkInvariants(t, term)
			if got := rows(term); !slices.Equal(got, tt.want) {
				t.Errorf("screen %q, want %q", got, tt.want)
			}
			if x, y := term.Cursor(); x != tt.x || y != tt.y {
				t.Errorf("cursor %d,%d, want %d,%d", x, y, tt.x, tt.y)
			}
			var s Snapshot
			term.Snapshot(&s, -1)
			if got := s.LiveTop - s.First; got != tt.scrollback {
				t.Errorf("%d scrollback lines, want %d", got, tt.scrollback)
			}
		})
	}
}

// Text that wrapped in the scrollback rewraps too, and comes back whole.
func TestResizeScrollbackRoundTrip(t *testing.T) {
	term := newTerm(t, 8, 3, "the quick brown fox\r\njumps over\r\nthe lazy dog\r\n$ ")
	term.Resize(4, 3)
	term.Resize(30, 3)
	checkInvariants(t, term)
	var s Snapshot
	term.Snapshot(&s, -1)
	if got, want := term.Text(Pos{Line: s.First}, Pos{Line: s.LiveTop + 2, Col: 29}), "the quick brown fox\njumps over\nthe lazy dog\n$"; got != want {
		t.Errorf("text after narrowing and widening:\n%q\nwant\n%q", got, want)
	}
}

// The alternate screen is cut, not rewrapped, and the main screen under it
// still reflows with its saved cursor.
func TestResizeAltScreen(t *testing.T) {
	term := newTerm(t, 10, 3, "0123456789ab\x1b[?1049h\x1b[3;10Hz")
	term.Resize(5, 2)
	checkInvariants(t, term)
	if x, y := term.Cursor(); x != 4 || y != 1 {
		t.Errorf("alternate cursor %d,%d, want 4,1", x, y)
	}
	term.Write([]byte("\x1b[?1049l"))
	if got := rows(term); !slices.Equal(got, []string{"56789", "ab"}) {
		t.Errorf("main screen %q", got)
	}
	if x, y := term.Cursor(); x != 2 || y != 1 {
		t.Errorf("main cursor %d,%d, want 2,1", x, y)
	}
}

func TestResizeResetsRegionAndTabs(t *testing.T) {
	term := newTerm(t, 10, 5, "\x1b[2;3r")
	term.Resize(20, 6)
	term.Write([]byte("\x1b[6;1H\n\t\t"))
	checkInvariants(t, term)
	if x, _ := term.Cursor(); x != 16 {
		t.Errorf("two tabs reach column %d, want 16", x)
	}
}
