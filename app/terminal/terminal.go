// Package terminal is a Fyne widget that shows a terminal session: what a
// remote program prints, drawn on a grid of cells with colours and
// attributes, and the keyboard, mouse and clipboard turned into the bytes
// the program expects. It is xterm-compatible (TERM=xterm-256color), so
// vim, less, htop and tmux work in it; the emulation lives in package vt.
//
// Typical use, for an SSH session whose PTY was requested as
// xterm-256color:
//
//	term := terminal.New()
//	term.OnTitle = func(title string) { tab.Text = title; tabs.Refresh() }
//	tabs.Append(container.NewTabItem(name, term))
//	go func() {
//		err := term.Attach(ctx, stdout, stdin, func(cols, rows int) {
//			session.WindowChange(rows, cols)
//		})
//		... // the session ended
//	}()
//
// Or drive it by hand: Write what the session prints (from any goroutine),
// and send what OnInput receives to the session; OnResize reports the grid
// size for window-change requests.
//
// Output is batched: Write only updates the model, and the widget redraws
// at most once per frame (through fyne.Do), so a flood of output (cat of a
// large file, yes) never blocks the window. Scrollback (10 000 lines) shows
// with the mouse wheel or Shift+PgUp/PgDn; a drag selects (Shift+drag when
// the program uses the mouse), double-click selects a word;
// Ctrl+Shift+C/V copy and paste (Cmd+C/V on macOS, also Ctrl+Insert and
// Shift+Insert).
package terminal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sesame/app/terminal/vt"
)

// frame is the shortest time between two redraws.
const frame = time.Second / 60

// Terminal is the widget. Create it with New.
type Terminal struct {
	widget.BaseWidget

	// OnInput receives the bytes to send to the session: keystrokes,
	// pastes, mouse reports, and the terminal's answers to the program's
	// queries. It runs on the Fyne goroutine and should not block (queue
	// the write). Not called while Attach runs.
	OnInput func([]byte)
	// OnResize receives the new grid size, for the session's
	// window-change request. It runs on the Fyne goroutine. Not called
	// while Attach runs.
	OnResize func(cols, rows int)
	// OnTitle receives the title the program sets (OSC 0 and 2), on the
	// Fyne goroutine.
	OnTitle func(title string)
	// OnShortcut sees every shortcut before the terminal turns it into
	// input, on the Fyne goroutine; returning true keeps it from the
	// program. The app uses it for its own keys (Ctrl+Shift+W closes the
	// tab) while Ctrl+W still reaches vim and the shell.
	OnShortcut func(fyne.Shortcut) bool

	vt      *vt.Terminal
	session atomic.Pointer[pump]

	// State owned by the Fyne goroutine.
	focused   bool
	shift     bool
	viewTop   int64 // first line shown when scrolled back; -1 follows the output
	sel       selection
	mouse     mouseState
	wheelAcc  float32
	syncSince time.Time                 // when a synchronized update held back a frame
	zoom      float32                   // text size over the theme's; 0 is 1
	font      fyne.Resource             // the TTF the text is drawn in; nil is the theme's monospace
	cell      atomic.Pointer[fyne.Size] // a cell in canvas units, set by the renderer

	refreshPending atomic.Bool
	lastRefresh    atomic.Int64 // unix nanoseconds
	// do runs a function on the Fyne goroutine (fyne.Do); after runs one
	// later (time.AfterFunc). Tests replace them.
	do    func(func())
	after func(time.Duration, func())
	// readClip reads the clipboard for a paste, off the Fyne goroutine;
	// goPaste starts that work (go f()). Tests replace them.
	readClip func(context.Context) (string, error)
	goPaste  func(func())
	// OnPasteFailed, when set, hears why a paste found no text (the
	// clipboard's owner did not answer in time), on the Fyne goroutine.
	OnPasteFailed func(error)
}

// Option changes how New makes a terminal.
type Option func(*Terminal)

// WithDo makes the terminal run its UI updates through do instead of
// fyne.Do. An app that serialises its UI work another way (its tests, which
// run the UI on the test goroutine) passes its own.
func WithDo(do func(func())) Option { return func(t *Terminal) { t.do = do } }

