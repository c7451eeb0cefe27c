package terminal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"sesame/app/terminal/vt"
)

// harness is a terminal in a test window of cols×rows cells, recording
// what it sends.
type harness struct {
	ui     sync.Mutex // held by whoever acts as the Fyne goroutine
	term   *Terminal
	win    fyne.Window
	input  []byte
	sizes  [][2]int
	titles []string
}

func newHarness(t *testing.T, cols, rows int) *harness {
	t.Helper()
	test.NewTempApp(t)
	h := &harness{term: New()}
	h.term.do = h.onUI
	h.term.after = func(_ time.Duration, f func()) { f() } // draw at once
	// The test app's clipboard, read at once: pastes land before
	// TypedShortcut returns.
	h.term.readClip = h.term.fyneClipboard
	h.term.goPaste = func(f func()) { f() }
	h.term.OnInput = func(b []byte) { h.input = append(h.input, b...) }
	h.term.OnResize = func(c, r int) { h.sizes = append(h.sizes, [2]int{c, r}) }
	h.term.OnTitle = func(s string) { h.titles = append(h.titles, s) }
	h.win = test.NewWindow(h.term)
	h.win.SetPadded(false)
	h.resize(cols, rows)
	t.Cleanup(h.win.Close)
	return h
}

// onUI runs f as the Fyne goroutine would: one at a time. The test
// driver's fyne.Do runs f on the caller's goroutine; tests that write from
// another goroutine take this lock for their own widget calls too.
func (h *harness) onUI(f func()) {
	h.ui.Lock()
	defer h.ui.Unlock()
	f()
}

// resize makes the window exactly cols×rows cells.
func (h *harness) resize(cols, rows int) {
	cell := h.term.cellSize()
	h.win.Resize(fyne.NewSize(cell.Width*float32(cols), cell.Height*float32(rows)))
}

func (h *harness) write(s string) { h.term.Write([]byte(s)) }

// taken returns the input sent so far and forgets it.
func (h *harness) taken() string {
	s := string(h.input)
	h.input = nil
	return s
}

// at is the centre of a cell, in widget coordinates.
func (h *harness) at(col, row int) fyne.Position {
	cell := h.term.cellSize()
	return fyne.NewPos((float32(col)+0.5)*cell.Width, (float32(row)+0.5)*cell.Height)
}

func (h *harness) renderer() *renderer {
	return test.WidgetRenderer(h.term).(*renderer)
}

// shownRow is the text the last frame drew on row y.
func (h *harness) shownRow(y int) string {
	s := &h.renderer().snap
	var b strings.Builder
	for _, c := range s.Lines[y].Cells {
		if c.Attr&vt.WideSpacer == 0 {
			b.WriteString(s.Text(c))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func TestTypingSendsInput(t *testing.T) {
	h := newHarness(t, 40, 10)
	test.Type(h.term, "ls -l ü")
	h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := h.taken(); got != "ls -l ü\r" {
		t.Errorf("typing sent %q", got)
	}

	tests := []struct {
		name  string
		setup string
		do    func()
		want  string
	}{
		{"arrow", "", func() { h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp}) }, "\x1b[A"},
		{"arrow in application mode", "\x1b[?1h", func() { h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp}) }, "\x1bOA"},
		{"shift tab", "\x1b[?1l", func() {
			h.term.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
			h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
			h.term.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
			h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		}, "\x1b[Z\t"},
		{"ctrl+c is the program's", "", func() { h.term.TypedShortcut(&fyne.ShortcutCopy{}) }, "\x03"},
		{"ctrl+a", "", func() { h.term.TypedShortcut(&fyne.ShortcutSelectAll{}) }, "\x01"},
		{"ctrl+z", "", func() { h.term.TypedShortcut(&fyne.ShortcutUndo{}) }, "\x1a"},
		{"ctrl+left", "", func() {
			h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyLeft, Modifier: fyne.KeyModifierControl})
		}, "\x1b[1;5D"},
		{"alt+b", "", func() {
			h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierAlt})
		}, "\x1bb"},
		{"printable keys wait for their rune", "", func() { h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyA}) }, ""},
		{"backspace", "", func() { h.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace}) }, "\x7f"},
		{"focus events", "\x1b[?1004h", func() { h.term.FocusLost(); h.term.FocusGained() }, "\x1b[O\x1b[I"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.write(tt.setup)
			h.taken()
			tt.do()
			if got := h.taken(); got != tt.want {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOnShortcutTakesKeysFromTheProgram(t *testing.T) {
	h := newHarness(t, 40, 10)
	closeTab := &desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
	var seen []string
	h.term.OnShortcut = func(s fyne.Shortcut) bool {
		seen = append(seen, s.ShortcutName())
		return s.ShortcutName() == closeTab.ShortcutName()
	}
	h.term.TypedShortcut(closeTab)
	if got := h.taken(); got != "" {
		t.Errorf("a shortcut the app took still sent %q", got)
	}
	h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierControl})
	if got := h.taken(); got != "\x17" {
		t.Errorf("ctrl+w sent %q, want it to reach the program as \\x17", got)
	}
	if len(seen) != 2 {
		t.Errorf("OnShortcut saw %v, want both shortcuts", seen)
	}
}

