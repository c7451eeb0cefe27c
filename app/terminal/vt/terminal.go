// Package vt is an xterm-compatible terminal emulator without a display: it
// parses the bytes a program writes (C0 controls, ESC, CSI, OSC and DCS
// sequences, UTF-8) into a grid of cells with colours and attributes, keeps a
// scrollback of the lines that scroll off the main screen, and answers the
// queries a program sends (DA, DSR) through Options.Reply.
//
// It aims at what vim, less, htop and tmux use with TERM=xterm-256color:
// 16, 256 and 24-bit colours (kept apart: RGB never collides with a palette
// index), scroll regions, insert and delete, the alternate screen, origin
// mode, autowrap with the pending-wrap rule, wide characters (two cells),
// combining marks (joined to the cell before), mouse and paste modes for the
// widget to honour, and reflow of wrapped lines on resize.
//
// A Terminal is safe for concurrent use: one goroutine may Write what a
// session prints while another takes Snapshots to draw.
package vt

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Options configure a Terminal. The callbacks run on the goroutine that
// called Write, after the Terminal's lock is released, so they may call back
// into the Terminal.
type Options struct {
	Cols, Rows int // grid size; 80×24 when zero
	// Scrollback is how many lines scrolled off the top of the main screen
	// are kept: DefaultScrollback when zero, none when negative.
	Scrollback int
	// Reply receives the bytes the terminal sends back to the program:
	// answers to DA, DSR, DECRQM and colour queries. They belong on the
	// session's input, like keystrokes.
	Reply func([]byte)
	// Title receives the window title a program sets (OSC 0 and 2).
	Title func(string)
	// Bell is called for BEL.
	Bell func()
}

// DefaultScrollback is the scrollback length when Options.Scrollback is 0.
const DefaultScrollback = 10000

// Limits that keep a hostile stream from using unbounded memory.
const (
	maxParams       = 32
	maxParamValue   = 65535
	maxOSC          = 8192
	maxDim          = 4096 // columns or rows
	maxTitleStack   = 10
	maxClusterBytes = 32
	maxClusters     = 1 << 16
	clusterBase     = rune(0x110000) // Cell.Rune at or above: index into clusters
)

// Modes are the terminal modes a program has set that change how the
// widget sends input or draws.
type Modes struct {
	AppCursor      bool // DECCKM: arrows send ESC O A rather than ESC [ A
	AppKeypad      bool // DECKPAM: keypad sends application sequences
	BracketedPaste bool // 2004: wrap pastes in ESC [200~ … ESC [201~
	FocusEvents    bool // 1004: report focus in and out
	AltScreen      bool // the alternate screen is showing
	CursorVisible  bool // DECTCEM
	ReverseVideo   bool // DECSCNM: swap default foreground and background
	NewLine        bool // LNM: Enter sends CR LF
	Mouse          MouseMode
	MouseSGR       bool // 1006: SGR mouse encoding
	AltScroll      bool // 1007: on the alternate screen the wheel sends arrows
	Synchronized   bool // 2026: the program is between frames
	CursorShape    CursorShape
}

// MouseMode is which mouse events a program asked for.
type MouseMode uint8

const (
	MouseOff    MouseMode = iota
	MouseX10              // 9: presses only
	MouseClick            // 1000: presses and releases
	MouseDrag             // 1002: also motion while a button is down
	MouseMotion           // 1003: all motion
)

// CursorShape is what DECSCUSR asked for.
type CursorShape uint8

const (
	CursorBlock CursorShape = iota
	CursorUnderline
	CursorBar
)

type charset uint8

const (
	charsetASCII charset = iota
	charsetGraphics
)

type cursor struct {
	x, y     int
	pen      Cell // FG, BG and SGR attributes for new characters
	wrapNext bool // the last column was written; the next character wraps
}

type savedCursor struct {
	cursor
	origin   bool
	charsets [4]charset
	gl       int
	valid    bool
}

