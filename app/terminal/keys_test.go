package terminal

import (
	"testing"

	"fyne.io/fyne/v2"

	"sesame/app/terminal/vt"
)

func TestEncodeKey(t *testing.T) {
	const (
		shift = fyne.KeyModifierShift
		ctrl  = fyne.KeyModifierControl
		alt   = fyne.KeyModifierAlt
		super = fyne.KeyModifierSuper
	)
	normal := vt.Modes{}
	app := vt.Modes{AppCursor: true, AppKeypad: true}
	tests := []struct {
		key   fyne.KeyName
		mods  fyne.KeyModifier
		modes vt.Modes
		want  string
	}{
		{fyne.KeyUp, 0, normal, "\x1b[A"},
		{fyne.KeyDown, 0, normal, "\x1b[B"},
		{fyne.KeyRight, 0, normal, "\x1b[C"},
		{fyne.KeyLeft, 0, normal, "\x1b[D"},
		{fyne.KeyUp, 0, app, "\x1bOA"},
		{fyne.KeyDown, 0, app, "\x1bOB"},
		{fyne.KeyRight, 0, app, "\x1bOC"},
		{fyne.KeyLeft, 0, app, "\x1bOD"},
		{fyne.KeyHome, 0, normal, "\x1b[H"},
		{fyne.KeyEnd, 0, normal, "\x1b[F"},
		{fyne.KeyHome, 0, app, "\x1bOH"},
		{fyne.KeyEnd, 0, app, "\x1bOF"},
		{fyne.KeyUp, shift, normal, "\x1b[1;2A"},
		{fyne.KeyUp, alt, normal, "\x1b[1;3A"},
		{fyne.KeyLeft, ctrl, normal, "\x1b[1;5D"},
		{fyne.KeyRight, ctrl, app, "\x1b[1;5C"}, // modified arrows ignore DECCKM
		{fyne.KeyRight, ctrl | shift, normal, "\x1b[1;6C"},
		{fyne.KeyEnd, ctrl | alt | shift, normal, "\x1b[1;8F"},
		{fyne.KeyInsert, 0, normal, "\x1b[2~"},
		{fyne.KeyDelete, 0, normal, "\x1b[3~"},
		{fyne.KeyPageUp, 0, normal, "\x1b[5~"},
		{fyne.KeyPageDown, 0, app, "\x1b[6~"},
		{fyne.KeyDelete, ctrl, normal, "\x1b[3;5~"},
		{fyne.KeyPageUp, alt, normal, "\x1b[5;3~"},
		{fyne.KeyF1, 0, normal, "\x1bOP"},
		{fyne.KeyF2, 0, normal, "\x1bOQ"},
		{fyne.KeyF3, 0, normal, "\x1bOR"},
		{fyne.KeyF4, 0, normal, "\x1bOS"},
		{fyne.KeyF5, 0, normal, "\x1b[15~"},
		{fyne.KeyF6, 0, normal, "\x1b[17~"},
		{fyne.KeyF7, 0, normal, "\x1b[18~"},
		{fyne.KeyF8, 0, normal, "\x1b[19~"},
		{fyne.KeyF9, 0, normal, "\x1b[20~"},
		{fyne.KeyF10, 0, normal, "\x1b[21~"},
		{fyne.KeyF11, 0, normal, "\x1b[23~"},
		{fyne.KeyF12, 0, normal, "\x1b[24~"},
		{fyne.KeyF1, shift, normal, "\x1b[1;2P"},
		{fyne.KeyF5, ctrl, normal, "\x1b[15;5~"},
		{fyne.KeyF12, shift, normal, "\x1b[24;2~"},
		{fyne.KeyReturn, 0, normal, "\r"},
		{fyne.KeyReturn, 0, vt.Modes{NewLine: true}, "\r\n"},
		{fyne.KeyReturn, alt, normal, "\x1b\r"},
		{fyne.KeyEnter, 0, normal, "\r"},
		{fyne.KeyEnter, 0, app, "\x1bOM"},
		{fyne.KeyBackspace, 0, normal, "\x7f"},
		{fyne.KeyBackspace, ctrl, normal, "\x08"},
		{fyne.KeyBackspace, alt, normal, "\x1b\x7f"},
		{fyne.KeyTab, 0, normal, "\t"},
		{fyne.KeyTab, shift, normal, "\x1b[Z"},
		{fyne.KeyEscape, 0, normal, "\x1b"},
		{fyne.KeyA, ctrl, normal, "\x01"},
		{fyne.KeyC, ctrl, normal, "\x03"},
		{fyne.KeyD, ctrl, app, "\x04"},
		{fyne.KeyZ, ctrl, normal, "\x1a"},
		{fyne.KeyC, ctrl | shift, normal, "\x03"},
		{fyne.KeySpace, ctrl, normal, "\x00"},
		{fyne.Key2, ctrl, normal, "\x00"},
		{fyne.KeyLeftBracket, ctrl, normal, "\x1b"},
		{fyne.KeyBackslash, ctrl, normal, "\x1c"},
		{fyne.KeyRightBracket, ctrl, normal, "\x1d"},
		{fyne.Key6, ctrl, normal, "\x1e"},
		{fyne.KeySlash, ctrl, normal, "\x1f"},
		{fyne.KeyMinus, ctrl, normal, "\x1f"},
		{fyne.Key8, ctrl, normal, "\x7f"},
		{fyne.KeyX, alt, normal, "\x1bx"},
		{fyne.KeyX, alt | shift, normal, "\x1bX"},
		{fyne.Key1, alt, normal, "\x1b1"},
		{fyne.KeyPeriod, alt, normal, "\x1b."},
		{fyne.KeyB, ctrl | alt, normal, "\x1b\x02"},
		{fyne.KeySpace, alt, normal, "\x1b "},
		// Not for the program: text comes through TypedRune, Super belongs
		// to the desktop, modifiers alone send nothing.
		{fyne.KeyA, 0, normal, ""},
		{fyne.KeyA, shift, normal, ""},
		{fyne.KeySpace, 0, normal, ""},
		{fyne.Key1, 0, normal, ""},
		{fyne.KeyC, super, normal, ""},
		{fyne.KeyUp, super, normal, ""},
		{"LeftShift", shift, normal, ""},
		{fyne.KeyUnknown, ctrl, normal, ""},
	}
	for _, tt := range tests {
		got := encodeKey(tt.key, tt.mods, tt.modes)
		if string(got) != tt.want {
			t.Errorf("encodeKey(%q, mods %d, app cursor %v) = %q, want %q", tt.key, tt.mods, tt.modes.AppCursor, got, tt.want)
		}
	}
}