func TestWithDoRunsRedrawsThere(t *testing.T) {
	test.NewTempApp(t)
	var ran int
	term := New(WithDo(func(f func()) { ran++; f() }))
	term.after = func(_ time.Duration, f func()) { f() }
	test.NewWindow(term).Close()
	term.Write([]byte("hi"))
	if ran == 0 {
		t.Error("a write's redraw did not go through the do function given with WithDo")
	}
}

func TestResizeReportsGridSize(t *testing.T) {
	h := newHarness(t, 50, 12)
	if cols, rows := h.term.GridSize(); cols != 50 || rows != 12 {
		t.Fatalf("grid %dx%d, want 50x12", cols, rows)
	}
	h.sizes = nil
	h.resize(90, 30)
	if len(h.sizes) != 1 || h.sizes[0] != [2]int{90, 30} {
		t.Errorf("OnResize calls %v, want one with 90x30", h.sizes)
	}
	// A part of a cell more does not change the grid.
	cell := h.term.cellSize()
	h.win.Resize(fyne.NewSize(cell.Width*90.5, cell.Height*30.5))
	if len(h.sizes) != 1 {
		t.Errorf("OnResize called for half a cell: %v", h.sizes)
	}
}

func TestWheelScrollsBack(t *testing.T) {
	h := newHarness(t, 20, 5)
	for i := range 100 {
		h.write(fmt.Sprintf("line %d\r\n", i))
	}
	if got := h.shownRow(3); got != "line 99" {
		t.Fatalf("live row 3 = %q", got)
	}
	test.Scroll(h.win.Canvas(), h.at(1, 1), 0, 25) // one notch up: three lines
	if got := h.shownRow(3); got != "line 96" {
		t.Errorf("after a notch up, row 3 = %q, want line 96", got)
	}
	test.Scroll(h.win.Canvas(), h.at(1, 1), 0, 250)
	if got := h.shownRow(0); got != "line 63" {
		t.Errorf("after 11 notches up, row 0 = %q, want line 63", got)
	}
	// Output while scrolled back does not move the view.
	h.write("more\r\n")
	if got := h.shownRow(0); got != "line 63" {
		t.Errorf("after output, row 0 = %q, want it to stay on line 63", got)
	}
	// Typing goes back to the live screen.
	test.Type(h.term, "x")
	if got := h.shownRow(3); got != "more" {
		t.Errorf("after typing, row 3 = %q, want the live screen", got)
	}
	// Shift+PgUp pages back.
	h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: fyne.KeyModifierShift})
	if got := h.shownRow(3); got != "line 96" {
		t.Errorf("after Shift+PgUp, row 3 = %q, want line 96", got)
	}
	if got := h.taken(); got != "x" {
		t.Errorf("scrolling sent %q to the program", got)
	}
}

