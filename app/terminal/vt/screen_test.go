package vt

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCursorMoves(t *testing.T) {
	tests := []struct {
		name  string
		input string
		x, y  int
	}{
		{"home", "abc\x1b[H", 0, 0},
		{"CUP", "\x1b[3;5H", 4, 2},
		{"CUP defaults", "\x1b[3;5H\x1b[;H", 0, 0},
		{"HVP", "\x1b[2;2f", 1, 1},
		{"CUP clamped", "\x1b[99;99H", 9, 4},
		{"CUU", "\x1b[4;4H\x1b[2A", 3, 1},
		{"CUU stops at the top", "\x1b[2;1H\x1b[9A", 0, 0},
		{"CUD", "\x1b[2B", 0, 2},
		{"CUD stops at the bottom", "\x1b[9B", 0, 4},
		{"CUF", "\x1b[3C", 3, 0},
		{"CUF stops at the margin", "\x1b[30C", 9, 0},
		{"CUB", "\x1b[1;6H\x1b[2D", 3, 0},
		{"CUB zero means one", "\x1b[1;6H\x1b[0D", 4, 0},
		{"CNL", "abc\x1b[2E", 0, 2},
		{"CPL", "\x1b[4;4H\x1b[2F", 0, 1},
		{"CHA", "\x1b[7G", 6, 0},
		{"HPA", "\x1b[7`", 6, 0},
		{"HPR", "\x1b[2;2H\x1b[3a", 4, 1},
		{"VPA", "\x1b[1;3H\x1b[4d", 2, 3},
		{"VPR", "\x1b[1;3H\x1b[2e", 2, 2},
		{"CR", "abc\r", 0, 0},
		{"LF keeps the column", "abc\n", 3, 1},
		{"BS", "abc\b", 2, 0},
		{"BS at the margin", "\b", 0, 0},
		{"HT", "\t", 8, 0},
		{"HT twice stops at the margin", "\t\t", 9, 0},
		{"CHT", "\x1b[2I", 9, 0},
		{"CBT", "\x1b[1;10H\x1b[Z", 8, 0},
		{"TBC and HTS", "\x1b[3g\x1b[1;4H\x1bH\r\t", 3, 0},
		{"IND", "\x1bD", 0, 1},
		{"NEL", "ab\x1bE", 0, 1},
		{"RI", "\n\n\x1bM", 0, 1},
		{"DECSC DECRC", "\x1b[2;3H\x1b7\x1b[H\x1b8", 2, 1},
		{"SCOSC SCORC", "\x1b[4;5H\x1b[s\x1b[H\x1b[u", 4, 3},
		{"restore without save goes home", "\x1b[3;3H\x1b8", 0, 0},
		{"autowrap pending", "0123456789", 9, 0},
		{"autowrap wraps on the next character", "0123456789a", 1, 1},
		{"CR clears the pending wrap", "0123456789\rX", 1, 0},
		{"BS from the pending wrap", "0123456789\b", 8, 0},
		{"no autowrap", "\x1b[?7l0123456789abc", 9, 0},
		{"origin mode homes to the region", "\x1b[2;4r\x1b[?6h", 0, 1},
		{"origin mode CUP is relative", "\x1b[2;4r\x1b[?6h\x1b[2;3H", 2, 2},
		{"origin mode CUP stays in the region", "\x1b[2;4r\x1b[?6h\x1b[9;1H", 0, 3},
		{"DECSTBM homes the cursor", "\x1b[3;3H\x1b[2;4r", 0, 0},
		{"CUU stops at the top margin", "\x1b[2;4r\x1b[4;1H\x1b[9A", 0, 1},
		{"CUD stops at the bottom margin", "\x1b[2;4r\x1b[2;1H\x1b[9B", 0, 3},
		{"CUD below the region", "\x1b[2;3r\x1b[4;1H\x1b[9B", 0, 4},
		{"controls inside CSI run", "\x1b[2\n;3H", 2, 1},
		{"CAN aborts a sequence", "\x1b[5\x18A", 1, 0},
		{"unknown CSI ignored", "ab\x1b[?99zc", 3, 0},
		{"DCS ignored", "\x1bPq#0;2;0;0;0#0~~@@\x1b\\ab", 2, 0},
		{"APC ignored", "\x1b_Gf=24;AAAA\x1b\\ab", 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, 10, 5, tt.input)
			if x, y := term.Cursor(); x != tt.x || y != tt.y {
				t.Errorf("cursor at %d,%d, want %d,%d", x, y, tt.x, tt.y)
			}
		})
	}
}