type parserState uint8

const (
	stGround parserState = iota
	stEscape
	stEscInter
	stCSI
	stCSIInter
	stCSIIgnore
	stOSC
	stString // DCS, SOS, PM, APC: ignored up to ST
)

// Terminal is the screen model. Create one with New.
type Terminal struct {
	mu   sync.Mutex
	opts Options

	cols, rows int
	screens    [2][]Line // main and alternate
	alt        bool
	lines      []Line // screens[alt], the active one
	cur        cursor
	saved      [2]savedCursor
	top, bot   int // scroll region, inclusive
	tabs       []bool
	modes      Modes
	autowrap   bool
	origin     bool
	insert     bool
	charsets   [4]charset
	gl         int
	lastRune   rune // for REP

	sb     scrollback
	sbBase int64 // absolute number of the oldest scrollback line

	state   parserState
	params  [maxParams]int32
	nparams int
	subs    uint32 // bit i: param i followed a ':'
	private byte
	inter   byte
	osc     []byte
	oscBEL  bool // the OSC ended with BEL; replies end the same way
	u8      [4]byte
	u8n     int
	u8need  int

	title      string
	titleStack []string
	clusters   []string
	clusterIDs map[string]rune
	fgRGB      [3]uint8
	bgRGB      [3]uint8
	hasColors  bool

	// Collected while locked, delivered after unlocking.
	reply        []byte
	titleChanged bool
	bell         bool
}

// New returns a Terminal with an empty screen.
func New(opts Options) *Terminal {
	if opts.Cols <= 0 {
		opts.Cols = 80
	}
	if opts.Rows <= 0 {
		opts.Rows = 24
	}
	switch {
	case opts.Scrollback == 0:
		opts.Scrollback = DefaultScrollback
	case opts.Scrollback < 0:
		opts.Scrollback = 0
	}
	t := &Terminal{opts: opts, clusterIDs: map[string]rune{}}
	t.sb.max = opts.Scrollback
	t.cols, t.rows = clampDim(opts.Cols), clampDim(opts.Rows)
	t.screens[0] = newLines(t.cols, t.rows)
	t.screens[1] = newLines(t.cols, t.rows)
	t.reset()
	return t
}

func clampDim(n int) int { return max(1, min(n, maxDim)) }

func newLines(cols, rows int) []Line {
	cells := make([]Cell, cols*rows)
	for i := range cells {
		cells[i].Rune = ' '
	}
	lines := make([]Line, rows)
	for i := range lines {
		lines[i].Cells = cells[i*cols : (i+1)*cols : (i+1)*cols]
	}
	return lines
}

// reset is RIS: everything but the size and the scrollback.
func (t *Terminal) reset() {
	t.alt = false
	t.lines = t.screens[0]
	for _, s := range t.screens {
		for i := range s {
			s[i].Wrapped = false
			fill(s[i].Cells, Cell{Rune: ' '})
			s[i].ext = 0
		}
	}
	t.cur = cursor{pen: Cell{Rune: ' '}}
	t.saved = [2]savedCursor{}
	t.top, t.bot = 0, t.rows-1
	t.tabs = make([]bool, t.cols)
	t.resetTabs(0)
	t.modes = Modes{CursorVisible: true, AltScroll: true}
	t.autowrap, t.origin, t.insert = true, false, false
	t.charsets = [4]charset{}
	t.gl = 0
	t.state = stGround
	t.u8n, t.u8need = 0, 0
}

func (t *Terminal) resetTabs(from int) {
	for x := from; x < len(t.tabs); x++ {
		t.tabs[x] = x > 0 && x%8 == 0
	}
}

func fill(cells []Cell, c Cell) {
	for i := range cells {
		cells[i] = c
	}
}