// New returns a terminal widget of 80×24 cells until it is laid out.
func New(opts ...Option) *Terminal {
	t := &Terminal{viewTop: -1, do: fyne.Do, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		goPaste: func(f func()) { go f() }}
	t.readClip = t.systemClipboard
	for _, o := range opts {
		o(t)
	}
	t.vt = vt.New(vt.Options{Reply: t.reply, Title: t.titleChanged})
	t.ExtendBaseWidget(t)
	return t
}

// Write takes output from the session. It is safe from any goroutine and
// never blocks on drawing; it always consumes all of p.
func (t *Terminal) Write(p []byte) (int, error) {
	t.vt.Write(p)
	t.scheduleRefresh()
	return len(p), nil
}

// SetZoom draws the text at zoom times the theme's text size (1 is the
// theme's own); the grid gets fewer or more cells, and OnResize hears of
// it. Call it on the Fyne goroutine.
func (t *Terminal) SetZoom(zoom float32) {
	if zoom == t.zoom {
		return
	}
	t.zoom = zoom
	t.Refresh()
}

// SetFont draws the text in font, a TrueType or OpenType font (monospace,
// or the cells take the width of its M); nil is the theme's monospace
// font. A font it cannot read is refused with the reason, and the text
// stays in the font it had. Call it on the Fyne goroutine.
func (t *Terminal) SetFont(font fyne.Resource) error {
	if font == t.font {
		return nil
	}
	if font != nil {
		if err := CheckFont(font); err != nil {
			return err
		}
	}
	t.font = font
	t.Refresh()
	return nil
}

// CheckFont says whether SetFont would take font, without a terminal.
func CheckFont(font fyne.Resource) error {
	if _, err := newFace(font.Content(), 16); err != nil {
		return fmt.Errorf("%s: %w", font.Name(), err)
	}
	return nil
}

// Title returns the title the program set last.
func (t *Terminal) Title() string { return t.vt.Title() }

// GridSize returns the size of the grid in cells. Safe from any goroutine.
func (t *Terminal) GridSize() (cols, rows int) { return t.vt.Size() }

// Model returns the screen model, for reading what is shown (tests, a
// screenshot's text).
func (t *Terminal) Model() *vt.Terminal { return t.vt }