// fill10x4 writes a 10x4 screen of distinct rows and puts the cursor on
// row 2, column 5.
const fill10x4 = "aaaaaaaaaa\r\nbbbbbbbbbb\r\ncccccccccc\r\ndddddddddd\x1b[2;5H"

func TestEditing(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"ED 0", fill10x4 + "\x1b[J", []string{"aaaaaaaaaa", "bbbb", "", ""}},
		{"ED 1", fill10x4 + "\x1b[1J", []string{"", "     bbbbb", "cccccccccc", "dddddddddd"}},
		{"ED 2", fill10x4 + "\x1b[2J", []string{"", "", "", ""}},
		{"EL 0", fill10x4 + "\x1b[K", []string{"aaaaaaaaaa", "bbbb", "cccccccccc", "dddddddddd"}},
		{"EL 1", fill10x4 + "\x1b[1K", []string{"aaaaaaaaaa", "     bbbbb", "cccccccccc", "dddddddddd"}},
		{"EL 2", fill10x4 + "\x1b[2K", []string{"aaaaaaaaaa", "", "cccccccccc", "dddddddddd"}},
		{"ECH", fill10x4 + "\x1b[3X", []string{"aaaaaaaaaa", "bbbb   bbb", "cccccccccc", "dddddddddd"}},
		{"ECH past the margin", fill10x4 + "\x1b[99X", []string{"aaaaaaaaaa", "bbbb", "cccccccccc", "dddddddddd"}},
		{"ICH", "0123456789\x1b[1;3H\x1b[2@", []string{"01  234567", "", "", ""}},
		{"DCH", "0123456789\x1b[1;3H\x1b[2P", []string{"01456789", "", "", ""}},
		{"IRM", "0123456789\x1b[1;3H\x1b[4hXY\x1b[4lZ", []string{"01XYZ34567", "", "", ""}},
		{"IL", fill10x4 + "\x1b[L", []string{"aaaaaaaaaa", "", "bbbbbbbbbb", "cccccccccc"}},
		{"DL", fill10x4 + "\x1b[2M", []string{"aaaaaaaaaa", "dddddddddd", "", ""}},
		{"IL inside a region", fill10x4 + "\x1b[1;3r\x1b[2;1H\x1b[L", []string{"aaaaaaaaaa", "", "bbbbbbbbbb", "dddddddddd"}},
		{"IL outside the region does nothing", fill10x4 + "\x1b[1;2r\x1b[4;1H\x1b[L", []string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}},
		{"LF scrolls the region", fill10x4 + "\x1b[2;3r\x1b[3;1H\nX", []string{"aaaaaaaaaa", "cccccccccc", "X", "dddddddddd"}},
		{"RI scrolls the region down", fill10x4 + "\x1b[2;3r\x1b[2;1H\x1bMX", []string{"aaaaaaaaaa", "X", "bbbbbbbbbb", "dddddddddd"}},
		{"SU", fill10x4 + "\x1b[2S", []string{"cccccccccc", "dddddddddd", "", ""}},
		{"SD", fill10x4 + "\x1b[T", []string{"", "aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"}},
		{"SU in a region", fill10x4 + "\x1b[2;3r\x1b[S", []string{"aaaaaaaaaa", "cccccccccc", "", "dddddddddd"}},
		{"REP", "ab\x1b[3b", []string{"abbbb", "", "", ""}},
		{"autowrap", "0123456789abc", []string{"0123456789", "abc", "", ""}},
		{"no autowrap overwrites the margin", "\x1b[?7l0123456789abc", []string{"012345678c", "", "", ""}},
		{"DEC line drawing", "\x1b(0lqk\x1b(Bq", []string{"┌─┐q", "", "", ""}},
		{"SO and SI", "\x1b)0\x0eq\x0fq", []string{"─q", "", "", ""}},
		{"DECALN", "\x1b#8", []string{"EEEEEEEEEE", "EEEEEEEEEE", "EEEEEEEEEE", "EEEEEEEEEE"}},
		{"RIS", fill10x4 + "\x1bc", []string{"", "", "", ""}},
		{"C1 and DEL are not printed", "a\u0085\x7fb", []string{"ab", "", "", ""}},
		{"invalid UTF-8", "a\xffb\xe2\x82c", []string{"a\uFFFDb\uFFFD\uFFFDc", "", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rows(newTerm(t, 10, 4, tt.input))
			if !slices.Equal(got, tt.want) {
				t.Errorf("screen\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestAltScreen(t *testing.T) {
	const main = "main 1\r\nmain 2\x1b[2;3H"
	tests := []struct {
		name, enter, leave string
		x, y               int // cursor after leaving
	}{
		{"1049 restores the cursor", "\x1b[?1049h", "\x1b[?1049l", 2, 1},
		{"1047", "\x1b[?1047h", "\x1b[?1047l", 5, 3},
		{"47", "\x1b[?47h", "\x1b[?47l", 5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, 10, 4, main+tt.enter)
			if !term.Modes().AltScreen {
				t.Fatal("alternate screen not entered")
			}
			term.Write([]byte("\x1b[Halt\x1b[4;6H"))
			if got := term.LineText(0); got != "alt" {
				t.Errorf("alternate screen row 0 = %q", got)
			}
			if got := term.LineText(1); got != "" {
				t.Errorf("alternate screen row 1 = %q, want it blank", got)
			}
			term.Write([]byte(tt.leave))
			if term.Modes().AltScreen {
				t.Fatal("alternate screen not left")
			}
			if got := rows(term); !slices.Equal(got, []string{"main 1", "main 2", "", ""}) {
				t.Errorf("main screen after leaving = %q", got)
			}
			if x, y := term.Cursor(); x != tt.x || y != tt.y {
				t.Errorf("cursor %d,%d, want %d,%d", x, y, tt.x, tt.y)
			}
			checkInvariants(t, term)
		})
	}
}

// 1049 clears the alternate screen on entry; 1047 clears it on exit.
func TestAltScreenClearing(t *testing.T) {
	term := newTerm(t, 10, 2, "\x1b[?47hstale\x1b[?47l\x1b[?1049h")
	if got := term.LineText(0); got != "" {
		t.Errorf("1049 kept %q on the alternate screen", got)
	}
	term = newTerm(t, 10, 2, "\x1b[?1047hstale\x1b[?1047l\x1b[?47h")
	if got := term.LineText(0); got != "" {
		t.Errorf("1047 left %q on the alternate screen", got)
	}
}

func TestScrollback(t *testing.T) {
	term := New(Options{Cols: 20, Rows: 5})
	const n = 25000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "line %d\r\n", i)
	}
	term.Write([]byte(b.String()))
	checkInvariants(t, term)

	var s Snapshot
	term.Snapshot(&s, -1)
	if got := s.LiveTop - s.First; got != DefaultScrollback {
		t.Fatalf("scrollback holds %d lines, want %d", got, DefaultScrollback)
	}
	// The screen shows the last 4 lines and the empty line after them.
	if got := rows(term); !slices.Equal(got, []string{"line 24996", "line 24997", "line 24998", "line 24999", ""}) {
		t.Errorf("screen = %q", got)
	}
	// 24996 lines left the screen; the last 10000 of them are kept.
	term.Snapshot(&s, 0)
	if s.Top != s.First {
		t.Errorf("top %d clamped to %d, want the first line %d", 0, s.Top, s.First)
	}
	if got, want := lineString(&s, 0), "line 14996"; got != want {
		t.Errorf("oldest line = %q, want %q", got, want)
	}
	// A window into the middle.
	term.Snapshot(&s, s.LiveTop-3)
	if got := lineString(&s, 0); got != "line 24993" {
		t.Errorf("3 lines back, first row = %q", got)
	}
	if s.CursorY != 4+3 && s.CursorY != -1 {
		t.Errorf("cursor row %d in a scrolled view", s.CursorY)
	}
	// Text across scrollback and screen.
	if got, want := term.Text(Pos{Line: s.LiveTop - 1}, Pos{Line: s.LiveTop, Col: 99}), "line 24995\nline 24996"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	// ED 3 clears it.
	term.Write([]byte("\x1b[3J"))
	term.Snapshot(&s, 0)
	if s.LiveTop != s.First {
		t.Errorf("after ED 3, %d scrollback lines", s.LiveTop-s.First)
	}
}