// Write parses p as output from the program. It never returns an error and
// always consumes all of p; a UTF-8 sequence or escape sequence cut at the end
// of p is completed by the next Write.
func (t *Terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.parse(p)
	reply, title, titleChanged, bell := t.reply, t.title, t.titleChanged, t.bell
	t.reply, t.titleChanged, t.bell = nil, false, false
	t.mu.Unlock()

	if len(reply) > 0 && t.opts.Reply != nil {
		t.opts.Reply(reply)
	}
	if titleChanged && t.opts.Title != nil {
		t.opts.Title(title)
	}
	if bell && t.opts.Bell != nil {
		t.opts.Bell()
	}
	return len(p), nil
}

// SetDefaultColors tells the terminal the RGB of the default foreground and
// background, so that it can answer programs that ask (OSC 10 and 11; vim
// uses the answer to pick its light or dark colours).
func (t *Terminal) SetDefaultColors(fg, bg [3]uint8) {
	t.mu.Lock()
	t.fgRGB, t.bgRGB, t.hasColors = fg, bg, true
	t.mu.Unlock()
}

// Size returns the grid size.
func (t *Terminal) Size() (cols, rows int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cols, t.rows
}

// Cursor returns the cursor position, 0-based.
func (t *Terminal) Cursor() (x, y int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur.x, t.cur.y
}

// Modes returns the modes in force.
func (t *Terminal) Modes() Modes {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.modesLocked()
}

func (t *Terminal) modesLocked() Modes {
	m := t.modes
	m.AltScreen = t.alt
	return m
}

// Title returns the window title the program set last.
func (t *Terminal) Title() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.title
}

// Cell returns the cell at column x, row y of the screen showing now.
func (t *Terminal) Cell(x, y int) Cell {
	t.mu.Lock()
	defer t.mu.Unlock()
	if y < 0 || y >= t.rows || x < 0 || x >= t.cols {
		return Cell{Rune: ' '}
	}
	return t.lines[y].Cells[x]
}

// CellText returns the text of c: its character with any combining marks.
func (t *Terminal) CellText(c Cell) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cellText(c.Rune)
}

func (t *Terminal) cellText(r rune) string {
	if r >= clusterBase {
		if i := int(r - clusterBase); i < len(t.clusters) {
			return t.clusters[i]
		}
		return "\uFFFD"
	}
	return string(r)
}

// intern returns the Cell.Rune for a base character with combining marks.
// It returns ok false when the table is full; the mark is then dropped.
func (t *Terminal) intern(s string) (rune, bool) {
	if id, ok := t.clusterIDs[s]; ok {
		return id, true
	}
	if len(t.clusters) >= maxClusters {
		return 0, false
	}
	id := clusterBase + rune(len(t.clusters))
	t.clusters = append(t.clusters, s)
	t.clusterIDs[s] = id
	return id, true
}

// LineText returns row y of the screen showing now as text, without
// trailing blanks.
func (t *Terminal) LineText(y int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if y < 0 || y >= t.rows {
		return ""
	}
	var b strings.Builder
	t.appendText(&b, t.lines[y].Cells, 0, t.cols, true)
	return b.String()
}

// ScreenText returns the screen showing now as text: one line per row,
// trailing blanks and trailing empty rows removed.
func (t *Terminal) ScreenText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	for y := range t.rows {
		t.appendText(&b, t.lines[y].Cells, 0, t.cols, true)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// appendText writes cells[from:to] as text, skipping the right halves of
// wide characters and wrap padding.
func (t *Terminal) appendText(b *strings.Builder, cells []Cell, from, to int, trim bool) {
	to = min(to, len(cells))
	if trim {
		end := to
		for end > from && cells[end-1].Rune == ' ' && cells[end-1].Attr&Wide == 0 {
			end--
		}
		to = end
	}
	for x := from; x < to; x++ {
		c := cells[x]
		if c.Attr&(WideSpacer|wrapPad) != 0 {
			continue
		}
		if c.Rune < utf8.RuneSelf {
			b.WriteByte(byte(c.Rune))
		} else {
			b.WriteString(t.cellText(c.Rune))
		}
	}
}
