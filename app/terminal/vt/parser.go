package vt

import "unicode/utf8"

// parse runs the byte-level state machine (after the DEC ANSI parser that
// xterm follows). It keeps its state between calls, so sequences and UTF-8
// characters may be split anywhere.
func (t *Terminal) parse(p []byte) {
	for i := 0; i < len(p); {
		b := p[i]
		if t.state == stGround {
			if t.u8need > 0 {
				i += t.continueUTF8(p[i:])
				continue
			}
			if b >= 0x20 && b < 0x7f {
				j := i + 1
				for j < len(p) && p[j] >= 0x20 && p[j] < 0x7f {
					j++
				}
				t.printASCII(p[i:j])
				i = j
				continue
			}
			if b >= 0x80 {
				i += t.startUTF8(p[i:])
				continue
			}
		}
		t.step(b)
		i++
	}
}

// startUTF8 decodes a character starting at p[0] ≥ 0x80 and returns how many
// bytes it used. A character cut off at the end of p is buffered.
func (t *Terminal) startUTF8(p []byte) int {
	b := p[0]
	var need int
	switch {
	case b >= 0xc2 && b <= 0xdf:
		need = 2
	case b >= 0xe0 && b <= 0xef:
		need = 3
	case b >= 0xf0 && b <= 0xf4:
		need = 4
	default:
		t.printRune(utf8.RuneError)
		return 1
	}
	if len(p) >= need {
		r, n := utf8.DecodeRune(p[:need])
		if r == utf8.RuneError && n <= 1 {
			// Invalid: print one replacement for the lead byte and let the
			// rest be read again on their own.
			t.printRune(utf8.RuneError)
			return 1
		}
		t.printRune(r)
		return n
	}
	// Cut short: keep what we have, but only if it is a valid prefix so far.
	for k := 1; k < len(p); k++ {
		if p[k]&0xc0 != 0x80 {
			t.printRune(utf8.RuneError)
			return 1
		}
	}
	t.u8n = copy(t.u8[:], p)
	t.u8need = need
	return len(p)
}

// continueUTF8 continues a character that the previous Write cut short.
func (t *Terminal) continueUTF8(p []byte) int {
	used := 0
	for used < len(p) && t.u8n < t.u8need {
		b := p[used]
		if b&0xc0 != 0x80 {
			// Not a continuation: the character is broken. Replace it and
			// read b afresh.
			t.brokenUTF8()
			return used
		}
		t.u8[t.u8n] = b
		t.u8n++
		used++
	}
	if t.u8n == t.u8need {
		r, n := utf8.DecodeRune(t.u8[:t.u8n])
		if r == utf8.RuneError && n <= 1 {
			t.brokenUTF8()
			return used
		}
		t.u8n, t.u8need = 0, 0
		t.printRune(r)
	}
	return used
}

// brokenUTF8 replaces a buffered invalid sequence the way an unsplit Write
// would: one U+FFFD for the lead byte and one for each continuation byte.
func (t *Terminal) brokenUTF8() {
	for range t.u8n {
		t.printRune(utf8.RuneError)
	}
	t.u8n, t.u8need = 0, 0
}