func TestWheelInPrograms(t *testing.T) {
	tests := []struct {
		name, modes string
		dy          float32
		want        string
	}{
		{"alternate screen: arrows", "\x1b[?1049h", 25, "\x1b[A\x1b[A\x1b[A"},
		{"alternate screen, application cursor", "\x1b[?1049h\x1b[?1h", -25, "\x1bOB\x1bOB\x1bOB"},
		{"mouse reporting, SGR", "\x1b[?1000h\x1b[?1006h", 25, "\x1b[<64;3;2M"},
		{"mouse reporting, legacy", "\x1b[?1000h", -25, "\x1b[Ma#\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 20, 5)
			h.write(tt.modes)
			h.term.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: h.at(2, 1)}, Scrolled: fyne.Delta{DY: tt.dy}})
			if got := h.taken(); got != tt.want {
				t.Errorf("wheel sent %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMouseReporting(t *testing.T) {
	h := newHarness(t, 20, 5)
	h.write("\x1b[?1002h\x1b[?1006h")
	press := &desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: h.at(2, 1)}, Button: desktop.MouseButtonPrimary}
	h.term.MouseDown(press)
	h.term.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: h.at(4, 1)}})
	h.term.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: h.at(4, 1)}, Button: desktop.MouseButtonPrimary})
	if got, want := h.taken(), "\x1b[<0;3;2M\x1b[<32;5;2M\x1b[<0;5;2m"; got != want {
		t.Errorf("mouse sent %q, want %q", got, want)
	}
	if h.term.SelectedText() != "" {
		t.Error("a reported drag selected text")
	}
	// Shift keeps the mouse for selection.
	h.write("hello")
	press.Modifier = fyne.KeyModifierShift
	press.Position = h.at(0, 0)
	h.term.MouseDown(press)
	h.term.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: h.at(4, 0)}})
	if got := h.taken(); got != "" {
		t.Errorf("shift+drag sent %q", got)
	}
	if got := h.term.SelectedText(); got != "hello" {
		t.Errorf("shift+drag selected %q", got)
	}
}

func TestSelectionAndCopy(t *testing.T) {
	h := newHarness(t, 20, 5)
	h.write("first line\r\nsecond line\r\nthe /usr/local/bin path")
	h.term.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: h.at(6, 0)}, Button: desktop.MouseButtonPrimary})
	h.term.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: h.at(5, 1)}})
	h.term.DragEnd()
	if got, want := h.term.SelectedText(), "line\nsecond"; got != want {
		t.Fatalf("selected %q, want %q", got, want)
	}
	// The selection is drawn inverted.
	r := h.renderer()
	if k := r.drawnKeys[0]; k.selFrom != 6 || k.selTo != 19 {
		t.Errorf("row 0 drawn with selection %d..%d, want 6..19", k.selFrom, k.selTo)
	}

	clip := fyne.CurrentApp().Clipboard()
	clip.SetContent("")
	h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyC, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
	if got := clip.Content(); got != "line\nsecond" {
		t.Errorf("clipboard holds %q after Ctrl+Shift+C", got)
	}
	if got := h.taken(); got != "" {
		t.Errorf("copying sent %q to the program", got)
	}

	// Double-click selects a word, paths included.
	h.term.DoubleTapped(&fyne.PointEvent{Position: h.at(8, 2)})
	if got := h.term.SelectedText(); got != "/usr/local/bin" {
		t.Errorf("double-click selected %q", got)
	}
}

func TestPaste(t *testing.T) {
	tests := []struct {
		name, modes, clip, want string
	}{
		{"plain", "", "echo a\necho b", "echo a\recho b"},
		{"windows newlines", "", "a\r\nb", "a\rb"},
		{"bracketed", "\x1b[?2004h", "echo a\necho b", "\x1b[200~echo a\recho b\x1b[201~"},
		{"cannot end the bracket early", "\x1b[?2004h", "x\x1b[201~rm -rf ~\n", "\x1b[200~x[201~rm -rf ~\r\x1b[201~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 20, 5)
			h.write(tt.modes)
			fyne.CurrentApp().Clipboard().SetContent(tt.clip)
			h.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyV, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
			if got := h.taken(); got != tt.want {
				t.Errorf("paste sent %q, want %q", got, tt.want)
			}
		})
	}
	// Shift+Insert pastes too.
	h := newHarness(t, 20, 5)
	fyne.CurrentApp().Clipboard().SetContent("x")
	h.term.TypedShortcut(&fyne.ShortcutPaste{Secondary: true})
	if got := h.taken(); got != "x" {
		t.Errorf("Shift+Insert sent %q", got)
	}
}

