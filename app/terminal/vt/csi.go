package vt

import (
	"bytes"
	"fmt"
	"strconv"
)

func (t *Terminal) csiDispatch(final byte) {
	switch t.private {
	case 0:
	case '?':
		t.csiPrivate(final)
		return
	case '>':
		t.csiSecondary(final)
		return
	default:
		return
	}
	if t.inter != 0 {
		t.csiIntermediate(final)
		return
	}

	n := t.param(0, 1)
	switch final {
	case '@': // ICH
		t.insertBlanks(n)
	case 'A': // CUU
		top := 0
		if t.cur.y >= t.top {
			top = t.top
		}
		t.moveTo(t.cur.x, max(t.cur.y-n, top))
	case 'B', 'e': // CUD, VPR
		bot := t.rows - 1
		if t.cur.y <= t.bot {
			bot = t.bot
		}
		t.moveTo(t.cur.x, min(t.cur.y+n, bot))
	case 'C', 'a': // CUF, HPR
		t.moveTo(t.cur.x+n, t.cur.y)
	case 'D': // CUB
		t.moveTo(t.cur.x-n, t.cur.y)
	case 'E': // CNL
		t.csiDispatch('B')
		t.cur.x = 0
	case 'F': // CPL
		t.csiDispatch('A')
		t.cur.x = 0
	case 'G', '`': // CHA, HPA
		t.moveTo(n-1, t.cur.y)
	case 'H', 'f': // CUP, HVP
		t.moveToOrigin(t.param(1, 1)-1, n-1)
	case 'I': // CHT
		t.tabForward(n)
	case 'J': // ED
		t.eraseDisplay(t.param(0, 0))
	case 'K': // EL
		t.eraseLine(t.param(0, 0))
	case 'L': // IL
		if t.cur.y >= t.top && t.cur.y <= t.bot {
			t.scrollDown(t.cur.y, t.bot, n)
			t.moveTo(0, t.cur.y)
		}
	case 'M': // DL
		if t.cur.y >= t.top && t.cur.y <= t.bot {
			t.scrollUp(t.cur.y, t.bot, n, false)
			t.moveTo(0, t.cur.y)
		}
	case 'P': // DCH
		t.deleteChars(n)
	case 'S': // SU
		t.scrollUp(t.top, t.bot, n, !t.alt && t.top == 0)
	case 'T': // SD; with more parameters it is a mouse request we ignore
		if t.nparams <= 1 {
			t.scrollDown(t.top, t.bot, n)
		}
	case 'X': // ECH
		t.eraseCells(t.cur.y, t.cur.x, t.cur.x+n)
	case 'Z': // CBT
		t.tabBackward(n)
	case 'b': // REP
		if t.lastRune != 0 {
			for range min(n, t.cols*t.rows) {
				t.printRune(t.lastRune)
			}
		}
	case 'c': // DA
		if t.param(0, 0) == 0 {
			t.reply = append(t.reply, da1...)
		}
	case 'd': // VPA
		t.moveToOrigin(t.cur.x, n-1)
	case 'g': // TBC
		switch t.param(0, 0) {
		case 0:
			t.tabs[t.cur.x] = false
		case 3:
			clear(t.tabs)
		}
	case 'h', 'l': // SM, RM
		for i := range max(t.nparams, 1) {
			switch t.param(i, 0) {
			case 4:
				t.insert = final == 'h'
			case 20:
				t.modes.NewLine = final == 'h'
			}
		}
	case 'm':
		t.sgr()
	case 'n': // DSR
		switch t.param(0, 0) {
		case 5:
			t.reply = append(t.reply, "\x1b[0n"...)
		case 6:
			x, y := t.reportedCursor()
			t.replyf("\x1b[%d;%dR", y, x)
		}
	case 'r': // DECSTBM
		top, bot := t.param(0, 1)-1, t.param(1, t.rows)-1
		bot = min(bot, t.rows-1)
		if top < bot {
			t.top, t.bot = top, bot
			t.moveToOrigin(0, 0)
		}
	case 's': // SCOSC
		t.saveCursor()
	case 'u': // SCORC
		t.restoreCursor()
	case 't': // window operations: only the harmless ones
		switch t.param(0, 0) {
		case 18:
			t.replyf("\x1b[8;%d;%dt", t.rows, t.cols)
		case 22:
			if len(t.titleStack) < maxTitleStack {
				t.titleStack = append(t.titleStack, t.title)
			}
		case 23:
			if k := len(t.titleStack); k > 0 {
				t.setTitle(t.titleStack[k-1])
				t.titleStack = t.titleStack[:k-1]
			}
		}
	}
}