func TestLocalAction(t *testing.T) {
	const cs = fyne.KeyModifierControl | fyne.KeyModifierShift
	tests := []struct {
		key  fyne.KeyName
		mods fyne.KeyModifier
		want action
	}{
		{fyne.KeyC, cs, actCopy},
		{fyne.KeyV, cs, actPaste},
		{fyne.KeyInsert, fyne.KeyModifierControl, actCopy},
		{fyne.KeyInsert, fyne.KeyModifierShift, actPaste},
		{fyne.KeyPageUp, fyne.KeyModifierShift, actPageUp},
		{fyne.KeyPageDown, fyne.KeyModifierShift, actPageDown},
		{fyne.KeyC, fyne.KeyModifierControl, actNone}, // Ctrl+C is for the program
		{fyne.KeyV, fyne.KeyModifierControl, actNone},
		{fyne.KeyPageUp, 0, actNone},
	}
	for _, tt := range tests {
		if got := localAction(tt.key, tt.mods); got != tt.want {
			t.Errorf("localAction(%q, %d) = %d, want %d", tt.key, tt.mods, got, tt.want)
		}
	}
}

func TestMouseReport(t *testing.T) {
	tests := []struct {
		name          string
		code, col, ro int
		release, sgr  bool
		want          string
	}{
		{"SGR press", 0, 2, 1, false, true, "\x1b[<0;3;2M"},
		{"SGR release", 0, 2, 1, true, true, "\x1b[<0;3;2m"},
		{"SGR right with ctrl", 2 | 16, 0, 0, false, true, "\x1b[<18;1;1M"},
		{"SGR wheel", 65, 9, 9, false, true, "\x1b[<65;10;10M"},
		{"SGR far", 32, 300, 400, false, true, "\x1b[<32;301;401M"},
		{"legacy press", 0, 2, 1, false, false, "\x1b[M #\""},
		{"legacy release", 2, 2, 1, true, false, "\x1b[M##\""},
		{"legacy clamps", 0, 500, 0, false, false, "\x1b[M \xff!"},
	}
	for _, tt := range tests {
		if got := mouseReport(tt.code, tt.col, tt.ro, tt.release, tt.sgr); string(got) != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