// TestPasteDoesNotWaitOnUIGoroutine: the clipboard is read off the Fyne
// goroutine, so an owner that takes its time (or never answers) cannot
// freeze the window; the text is sent once it comes, and a failure is
// reported instead of lost.
func TestPasteDoesNotWaitOnUIGoroutine(t *testing.T) {
	h := newHarness(t, 20, 5)
	h.term.goPaste = func(f func()) { go f() }
	release := make(chan error)
	h.term.readClip = func(context.Context) (string, error) {
		if err := <-release; err != nil {
			return "", err
		}
		return "late", nil
	}
	failed := make(chan error, 1)
	h.term.OnPasteFailed = func(err error) { failed <- err }
	sent := make(chan string, 2)
	h.term.OnInput = func(b []byte) { sent <- string(b) }
	paste := &desktop.CustomShortcut{KeyName: fyne.KeyV, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift}
	// TypedShortcut returns while the read still waits (it would hang the
	// test otherwise).
	h.onUI(func() { h.term.TypedShortcut(paste) })
	release <- nil
	if got := <-sent; got != "late" {
		t.Fatalf("paste sent %q, want late", got)
	}
	h.onUI(func() { h.term.TypedShortcut(paste) })
	release <- context.DeadlineExceeded
	if err := <-failed; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OnPasteFailed got %v", err)
	}
}

func TestRepliesAndTitle(t *testing.T) {
	h := newHarness(t, 20, 5)
	h.write("\x1b[2;3H\x1b[6n\x1b]2;remote: vim\a")
	if got := h.taken(); got != "\x1b[2;3R" {
		t.Errorf("DSR reply %q", got)
	}
	if len(h.titles) != 1 || h.titles[0] != "remote: vim" || h.term.Title() != "remote: vim" {
		t.Errorf("titles %q, Title() %q", h.titles, h.term.Title())
	}
}

// Output batching: however many writes arrive, one redraw is pending at a
// time, and it shows the latest content.
func TestWritesShareOneRedraw(t *testing.T) {
	h := newHarness(t, 20, 5)
	var pending []func()
	h.term.after = func(_ time.Duration, f func()) { pending = append(pending, f) }
	h.term.lastRefresh.Store(time.Now().Add(time.Hour).UnixNano()) // within a frame of the last redraw
	for i := range 1000 {
		h.write(fmt.Sprintf("\r\nline %d", i))
	}
	if len(pending) != 1 {
		t.Fatalf("%d redraws scheduled for 1000 writes, want 1", len(pending))
	}
	if got := h.shownRow(4); got == "line 999" {
		t.Fatal("drawn before the redraw ran")
	}
	pending[0]()
	if got := h.shownRow(4); got != "line 999" {
		t.Errorf("after the redraw row 4 = %q, want line 999", got)
	}
	h.write("!")
	if len(pending) != 2 {
		t.Errorf("a write after the redraw scheduled %d in all, want 2", len(pending))
	}
}

// A synchronized update (mode 2026) is shown whole: the frame waits for its
// end, but not forever.
func TestSynchronizedUpdate(t *testing.T) {
	h := newHarness(t, 20, 5)
	var pending []func()
	h.term.after = func(_ time.Duration, f func()) { pending = append(pending, f) }
	run := func() {
		f := pending[0]
		pending = pending[1:]
		f()
	}
	h.term.lastRefresh.Store(time.Now().Add(time.Hour).UnixNano())
	h.write("\x1b[?2026hhalf")
	run() // the frame comes, the update is not finished
	if got := h.shownRow(0); got != "" {
		t.Fatalf("drew %q in the middle of a synchronized update", got)
	}
	h.write(" done\x1b[?2026l")
	run()
	if got := h.shownRow(0); got != "half done" {
		t.Errorf("after the update row 0 = %q, want half done", got)
	}
	if len(pending) != 0 {
		t.Errorf("%d frames still pending", len(pending))
	}

	// A program that never finishes still gets drawn.
	h.write("\x1b[?2026h\r\nstuck")
	h.term.syncSince = time.Now().Add(-time.Second)
	run()
	if got := h.shownRow(1); got != "stuck" {
		t.Errorf("an update held past the limit was not drawn: row 1 = %q", got)
	}
}