// csiSecondary handles CSI > sequences: only the secondary device
// attributes query is answered; xterm's key and title options are ignored.
func (t *Terminal) csiSecondary(final byte) {
	if final == 'c' && t.param(0, 0) == 0 {
		t.reply = append(t.reply, da2...)
	}
}

// csiIntermediate handles CSI sequences with an intermediate byte: the
// cursor shape, the soft reset and the ANSI mode query.
func (t *Terminal) csiIntermediate(final byte) {
	switch {
	case t.inter == ' ' && final == 'q': // DECSCUSR
		switch t.param(0, 1) {
		case 0, 1, 2:
			t.modes.CursorShape = CursorBlock
		case 3, 4:
			t.modes.CursorShape = CursorUnderline
		case 5, 6:
			t.modes.CursorShape = CursorBar
		}
	case t.inter == '!' && final == 'p': // DECSTR
		t.softReset()
	case t.inter == '$' && final == 'p': // DECRQM for ANSI modes
		mode := t.param(0, 0)
		state := 0
		switch mode {
		case 4:
			state = onOff(t.insert)
		case 20:
			state = onOff(t.modes.NewLine)
		}
		t.replyf("\x1b[%d;%d$y", mode, state)
	}
}

// da2 is the secondary device attributes answer.
var da2 = []byte("\x1b[>1;10;0c")

// reportedCursor is the 1-based cursor position for CPR, relative to the
// scroll region in origin mode.
func (t *Terminal) reportedCursor() (x, y int) {
	x, y = t.cur.x+1, t.cur.y+1
	if t.origin {
		y -= t.top
	}
	return x, y
}

func (t *Terminal) replyf(format string, args ...any) {
	t.reply = fmt.Appendf(t.reply, format, args...)
}

func onOff(on bool) int {
	if on {
		return 1
	}
	return 2
}

func (t *Terminal) eraseDisplay(mode int) {
	switch mode {
	case 0:
		t.eraseCells(t.cur.y, t.cur.x, t.cols)
		t.eraseRows(t.cur.y+1, t.rows)
	case 1:
		t.eraseRows(0, t.cur.y)
		t.eraseCells(t.cur.y, 0, t.cur.x+1)
	case 2:
		t.eraseRows(0, t.rows)
	case 3:
		t.sbBase += int64(t.sb.len())
		t.sb.clear()
	}
}

func (t *Terminal) eraseLine(mode int) {
	switch mode {
	case 0:
		t.eraseCells(t.cur.y, t.cur.x, t.cols)
	case 1:
		t.eraseCells(t.cur.y, 0, t.cur.x+1)
	case 2:
		t.eraseCells(t.cur.y, 0, t.cols)
	}
}

// csiPrivate handles CSI ? sequences: DEC private modes and their queries.
func (t *Terminal) csiPrivate(final byte) {
	switch {
	case t.inter == 0 && (final == 'h' || final == 'l'):
		for i := range max(t.nparams, 1) {
			t.setPrivateMode(t.param(i, 0), final == 'h')
		}
	case t.inter == '$' && final == 'p': // DECRQM
		mode := t.param(0, 0)
		t.replyf("\x1b[?%d;%d$y", mode, t.privateModeState(mode))
	case t.inter == 0 && final == 'J': // DECSED
		t.eraseDisplay(t.param(0, 0))
	case t.inter == 0 && final == 'K': // DECSEL
		t.eraseLine(t.param(0, 0))
	case t.inter == 0 && final == 'n' && t.param(0, 0) == 6: // DECXCPR
		x, y := t.reportedCursor()
		t.replyf("\x1b[?%d;%dR", y, x)
	}
}