// step feeds one byte outside the ground-state fast paths.
func (t *Terminal) step(b byte) {
	// Anywhere: CAN and SUB abort a sequence, ESC starts a new one.
	switch b {
	case 0x18, 0x1a:
		t.endString(false)
		t.state = stGround
		return
	case 0x1b:
		t.endString(false)
		t.state = stEscape
		t.inter = 0
		return
	}

	switch t.state {
	case stGround:
		if b < 0x20 {
			t.execute(b)
		} // DEL is ignored
	case stEscape:
		switch {
		case b < 0x20:
			t.execute(b)
		case b < 0x30:
			t.inter = b
			t.state = stEscInter
		case b == '[':
			t.clearParams()
			t.state = stCSI
		case b == ']':
			t.osc = t.osc[:0]
			t.state = stOSC
		case b == 'P' || b == 'X' || b == '^' || b == '_':
			t.state = stString
		case b < 0x7f:
			t.state = stGround
			t.escDispatch(b)
		}
	case stEscInter:
		switch {
		case b < 0x20:
			t.execute(b)
		case b < 0x30:
			t.inter = b
		case b < 0x7f:
			t.state = stGround
			t.escDispatch(b)
		}
	case stCSI:
		switch {
		case b < 0x20:
			t.execute(b)
		case b >= '0' && b <= '9':
			if t.nparams == 0 {
				t.nparams = 1
			}
			v := t.params[t.nparams-1]*10 + int32(b-'0')
			t.params[t.nparams-1] = min(v, maxParamValue)
		case b == ';' || b == ':':
			if t.nparams == 0 {
				t.nparams = 1
			}
			if t.nparams == maxParams {
				t.state = stCSIIgnore
				return
			}
			if b == ':' {
				t.subs |= 1 << t.nparams
			}
			t.params[t.nparams] = 0
			t.nparams++
		case b >= 0x3c && b <= 0x3f: // < = > ?
			if t.nparams > 0 || t.private != 0 {
				t.state = stCSIIgnore
				return
			}
			t.private = b
		case b < 0x30:
			t.inter = b
			t.state = stCSIInter
		case b < 0x7f:
			t.state = stGround
			t.csiDispatch(b)
		}
	case stCSIInter:
		switch {
		case b < 0x20:
			t.execute(b)
		case b < 0x30:
			t.inter = b
		case b < 0x40:
			t.state = stCSIIgnore
		case b < 0x7f:
			t.state = stGround
			t.csiDispatch(b)
		}
	case stCSIIgnore:
		switch {
		case b < 0x20:
			t.execute(b)
		case b >= 0x40 && b < 0x7f:
			t.state = stGround
		}
	case stOSC:
		switch {
		case b == 0x07:
			t.endString(true)
			t.state = stGround
		case b < 0x20:
			// other controls are ignored inside a string
		case len(t.osc) < maxOSC:
			t.osc = append(t.osc, b)
		}
	case stString:
		// Ignored up to ST (ESC \), CAN or SUB, handled above.
	}
}

// endString finishes an OSC string when ESC, BEL, CAN or SUB ends it; bel
// says whether BEL did.
func (t *Terminal) endString(bel bool) {
	if t.state == stOSC {
		t.oscBEL = bel
		t.oscDispatch()
		t.osc = t.osc[:0]
	}
}

func (t *Terminal) clearParams() {
	t.nparams = 0
	t.params = [maxParams]int32{}
	t.subs = 0
	t.private = 0
	t.inter = 0
}

// param returns parameter i, or def when it is absent or zero.
func (t *Terminal) param(i int, def int) int {
	if i >= t.nparams || t.params[i] == 0 {
		return def
	}
	return int(t.params[i])
}

// execute runs a C0 control.
func (t *Terminal) execute(b byte) {
	switch b {
	case 0x07:
		t.bell = true
	case 0x08:
		t.cur.wrapNext = false
		if t.cur.x > 0 {
			t.cur.x--
		}
	case 0x09:
		t.tabForward(1)
	case 0x0a, 0x0b, 0x0c:
		t.linefeed()
	case 0x0d:
		t.cur.x = 0
		t.cur.wrapNext = false
	case 0x0e:
		t.gl = 1
	case 0x0f:
		t.gl = 0
	}
}

func (t *Terminal) escDispatch(b byte) {
	switch t.inter {
	case 0:
		switch b {
		case '7':
			t.saveCursor()
		case '8':
			t.restoreCursor()
		case 'D':
			t.index()
		case 'E':
			t.index()
			t.cur.x = 0
			t.cur.wrapNext = false
		case 'H':
			t.tabs[t.cur.x] = true
		case 'M':
			t.reverseIndex()
		case 'c':
			t.reset()
		case '=':
			t.modes.AppKeypad = true
		case '>':
			t.modes.AppKeypad = false
		case 'Z':
			t.reply = append(t.reply, da1...)
		case 'n':
			t.gl = 2
		case 'o':
			t.gl = 3
		}
	case '(', ')', '*', '+':
		cs := charsetASCII
		if b == '0' {
			cs = charsetGraphics
		}
		t.charsets[t.inter-'('] = cs
	case '#':
		if b == '8' {
			t.alignmentTest()
		}
	}
}

// da1 is the primary device attributes answer: a VT220 with ANSI colour.
var da1 = []byte("\x1b[?62;22c")
