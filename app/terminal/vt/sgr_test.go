package vt

import "testing"

func TestSGR(t *testing.T) {
	red := IndexColor(1)
	tests := []struct {
		name   string
		input  string
		fg, bg Color
		attr   Attr
	}{
		{"none", "A", DefaultColor, DefaultColor, 0},
		{"ansi fg", "\x1b[31mA", red, DefaultColor, 0},
		{"ansi bg", "\x1b[42mA", DefaultColor, IndexColor(2), 0},
		{"bright fg", "\x1b[91mA", IndexColor(9), DefaultColor, 0},
		{"bright bg", "\x1b[107mA", DefaultColor, IndexColor(15), 0},
		{"256 fg", "\x1b[38;5;196mA", IndexColor(196), DefaultColor, 0},
		{"256 bg", "\x1b[48;5;21mA", DefaultColor, IndexColor(21), 0},
		{"256 colon", "\x1b[38:5:196mA", IndexColor(196), DefaultColor, 0},
		{"256 clamped", "\x1b[38;5;999mA", IndexColor(255), DefaultColor, 0},
		{"truecolor fg", "\x1b[38;2;1;2;3mA", RGBColor(1, 2, 3), DefaultColor, 0},
		{"truecolor bg", "\x1b[48;2;10;20;30mA", DefaultColor, RGBColor(10, 20, 30), 0},
		{"truecolor colon", "\x1b[38:2:1:2:3mA", RGBColor(1, 2, 3), DefaultColor, 0},
		{"truecolor colon with space id", "\x1b[38:2::1:2:3mA", RGBColor(1, 2, 3), DefaultColor, 0},
		{"truecolor colon with space id set", "\x1b[48:2:0:4:5:6mA", DefaultColor, RGBColor(4, 5, 6), 0},
		// 0;0;5 is blue-ish RGB, not palette 5 (magenta).
		{"truecolor is not a palette index", "\x1b[38;2;0;0;5mA", RGBColor(0, 0, 5), DefaultColor, 0},
		{"truecolor then more", "\x1b[38;2;255;0;0;48;5;4;1mA", RGBColor(255, 0, 0), IndexColor(4), Bold},
		{"colon group does not eat the next", "\x1b[38:5:10;41mA", IndexColor(10), red, 0},
		{"underline colour skipped", "\x1b[58:2::1:2:3;31mA", red, DefaultColor, 0},
		{"underline colour semicolons skipped", "\x1b[58;5;9;31mA", red, DefaultColor, 0},
		{"attributes", "\x1b[1;2;3;4;5;7;8;9mA", DefaultColor, DefaultColor, Bold | Faint | Italic | Underline | Blink | Reverse | Hidden | Strike},
		{"attributes off", "\x1b[1;2;3;4;5;7;8;9m\x1b[22;23;24;25;27;28;29mA", DefaultColor, DefaultColor, 0},
		{"curly underline", "\x1b[4:3;31mA", red, DefaultColor, Underline},
		{"underline off by sub-parameter", "\x1b[4m\x1b[4:0mA", DefaultColor, DefaultColor, 0},
		{"double underline", "\x1b[21mA", DefaultColor, DefaultColor, Underline},
		{"default colours", "\x1b[31;42m\x1b[39;49mA", DefaultColor, DefaultColor, 0},
		{"reset", "\x1b[1;31;42m\x1b[0mA", DefaultColor, DefaultColor, 0},
		{"empty reset", "\x1b[1;31m\x1b[mA", DefaultColor, DefaultColor, 0},
		{"reset in the middle", "\x1b[1;31;0;32mA", IndexColor(2), DefaultColor, 0},
		{"malformed extended colour keeps the pen", "\x1b[32m\x1b[38;2;1mA", IndexColor(2), DefaultColor, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTerm(t, 10, 2, tt.input).Cell(0, 0)
			if c.Rune != 'A' || c.FG != tt.fg || c.BG != tt.bg || c.Attr != tt.attr {
				t.Errorf("cell = %q fg %#x bg %#x attr %#x, want 'A' fg %#x bg %#x attr %#x",
					c.Rune, c.FG, c.BG, c.Attr, tt.fg, tt.bg, tt.attr)
			}
		})
	}
}

func TestColorKinds(t *testing.T) {
	tests := []struct {
		c    Color
		kind ColorKind
	}{
		{DefaultColor, KindDefault},
		{IndexColor(0), KindIndex},
		{IndexColor(255), KindIndex},
		{RGBColor(0, 0, 0), KindRGB},
		{RGBColor(0, 0, 255), KindRGB},
	}
	for _, tt := range tests {
		if got := tt.c.Kind(); got != tt.kind {
			t.Errorf("Color(%#x).Kind() = %d, want %d", uint32(tt.c), got, tt.kind)
		}
	}
	if IndexColor(5) == RGBColor(0, 0, 5) {
		t.Error("palette 5 and RGB 0,0,5 are the same Color")
	}
	if r, g, b := RGBColor(1, 2, 3).RGB(); r != 1 || g != 2 || b != 3 {
		t.Errorf("RGB() = %d,%d,%d", r, g, b)
	}
}

// The pen's background fills erased cells (bce), and nothing else of it.
func TestEraseUsesBackground(t *testing.T) {
	term := newTerm(t, 5, 2, "abcde\x1b[1;4;41m\x1b[1;3H\x1b[K")
	for x, want := range []Color{DefaultColor, DefaultColor, IndexColor(1), IndexColor(1), IndexColor(1)} {
		c := term.Cell(x, 0)
		if c.BG != want {
			t.Errorf("col %d bg %#x, want %#x", x, c.BG, want)
		}
		if x >= 2 && (c.Rune != ' ' || c.Attr != 0) {
			t.Errorf("col %d = %q attr %#x, want a plain blank", x, c.Rune, c.Attr)
		}
	}
}