// flagMode returns the flag behind a DEC private mode that is a plain
// switch, or nil.
func (t *Terminal) flagMode(mode int) *bool {
	switch mode {
	case 1:
		return &t.modes.AppCursor
	case 5:
		return &t.modes.ReverseVideo
	case 6:
		return &t.origin
	case 7:
		return &t.autowrap
	case 25:
		return &t.modes.CursorVisible
	case 66:
		return &t.modes.AppKeypad
	case 1004:
		return &t.modes.FocusEvents
	case 1006:
		return &t.modes.MouseSGR
	case 1007:
		return &t.modes.AltScroll
	case 2004:
		return &t.modes.BracketedPaste
	case 2026:
		return &t.modes.Synchronized
	}
	return nil
}

var mouseModes = map[int]MouseMode{9: MouseX10, 1000: MouseClick, 1002: MouseDrag, 1003: MouseMotion}

func (t *Terminal) setPrivateMode(mode int, on bool) {
	if f := t.flagMode(mode); f != nil {
		*f = on
		switch mode {
		case 6:
			t.moveToOrigin(0, 0)
		case 7:
			t.cur.wrapNext = t.cur.wrapNext && on
		}
		return
	}
	switch mode {
	case 47:
		t.setAltScreen(on)
	case 1047:
		if !on && t.alt {
			t.eraseRows(0, t.rows)
		}
		t.setAltScreen(on)
	case 1048:
		if on {
			t.saveCursor()
		} else {
			t.restoreCursor()
		}
	case 1049:
		if on {
			if !t.alt {
				t.saveCursor()
				t.setAltScreen(true)
				t.eraseRows(0, t.rows)
			}
		} else if t.alt {
			t.setAltScreen(false)
			t.restoreCursor()
		}
	case 9, 1000, 1002, 1003:
		t.modes.Mouse = MouseOff
		if on {
			t.modes.Mouse = mouseModes[mode]
		}
	}
}

// privateModeState answers DECRQM: 1 set, 2 reset, 0 not recognised.
func (t *Terminal) privateModeState(mode int) int {
	if f := t.flagMode(mode); f != nil {
		return onOff(*f)
	}
	switch mode {
	case 47, 1047, 1049:
		return onOff(t.alt)
	case 9, 1000, 1002, 1003:
		return onOff(t.modes.Mouse == mouseModes[mode])
	}
	return 0
}

// softReset is DECSTR.
func (t *Terminal) softReset() {
	t.modes.CursorVisible = true
	t.modes.AppCursor = false
	t.modes.AppKeypad = false
	t.insert, t.origin, t.autowrap = false, false, true
	t.top, t.bot = 0, t.rows-1
	t.charsets, t.gl = [4]charset{}, 0
	t.cur.pen = Cell{Rune: ' '}
	t.cur.wrapNext = false
	t.saved[t.screenIndex()] = savedCursor{}
}

// sgr applies Select Graphic Rendition parameters to the pen.
func (t *Terminal) sgr() {
	pen := &t.cur.pen
	if t.nparams == 0 {
		*pen = Cell{Rune: ' '}
		return
	}
	for i := 0; i < t.nparams; i++ {
		p := t.params[i]
		switch {
		case p == 0:
			*pen = Cell{Rune: ' '}
		case p == 4:
			// 4:0 turns underline off; 4:1 to 4:5 are underline styles.
			if t.isSub(i+1) && t.params[i+1] == 0 {
				pen.Attr &^= Underline
			} else {
				pen.Attr |= Underline
			}
		case int(p) < len(sgrOn) && sgrOn[p] != 0:
			pen.Attr |= sgrOn[p]
		case int(p) < len(sgrOff) && sgrOff[p] != 0:
			pen.Attr &^= sgrOff[p]
		case p >= 30 && p <= 37:
			pen.FG = IndexColor(uint8(p - 30))
		case p >= 40 && p <= 47:
			pen.BG = IndexColor(uint8(p - 40))
		case p >= 90 && p <= 97:
			pen.FG = IndexColor(uint8(p - 90 + 8))
		case p >= 100 && p <= 107:
			pen.BG = IndexColor(uint8(p - 100 + 8))
		case p == 39:
			pen.FG = DefaultColor
		case p == 49:
			pen.BG = DefaultColor
		case p == 38 || p == 48 || p == 58: // 58, underline colour, is skipped
			var c Color
			c, i = t.extendedColor(i)
			switch {
			case c == DefaultColor:
			case p == 38:
				pen.FG = c
			case p == 48:
				pen.BG = c
			}
		}
		// Skip sub-parameters of anything not handled above.
		for i+1 < t.nparams && t.isSub(i+1) {
			i++
		}
	}
}