// Attach connects the terminal to a session until out ends: what out
// produces is shown, and keystrokes, pastes and replies are written to in.
// resize (may be nil) is called with the grid size at once and after every
// change. Writes to in and calls to resize happen on a goroutine of their
// own, in order, so a slow session never blocks the window.
//
// Attach returns nil when out reaches EOF, out's error, or ctx's error when
// ctx ends first; then close the session to stop the read that is still
// waiting on out.
func (t *Terminal) Attach(ctx context.Context, out io.Reader, in io.Writer, resize func(cols, rows int)) error {
	p := newPump(in, resize)
	t.session.Store(p)
	defer func() {
		t.session.CompareAndSwap(p, nil)
		p.close()
	}()
	p.resized(t.GridSize())

	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(t, out)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reply forwards the model's answers to the program's queries. It runs on
// the goroutine that called Write.
func (t *Terminal) reply(b []byte) {
	if p := t.session.Load(); p != nil {
		p.input(b)
		return
	}
	b = bytes.Clone(b)
	t.do(func() {
		if t.OnInput != nil {
			t.OnInput(b)
		}
	})
}

func (t *Terminal) titleChanged(title string) {
	t.do(func() {
		if t.OnTitle != nil {
			t.OnTitle(title)
		}
	})
}

// send delivers user input (on the Fyne goroutine) and brings the view
// back to the live screen, as typing does in xterm.
func (t *Terminal) send(b []byte) {
	if t.viewTop >= 0 {
		t.viewTop = -1
		t.Refresh()
	}
	if p := t.session.Load(); p != nil {
		p.input(b)
	} else if t.OnInput != nil {
		t.OnInput(b)
	}
}

// gridResized tells the session about a new size (on the Fyne goroutine).
func (t *Terminal) gridResized(cols, rows int) {
	if p := t.session.Load(); p != nil {
		p.resized(cols, rows)
	} else if t.OnResize != nil {
		t.OnResize(cols, rows)
	}
}

// scheduleRefresh asks for a redraw within a frame. Writes that arrive
// while one is pending ride along with it.
func (t *Terminal) scheduleRefresh() {
	if !t.refreshPending.CompareAndSwap(false, true) {
		return
	}
	wait := frame - time.Duration(time.Now().UnixNano()-t.lastRefresh.Load())
	if wait <= 0 {
		t.do(t.refreshNow)
		return
	}
	t.after(wait, func() { t.do(t.refreshNow) })
}

// maxSyncHold is how long a frame waits for a program that began a
// synchronized update (mode 2026) to finish it.
const maxSyncHold = 150 * time.Millisecond

func (t *Terminal) refreshNow() {
	now := time.Now()
	if t.vt.Modes().Synchronized {
		// The program is drawing a frame: show it whole, not half drawn,
		// unless it takes too long.
		if t.syncSince.IsZero() {
			t.syncSince = now
		}
		if now.Sub(t.syncSince) < maxSyncHold {
			t.after(frame, func() { t.do(t.refreshNow) })
			return
		}
	}
	t.syncSince = time.Time{}
	t.refreshPending.Store(false)
	t.lastRefresh.Store(now.UnixNano())
	t.Refresh()
}

// CreateRenderer is part of fyne.Widget.
func (t *Terminal) CreateRenderer() fyne.WidgetRenderer {
	return newRenderer(t)
}

// FocusGained is part of fyne.Focusable.
func (t *Terminal) FocusGained() {
	t.focused = true
	if t.vt.Modes().FocusEvents {
		t.send([]byte("\x1b[I"))
	}
	t.Refresh()
}

// FocusLost is part of fyne.Focusable.
func (t *Terminal) FocusLost() {
	t.focused, t.shift = false, false
	if t.vt.Modes().FocusEvents {
		t.send([]byte("\x1b[O"))
	}
	t.Refresh()
}

// TypedRune is part of fyne.Focusable: text typed.
func (t *Terminal) TypedRune(r rune) {
	if r < 0x20 || r == 0x7f {
		return
	}
	t.send(utf8.AppendRune(nil, r))
}

// TypedKey is part of fyne.Focusable: keys that are not text or shortcuts.
func (t *Terminal) TypedKey(ev *fyne.KeyEvent) {
	var mods fyne.KeyModifier
	if t.shift {
		mods = fyne.KeyModifierShift
	}
	t.key(ev.Name, mods)
}

// TypedShortcut is part of fyne.Shortcutable: Fyne delivers keys with Ctrl,
// Alt or Super as shortcuts.
func (t *Terminal) TypedShortcut(s fyne.Shortcut) {
	if t.OnShortcut != nil && t.OnShortcut(s) {
		return
	}
	if name, mods, ok := shortcutKey(s); ok {
		t.key(name, mods)
	}
}

// KeyDown is part of desktop.Keyable; it tracks Shift, which Fyne does not
// pass with TypedKey.
func (t *Terminal) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		t.shift = true
	}
}

// KeyUp is part of desktop.Keyable.
func (t *Terminal) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		t.shift = false
	}
}

// AcceptsTab is part of fyne.Tabbable: Tab goes to the program, not to the
// next widget.
func (t *Terminal) AcceptsTab() bool { return true }

func (t *Terminal) key(name fyne.KeyName, mods fyne.KeyModifier) {
	_, rows := t.GridSize()
	switch localAction(name, mods) {
	case actCopy:
		t.copySelection()
	case actPaste:
		t.paste()
	case actPageUp:
		t.scrollView(rows - 1)
	case actPageDown:
		t.scrollView(-(rows - 1))
	default:
		if b := encodeKey(name, mods, t.vt.Modes()); b != nil {
			t.send(b)
		}
	}
}