// Pixels: colours land on their cells, truecolor exactly.
func TestRenderColours(t *testing.T) {
	h := newHarness(t, 10, 3)
	h.write("\x1b[41m \x1b[48;2;1;2;3m \x1b[48;5;21m \x1b[0m\x1b[7m \x1b[0m")
	img := h.win.Canvas().Capture()
	pixel := func(col int) color.RGBA {
		p := h.at(col, 0)
		return rgba(img.At(int(p.X), int(p.Y)))
	}
	if got := pixel(0); got != ansi[1] {
		t.Errorf("red cell shows %v, want %v", got, ansi[1])
	}
	if got := pixel(1); got != (color.RGBA{1, 2, 3, 255}) {
		t.Errorf("truecolor cell shows %v, want 1,2,3", got)
	}
	if got := pixel(2); got != palette(21) {
		t.Errorf("256-colour cell shows %v, want %v", got, palette(21))
	}
	if got, fg := pixel(3), h.renderer().pal.fg; got != fg {
		t.Errorf("reverse cell shows %v, want the foreground %v", got, fg)
	}
	if got, bg := pixel(5), h.renderer().pal.bg; got != bg {
		t.Errorf("blank cell shows %v, want the background %v", got, bg)
	}
}

// syncBuffer is a bytes.Buffer for two goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAttach(t *testing.T) {
	h := newHarness(t, 30, 8)
	out, session := io.Pipe()
	var in syncBuffer
	sizes := make(chan [2]int, 10)
	result := make(chan error, 1)
	go func() {
		result <- h.term.Attach(context.Background(), out, &in, func(c, r int) { sizes <- [2]int{c, r} })
	}()
	if got := <-sizes; got != [2]int{30, 8} {
		t.Errorf("first size %v, want the grid 30x8", got)
	}

	// Output shows; the terminal's reply goes to the session's input.
	fmt.Fprint(session, "hello\x1b[6n")
	waitFor(t, "the reply on the session's input", func() bool { return in.String() == "\x1b[1;6R" })
	if got := h.term.Model().LineText(0); got != "hello" {
		t.Errorf("row 0 = %q", got)
	}
	waitFor(t, "hello drawn", func() (drawn bool) {
		h.onUI(func() { drawn = h.shownRow(0) == "hello" })
		return drawn
	})
	// Keys and resizes go to the session, not to the callbacks.
	h.onUI(func() { test.Type(h.term, "ls") })
	waitFor(t, "typed keys on the session's input", func() bool { return in.String() == "\x1b[1;6Rls" })
	h.onUI(func() { h.resize(40, 10) })
	if got := <-sizes; got != [2]int{40, 10} {
		t.Errorf("size after resize %v, want 40x10", got)
	}
	h.onUI(func() {
		if len(h.input) != 0 {
			t.Errorf("OnInput got %q while attached", h.input)
		}
	})

	session.Close()
	if err := <-result; err != nil {
		t.Errorf("Attach returned %v at EOF", err)
	}
	test.Type(h.term, "z")
	if got := h.taken(); got != "z" {
		t.Errorf("after Attach, OnInput got %q", got)
	}
}

func TestAttachStopsWithContext(t *testing.T) {
	h := newHarness(t, 30, 8)
	out, session := io.Pipe()
	defer session.Close()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- h.term.Attach(ctx, out, io.Discard, nil) }()
	cancel()
	if err := <-result; err != context.Canceled {
		t.Errorf("Attach returned %v, want context.Canceled", err)
	}
}

// waitFor polls cond until it holds; the deadline only stops a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
