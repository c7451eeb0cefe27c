package terminal

import (
	"runtime"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"sesame/app/terminal/vt"
)

// keyCode is how xterm encodes a special key: the final byte, and the
// number before it for keys sent as CSI n ~.
type keyCode struct {
	final byte
	num   int
	ss3   bool // sent as SS3 (ESC O) when unmodified: F1–F4
	arrow bool // follows the cursor key mode (DECCKM)
}

var specialKeys = map[fyne.KeyName]keyCode{
	fyne.KeyUp:       {final: 'A', arrow: true},
	fyne.KeyDown:     {final: 'B', arrow: true},
	fyne.KeyRight:    {final: 'C', arrow: true},
	fyne.KeyLeft:     {final: 'D', arrow: true},
	fyne.KeyHome:     {final: 'H', arrow: true},
	fyne.KeyEnd:      {final: 'F', arrow: true},
	fyne.KeyInsert:   {final: '~', num: 2},
	fyne.KeyDelete:   {final: '~', num: 3},
	fyne.KeyPageUp:   {final: '~', num: 5},
	fyne.KeyPageDown: {final: '~', num: 6},
	fyne.KeyF1:       {final: 'P', ss3: true},
	fyne.KeyF2:       {final: 'Q', ss3: true},
	fyne.KeyF3:       {final: 'R', ss3: true},
	fyne.KeyF4:       {final: 'S', ss3: true},
	fyne.KeyF5:       {final: '~', num: 15},
	fyne.KeyF6:       {final: '~', num: 17},
	fyne.KeyF7:       {final: '~', num: 18},
	fyne.KeyF8:       {final: '~', num: 19},
	fyne.KeyF9:       {final: '~', num: 20},
	fyne.KeyF10:      {final: '~', num: 21},
	fyne.KeyF11:      {final: '~', num: 23},
	fyne.KeyF12:      {final: '~', num: 24},
}

// ctrlSymbols are the control characters of Ctrl with a digit or symbol,
// as xterm sends them.
var ctrlSymbols = map[fyne.KeyName]byte{
	fyne.KeySpace:        0x00,
	fyne.Key2:            0x00,
	fyne.KeyLeftBracket:  0x1b,
	fyne.Key3:            0x1b,
	fyne.KeyBackslash:    0x1c,
	fyne.Key4:            0x1c,
	fyne.KeyRightBracket: 0x1d,
	fyne.Key5:            0x1d,
	fyne.Key6:            0x1e,
	fyne.KeySlash:        0x1f,
	fyne.KeyMinus:        0x1f,
	fyne.Key7:            0x1f,
	fyne.Key8:            0x7f,
}

// encodeKey returns the bytes xterm sends for a key with modifiers, or nil
// when the key is not for the program: plain printable keys (their text
// arrives through TypedRune), modifier keys, and Super combinations, which
// belong to the desktop.
func encodeKey(name fyne.KeyName, mods fyne.KeyModifier, m vt.Modes) []byte {
	if mods&fyne.KeyModifierSuper != 0 {
		return nil
	}
	shift := mods&fyne.KeyModifierShift != 0
	alt := mods&fyne.KeyModifierAlt != 0
	ctrl := mods&fyne.KeyModifierControl != 0

	if k, ok := specialKeys[name]; ok {
		param := 1
		if shift {
			param++
		}
		if alt {
			param += 2
		}
		if ctrl {
			param += 4
		}
		switch {
		case param > 1 && k.num > 0:
			return []byte("\x1b[" + strconv.Itoa(k.num) + ";" + strconv.Itoa(param) + "~")
		case param > 1:
			return []byte("\x1b[1;" + strconv.Itoa(param) + string(k.final))
		case k.num > 0:
			return []byte("\x1b[" + strconv.Itoa(k.num) + "~")
		case k.ss3 || k.arrow && m.AppCursor:
			return []byte{0x1b, 'O', k.final}
		default:
			return []byte{0x1b, '[', k.final}
		}
	}

	var b []byte
	switch name {
	case fyne.KeyReturn:
		b = []byte{'\r'}
		if m.NewLine {
			b = append(b, '\n')
		}
	case fyne.KeyEnter: // the keypad's
		b = []byte{'\r'}
		if m.AppKeypad {
			b = []byte("\x1bOM")
		}
	case fyne.KeyTab:
		if shift {
			return []byte("\x1b[Z")
		}
		b = []byte{'\t'}
	case fyne.KeyBackspace:
		b = []byte{0x7f}
		if ctrl {
			b = []byte{0x08}
		}
	case fyne.KeyEscape:
		b = []byte{0x1b}
	default:
		b = charKey(name, shift, ctrl)
		if b == nil || !ctrl && !alt {
			return nil // plain text comes through TypedRune
		}
	}
	if alt {
		b = append([]byte{0x1b}, b...)
	}
	return b
}