func lineString(s *Snapshot, y int) string {
	var b strings.Builder
	for _, c := range s.Lines[y].Cells {
		if c.Attr&WideSpacer == 0 {
			b.WriteString(s.Text(c))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// Only the main screen feeds the scrollback, and only lines scrolled off
// the top of the screen.
func TestScrollbackSources(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  int64
	}{
		{"main screen", "1\n2\n3\n4\n5", 2},
		{"alternate screen", "\x1b[?1049h1\n2\n3\n4\n5", 0},
		{"region not at the top", "\x1b[2;3r\x1b[3;1H\n\n\n\n", 0},
		{"region at the top", "\x1b[1;2r\x1b[2;1H\n\n\n", 3},
		{"SU", "\x1b[2S", 2},
		{"DL", "\x1b[2M", 0},
		{"ED 2", "x\x1b[2J", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerm(t, 10, 3, tt.input)
			var s Snapshot
			term.Snapshot(&s, -1)
			if got := s.LiveTop - s.First; got != tt.want {
				t.Errorf("%d scrollback lines, want %d", got, tt.want)
			}
		})
	}
}

func TestScrollbackDisabled(t *testing.T) {
	term := New(Options{Cols: 10, Rows: 2, Scrollback: -1})
	term.Write([]byte("1\r\n2\r\n3\r\n4"))
	var s Snapshot
	term.Snapshot(&s, 0)
	if s.LiveTop != s.First || lineString(&s, 0) != "3" {
		t.Errorf("no-scrollback terminal kept %d lines; row 0 %q", s.LiveTop-s.First, lineString(&s, 0))
	}
}

func TestReplies(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"DSR status", "\x1b[5n", "\x1b[0n"},
		{"CPR", "\x1b[3;5H\x1b[6n", "\x1b[3;5R"},
		{"CPR in origin mode", "\x1b[2;4r\x1b[?6h\x1b[2;3H\x1b[6n", "\x1b[2;3R"},
		{"DECXCPR", "\x1b[2;2H\x1b[?6n", "\x1b[?2;2R"},
		{"DA1", "\x1b[c", "\x1b[?62;22c"},
		{"DA1 with zero", "\x1b[0c", "\x1b[?62;22c"},
		{"DECID", "\x1bZ", "\x1b[?62;22c"},
		{"DA2", "\x1b[>c", "\x1b[>1;10;0c"},
		{"DECRQM set", "\x1b[?2004h\x1b[?2004$p", "\x1b[?2004;1$y"},
		{"DECRQM reset", "\x1b[?1049$p", "\x1b[?1049;2$y"},
		{"DECRQM unknown", "\x1b[?4242$p", "\x1b[?4242;0$y"},
		{"DECRQM ANSI", "\x1b[4h\x1b[4$p", "\x1b[4;1$y"},
		{"text area size", "\x1b[18t", "\x1b[8;4;10t"},
		{"background colour, ST", "\x1b]11;?\x1b\\", "\x1b]11;rgb:1010/2020/3030\x1b\\"},
		{"foreground colour, BEL", "\x1b]10;?\a", "\x1b]10;rgb:f0f0/f0f0/f0f0\a"},
		{"title report is never echoed", "\x1b]2;rm -rf /\n\a\x1b[21t", ""},
		{"clipboard is ignored", "\x1b]52;c;?\a", ""},
		{"several", "\x1b[5n\x1b[6n", "\x1b[0n\x1b[1;1R"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			term := New(Options{Cols: 10, Rows: 4, Reply: func(b []byte) { got = append(got, b...) }})
			term.SetDefaultColors([3]uint8{0xf0, 0xf0, 0xf0}, [3]uint8{0x10, 0x20, 0x30})
			term.Write([]byte(tt.input))
			if string(got) != tt.want {
				t.Errorf("reply %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModes(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(Modes) bool
	}{
		{"defaults", "", func(m Modes) bool {
			return m.CursorVisible && !m.AppCursor && !m.BracketedPaste && m.Mouse == MouseOff && m.AltScroll
		}},
		{"DECCKM", "\x1b[?1h", func(m Modes) bool { return m.AppCursor }},
		{"DECCKM off", "\x1b[?1h\x1b[?1l", func(m Modes) bool { return !m.AppCursor }},
		{"keypad", "\x1b=", func(m Modes) bool { return m.AppKeypad }},
		{"keypad off", "\x1b=\x1b>", func(m Modes) bool { return !m.AppKeypad }},
		{"hidden cursor", "\x1b[?25l", func(m Modes) bool { return !m.CursorVisible }},
		{"bracketed paste", "\x1b[?2004h", func(m Modes) bool { return m.BracketedPaste }},
		{"several at once", "\x1b[?1;2004;1006h", func(m Modes) bool { return m.AppCursor && m.BracketedPaste && m.MouseSGR }},
		{"mouse 1000", "\x1b[?1000h", func(m Modes) bool { return m.Mouse == MouseClick }},
		{"mouse 1002", "\x1b[?1002h", func(m Modes) bool { return m.Mouse == MouseDrag }},
		{"mouse 1003", "\x1b[?1003h", func(m Modes) bool { return m.Mouse == MouseMotion }},
		{"mouse off", "\x1b[?1002h\x1b[?1002l", func(m Modes) bool { return m.Mouse == MouseOff }},
		{"SGR mouse", "\x1b[?1006h", func(m Modes) bool { return m.MouseSGR }},
		{"focus events", "\x1b[?1004h", func(m Modes) bool { return m.FocusEvents }},
		{"LNM", "\x1b[20h", func(m Modes) bool { return m.NewLine }},
		{"bar cursor", "\x1b[6 q", func(m Modes) bool { return m.CursorShape == CursorBar }},
		{"underline cursor", "\x1b[4 q", func(m Modes) bool { return m.CursorShape == CursorUnderline }},
		{"DECSTR", "\x1b[?1h\x1b[?25l\x1b[!p", func(m Modes) bool { return !m.AppCursor && m.CursorVisible }},
		{"RIS", "\x1b[?2004h\x1b[?1049h\x1bc", func(m Modes) bool { return !m.BracketedPaste && !m.AltScreen }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m := newTerm(t, 10, 4, tt.input).Modes(); !tt.check(m) {
				t.Errorf("modes %+v", m)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	var titles []string
	term := New(Options{Title: func(s string) { titles = append(titles, s) }})
	term.Write([]byte("\x1b]0;one\a\x1b]2;tw"))
	term.Write([]byte("o\x1b\\\x1b]1;icon only\a\x1b[22t\x1b]2;vim\a\x1b[23t\x1b]2;x\x01y\xc2\x9bz\a"))
	// Titles within one Write coalesce to the last one.
	if got := term.Title(); got != "xyz" {
		t.Errorf("Title() = %q", got)
	}
	if len(titles) != 2 || titles[0] != "one" || titles[1] != "xyz" {
		t.Errorf("title callbacks %q", titles)
	}
}

func TestTitleStack(t *testing.T) {
	term := newTerm(t, 10, 2, "\x1b]2;shell\a\x1b[22;0t\x1b]2;vim\a")
	if got := term.Title(); got != "vim" {
		t.Fatalf("title %q", got)
	}
	term.Write([]byte("\x1b[23;0t"))
	if got := term.Title(); got != "shell" {
		t.Errorf("title after pop %q, want shell", got)
	}
}

func TestBell(t *testing.T) {
	rang := 0
	term := New(Options{Bell: func() { rang++ }})
	term.Write([]byte("a\ab\x1b]2;t\a"))
	if rang != 1 {
		t.Errorf("bell rang %d times, want 1 (the OSC terminator is not a bell)", rang)
	}
}