// cellSize is the size of one cell in canvas units.
func (t *Terminal) cellSize() fyne.Size {
	if c := t.cell.Load(); c != nil {
		return *c
	}
	t.MinSize() // creates the renderer, which measures the font
	return *t.cell.Load()
}

// clipboard is the app's clipboard.
func clipboard() fyne.Clipboard { return fyne.CurrentApp().Clipboard() }

func (t *Terminal) copySelection() {
	if text := t.SelectedText(); text != "" {
		clipboard().SetContent(text)
	}
}

// pasteTimeout is how long a paste waits for the clipboard's owner.
const pasteTimeout = 3 * time.Second

// paste reads the clipboard off the Fyne goroutine, which must never wait
// on another program: an owner that never answers would freeze the window
// for good. The text is sent once it has come.
func (t *Terminal) paste() {
	read := t.readClip
	t.goPaste(func() {
		ctx, cancel := context.WithTimeout(context.Background(), pasteTimeout)
		defer cancel()
		text, err := read(ctx)
		t.do(func() {
			switch {
			case err != nil:
				if t.OnPasteFailed != nil {
					t.OnPasteFailed(err)
				}
			case text != "":
				t.Paste(text)
			}
		})
	})
}

// fyneClipboard reads the clipboard through Fyne, on the Fyne goroutine,
// for the systems whose clipboard answers at once.
func (t *Terminal) fyneClipboard(ctx context.Context) (string, error) {
	ch := make(chan string, 1)
	t.do(func() { ch <- clipboard().Content() })
	select {
	case s := <-ch:
		return s, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Paste sends text as if pasted: newlines become carriage returns, as
// typed, and with bracketed paste on (the program asked for it) the text
// comes wrapped in ESC [200~ … ESC [201~. ESC characters are dropped, so
// pasted text can neither end the bracket early nor type escape sequences.
func (t *Terminal) Paste(text string) {
	b := []byte(text)
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\r"))
	b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r"))
	b = bytes.ReplaceAll(b, []byte("\x1b"), nil)
	if t.vt.Modes().BracketedPaste {
		b = append(append([]byte("\x1b[200~"), b...), "\x1b[201~"...)
	}
	t.send(b)
}

// scrollView moves the view lines back into the scrollback (negative:
// forward).
func (t *Terminal) scrollView(lines int) {
	var s vt.Snapshot
	t.vt.Snapshot(&s, t.viewTop)
	top := s.Top - int64(lines)
	switch {
	case top >= s.LiveTop:
		t.viewTop = -1
	default:
		t.viewTop = max(top, s.First)
	}
	t.Refresh()
}

// pump writes input and resizes to a session on its own goroutine, so the
// window never waits on the network.
type pump struct {
	w      io.Writer
	resize func(cols, rows int)
	wake   chan struct{}

	mu     sync.Mutex
	buf    []byte
	size   [2]int
	sized  bool
	closed bool
}

func newPump(w io.Writer, resize func(cols, rows int)) *pump {
	p := &pump{w: w, resize: resize, wake: make(chan struct{}, 1)}
	go p.run()
	return p
}

func (p *pump) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pump) input(b []byte) {
	p.mu.Lock()
	p.buf = append(p.buf, b...)
	p.mu.Unlock()
	p.signal()
}

func (p *pump) resized(cols, rows int) {
	p.mu.Lock()
	p.size, p.sized = [2]int{cols, rows}, true
	p.mu.Unlock()
	p.signal()
}

// close stops the pump once what is queued has been written. It does not
// wait: a stalled session must not hold up its caller.
func (p *pump) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.signal()
}

func (p *pump) run() {
	var failed bool
	for range p.wake {
		p.mu.Lock()
		buf, size, sized, closed := p.buf, p.size, p.sized, p.closed
		p.buf, p.sized = nil, false
		p.mu.Unlock()
		if sized && p.resize != nil {
			p.resize(size[0], size[1])
		}
		if len(buf) > 0 && !failed {
			// After a failed write the session is gone; drop the rest.
			_, err := p.w.Write(buf)
			failed = err != nil
		}
		if closed {
			return
		}
	}
}