// The SGR numbers that turn one attribute on, and off.
var (
	sgrOn  = [...]Attr{1: Bold, 2: Faint, 3: Italic, 5: Blink, 6: Blink, 7: Reverse, 8: Hidden, 9: Strike, 21: Underline}
	sgrOff = [...]Attr{22: Bold | Faint, 23: Italic, 24: Underline, 25: Blink, 27: Reverse, 28: Hidden, 29: Strike}
)

func (t *Terminal) isSub(i int) bool { return i < t.nparams && t.subs&(1<<i) != 0 }

// extendedColor reads the colour after a 38, 48 or 58 at params[i], in
// either form: 38;5;N and 38;2;R;G;B, or 38:5:N and 38:2:[space]:R:G:B.
// It returns the colour (DefaultColor if malformed) and the index of the
// last parameter it used.
func (t *Terminal) extendedColor(i int) (Color, int) {
	if t.isSub(i + 1) {
		// Colon form: the whole group belongs to this colour.
		end := i + 1
		for end+1 < t.nparams && t.isSub(end+1) {
			end++
		}
		args := t.params[i+1 : end+1]
		switch {
		case len(args) >= 2 && args[0] == 5:
			return IndexColor(uint8(min(args[1], 255))), end
		case len(args) == 4 && args[0] == 2: // 38:2:R:G:B
			return rgbColor(args[1], args[2], args[3]), end
		case len(args) >= 5 && args[0] == 2: // 38:2:space:R:G:B[:…]
			return rgbColor(args[2], args[3], args[4]), end
		}
		return DefaultColor, end
	}
	switch t.param(i+1, 0) {
	case 5:
		if i+2 < t.nparams {
			return IndexColor(uint8(min(t.params[i+2], 255))), i + 2
		}
	case 2:
		if i+4 < t.nparams {
			return rgbColor(t.params[i+2], t.params[i+3], t.params[i+4]), i + 4
		}
	}
	return DefaultColor, t.nparams - 1
}

func rgbColor(r, g, b int32) Color {
	return RGBColor(uint8(min(r, 255)), uint8(min(g, 255)), uint8(min(b, 255)))
}

// oscDispatch handles an Operating System Command. Only the title and the
// colour queries are acted on; everything else (clipboard access, hyperlinks,
// palette changes) is ignored, and nothing the program sent is ever echoed
// back as input.
func (t *Terminal) oscDispatch() {
	cmd, arg, ok := bytes.Cut(t.osc, []byte{';'})
	if !ok {
		return
	}
	n, err := strconv.Atoi(string(cmd))
	if err != nil {
		return
	}
	switch n {
	case 0, 2:
		t.setTitle(cleanTitle(arg))
	case 10, 11:
		if string(arg) == "?" && t.hasColors {
			c := t.fgRGB
			if n == 11 {
				c = t.bgRGB
			}
			end := "\x1b\\"
			if t.oscBEL {
				end = "\a"
			}
			t.replyf("\x1b]%d;rgb:%02x%02x/%02x%02x/%02x%02x%s", n, c[0], c[0], c[1], c[1], c[2], c[2], end)
		}
	}
}

func (t *Terminal) setTitle(s string) {
	t.title = s
	t.titleChanged = true
}

// cleanTitle decodes a title as UTF-8 and drops control characters.
func cleanTitle(b []byte) string {
	r := []rune(string(b))
	out := r[:0]
	for _, c := range r {
		if c >= 0x20 && c != 0x7f && (c < 0x80 || c >= 0xa0) {
			out = append(out, c)
		}
	}
	return string(out)
}