// charKey is what a printable key sends with Ctrl, or its character.
func charKey(name fyne.KeyName, shift, ctrl bool) []byte {
	if len(name) != 1 && name != fyne.KeySpace {
		return nil
	}
	if ctrl {
		if c, ok := ctrlSymbols[name]; ok {
			return []byte{c}
		}
		if c := name[0]; c >= 'A' && c <= 'Z' {
			return []byte{c - 'A' + 1}
		}
		return nil
	}
	if name == fyne.KeySpace {
		return []byte{' '}
	}
	c := name[0]
	if c >= 'A' && c <= 'Z' && !shift {
		c += 'a' - 'A'
	}
	return []byte{c}
}

// shortcutKey turns the shortcuts Fyne makes of some key presses back into
// the key and its modifiers.
func shortcutKey(s fyne.Shortcut) (fyne.KeyName, fyne.KeyModifier, bool) {
	primary := fyne.KeyModifierControl
	if runtime.GOOS == "darwin" {
		primary = fyne.KeyModifierSuper
	}
	switch s := s.(type) {
	case *desktop.CustomShortcut:
		return s.KeyName, s.Modifier, true
	case *fyne.ShortcutCopy:
		if s.Secondary {
			return fyne.KeyInsert, fyne.KeyModifierControl, true
		}
		return fyne.KeyC, primary, true
	case *fyne.ShortcutPaste:
		if s.Secondary {
			return fyne.KeyInsert, fyne.KeyModifierShift, true
		}
		return fyne.KeyV, primary, true
	case *fyne.ShortcutCut:
		if s.Secondary {
			return fyne.KeyDelete, fyne.KeyModifierShift, true
		}
		return fyne.KeyX, primary, true
	case *fyne.ShortcutSelectAll:
		return fyne.KeyA, primary, true
	case *fyne.ShortcutUndo:
		return fyne.KeyZ, primary, true
	case *fyne.ShortcutRedo:
		return fyne.KeyY, primary, true
	}
	return "", 0, false
}

// Local actions: the keys the widget keeps for itself.
type action int

const (
	actNone action = iota
	actCopy
	actPaste
	actPageUp
	actPageDown
)

// localAction is what the widget does itself with a key: copy and paste
// (Ctrl+Shift+C/V, Ctrl+Insert and Shift+Insert; Cmd+C/V on macOS) and
// Shift+PgUp/PgDn to scroll back.
func localAction(name fyne.KeyName, mods fyne.KeyModifier) action {
	cs := fyne.KeyModifierControl | fyne.KeyModifierShift
	switch {
	case name == fyne.KeyC && (mods == cs || runtime.GOOS == "darwin" && mods == fyne.KeyModifierSuper),
		name == fyne.KeyInsert && mods == fyne.KeyModifierControl:
		return actCopy
	case name == fyne.KeyV && (mods == cs || runtime.GOOS == "darwin" && mods == fyne.KeyModifierSuper),
		name == fyne.KeyInsert && mods == fyne.KeyModifierShift:
		return actPaste
	case name == fyne.KeyPageUp && mods == fyne.KeyModifierShift:
		return actPageUp
	case name == fyne.KeyPageDown && mods == fyne.KeyModifierShift:
		return actPageDown
	}
	return actNone
}
