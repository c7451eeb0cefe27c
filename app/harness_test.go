package app

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sesame/internal/clock"
	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// await bounds the waits for the app; it only guards against hangs.
const await = 10 * time.Second

// uiLoop runs the app's UI work on the test goroutine, so the flow's
// goroutines never touch widgets themselves, as with fyne.Do.
type uiLoop struct{ q chan func() }

func (l *uiLoop) do(f func()) { l.q <- f }

// gatedKeyring is a keyring whose calls can be held, as a locked keyring
// holds them while it asks the user to unlock it.
type gatedKeyring struct {
	profiles.Keyring
	mu      sync.Mutex
	gate    chan struct{} // nil: calls go through
	waiting int           // calls held at the gate
}

// hold makes keyring calls wait until release.
func (k *gatedKeyring) hold() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gate == nil {
		k.gate = make(chan struct{})
	}
}

func (k *gatedKeyring) release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gate != nil {
		close(k.gate)
		k.gate = nil
	}
}

// held counts the calls waiting at the gate.
func (k *gatedKeyring) held() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.waiting
}

func (k *gatedKeyring) pass() {
	k.mu.Lock()
	g := k.gate
	if g != nil {
		k.waiting++
	}
	k.mu.Unlock()
	if g != nil {
		<-g
		k.mu.Lock()
		k.waiting--
		k.mu.Unlock()
	}
}

func (k *gatedKeyring) Get(service, account string) (string, error) {
	k.pass()
	return k.Keyring.Get(service, account)
}

func (k *gatedKeyring) Set(service, account, secret string) error {
	k.pass()
	return k.Keyring.Set(service, account, secret)
}

func (k *gatedKeyring) Delete(service, account string) error {
	k.pass()
	return k.Keyring.Delete(service, account)
}

// quitApp records Quit, which the test app ignores.
type quitApp struct {
	fyne.App
	quit chan struct{}
}

func (a *quitApp) Quit() {
	select {
	case <-a.quit:
	default:
		close(a.quit)
	}
}

type harness struct {
	t        *testing.T
	loop     *uiLoop
	keyring  *gatedKeyring
	store    *profiles.Store
	launcher *fakeLauncher
	clock    *clock.Fake
	app      *quitApp
	ui       *UI
	closed   bool
}

// now is the harness clock's time.
var testNow = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, ps ...*profiles.Profile) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	h := &harness{
		t:        t,
		loop:     &uiLoop{q: make(chan func(), 256)},
		keyring:  &gatedKeyring{Keyring: profiles.NewMemKeyring()},
		launcher: newFakeLauncher(),
		clock:    clock.NewFake(testNow),
		app:      &quitApp{App: a, quit: make(chan struct{})},
	}
	h.store = profiles.NewStore(t.TempDir(), h.keyring)
	for _, p := range ps {
		if err := h.store.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	h.ui = New(h.app, Deps{Store: h.store, Launcher: h.launcher, Clock: h.clock, Do: h.loop.do})
	h.ui.win.Resize(fyne.NewSize(1100, 700))
	h.ui.win.Show()
	t.Cleanup(func() {
		h.keyring.release()
		// Let flows still running end, so their goroutines do not outlive
		// the test.
		for _, s := range h.ui.sessions {
			s.cancel()
		}
		for _, s := range append([]*session(nil), h.ui.sessions...) {
			h.until("the flow of "+s.name+" to end", func() bool { return isClosed(s.done) })
		}
		h.launcher.releaseAll()
		h.closeWindow()
	})
	return h
}

// closeWindow closes the main window, once (the test driver panics on a
// second Close).
func (h *harness) closeWindow() {
	if !h.closed {
		h.closed = true
		h.ui.win.Close()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// until runs the app's UI work until cond holds.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(await)
	for !cond() {
		select {
		case f := <-h.loop.q:
			f()
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			h.t.Fatalf("gave up after %s waiting for %s; the window shows:\n%s", await, what, h.texts())
		}
	}
}

// settle runs the UI work queued so far.
func (h *harness) settle() {
	for {
		select {
		case f := <-h.loop.q:
			f()
		default:
			return
		}
	}
}

// overlay is the topmost dialog, or nil.
func (h *harness) overlay() fyne.CanvasObject {
	return h.ui.win.Canvas().Overlays().Top()
}

// texts is every text shown in o (the top dialog, else the window), one a
// line.
func (h *harness) texts() string {
	o := h.overlay()
	if o == nil {
		o = h.ui.win.Content()
	}
	return textsIn(o)
}

func textsIn(o fyne.CanvasObject) string {
	var out []string
	for _, obj := range test.LaidOutObjects(o) {
		if !obj.Visible() {
			continue
		}
		switch w := obj.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, "["+w.Text+"]")
		case *widget.Check:
			out = append(out, "[ ] "+w.Text)
		}
	}
	return strings.Join(out, "\n")
}

// button finds a visible button by its text in the top dialog (or the
// window).
func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	o := h.overlay()
	if o == nil {
		o = h.ui.win.Content()
	}
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	return nil
}

func (h *harness) tap(text string) {
	h.t.Helper()
	b := h.button(text)
	if b == nil {
		h.t.Fatalf("no button %q; shown:\n%s", text, h.texts())
	}
	test.Tap(b)
}

// submit taps the form's Save and waits for the save to answer: it
// writes the keyring off the UI goroutine.
func (h *harness) submit(f *profileForm) {
	h.t.Helper()
	test.Tap(f.save)
	h.until("the form's save to answer", func() bool { return !f.saving })
}

// importTap taps the import dialog's Import and waits for the import to
// answer: it writes the keyring off the UI goroutine.
func (h *harness) importTap() {
	h.t.Helper()
	h.tap("Import")
	h.until("the import to answer", func() bool { return !strings.HasPrefix(h.ui.status.Text, "Importing") })
}

// dialogShows waits for a dialog that shows text.
func (h *harness) dialogShows(text string) {
	h.t.Helper()
	h.until("a dialog that says "+text, func() bool {
		return h.overlay() != nil && strings.Contains(h.texts(), text)
	})
}

func (h *harness) session(name string) *session {
	for _, s := range h.ui.sessions {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (h *harness) tab(name string) *container.TabItem {
	for _, it := range h.ui.tabs.Items {
		if it.Text == name {
			return it
		}
	}
	return nil
}

// profile is a profile with sequences, for the store.
func profile(t testing.TB, name, host, open, cls string) *profiles.Profile {
	t.Helper()
	p := &profiles.Profile{Name: name, Host: host, User: "root"}
	var err error
	if p.Secrets.Open, err = knocker.ParseSequence(open); err != nil {
		t.Fatal(err)
	}
	if cls != "" {
		if p.Secrets.Close, err = knocker.ParseSequence(cls); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// oneTimeProfile is a profile that knocks with one-time sequences.
func oneTimeProfile(t testing.TB, name, host string, seqs ...string) *profiles.Profile {
	t.Helper()
	p := profile(t, name, host, "1", "")
	p.Secrets.Open = nil
	for _, s := range seqs {
		seq, err := knocker.ParseSequence(s)
		if err != nil {
			t.Fatal(err)
		}
		p.Secrets.OneTime = append(p.Secrets.OneTime, seq)
	}
	return p
}

// fakeLauncher plays the connect flow as sshlaunch does — progress events,
// the shell, the close knock — and lets tests hold it at its steps.
type fakeLauncher struct {
	mu       sync.Mutex
	connects []ConnectRequest
	knocks   []string // "NAME SEQ"
	closes   []string // profiles whose close sequence went out
	// script replaces the standard flow when set.
	script func(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) error
	// gates hold the flow at a step until released: "knock2", "close".
	gates map[string]chan struct{}
	// connectErr is returned after the knocks instead of a session.
	connectErr error
	shells     chan *fakeShell
}

func newFakeLauncher() *fakeLauncher {
	return &fakeLauncher{gates: map[string]chan struct{}{}, shells: make(chan *fakeShell, 8)}
}

// hold makes the flow stop at step until release(step).
func (f *fakeLauncher) hold(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gates[step] = make(chan struct{})
}

func (f *fakeLauncher) release(step string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g, ok := f.gates[step]; ok {
		close(g)
		delete(f.gates, step)
	}
}

func (f *fakeLauncher) releaseAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, g := range f.gates {
		close(g)
		delete(f.gates, k)
	}
}

// wait blocks at step while it is held; the close step is held even when
// ctx ends, as the real close knock is.
func (f *fakeLauncher) wait(ctx context.Context, step string) error {
	f.mu.Lock()
	g := f.gates[step]
	f.mu.Unlock()
	if g == nil {
		return nil
	}
	if step == "close" {
		<-g
		return nil
	}
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeLauncher) closed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.closes...)
}

func (f *fakeLauncher) connected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.connects)
}

func (f *fakeLauncher) knocked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.knocks...)
}

// Knock implements Launcher.
func (f *fakeLauncher) Knock(_ context.Context, p *profiles.Profile, seq knocker.Sequence, _ func(knock.Event)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.knocks = append(f.knocks, p.Name+" "+seq.String())
	return nil
}

var fakeAddr = netip.MustParseAddrPort("192.0.2.1:22")

// Connect implements Launcher.
func (f *fakeLauncher) Connect(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) (err error) {
	f.mu.Lock()
	f.connects = append(f.connects, req)
	script, connectErr := f.script, f.connectErr
	f.mu.Unlock()
	if script != nil {
		return script(ctx, req, shell)
	}
	ui, p := req.UI, req.Profile
	ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageResolved, Addr: fakeAddr})
	at := testNow
	for i, st := range p.Secrets.Open {
		ev := knock.Event{Step: i + 1, Total: len(p.Secrets.Open), Knock: st, Addr: fakeAddr.Addr()}
		if i > 0 {
			at = at.Add(500 * time.Millisecond)
			ev.Kind, ev.At = knock.Waiting, at
			ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageKnock, Addr: fakeAddr, Knock: &ev})
		}
		if werr := f.wait(ctx, fmt.Sprintf("knock%d", i+1)); werr != nil {
			return fmt.Errorf("open knock: %w", werr)
		}
		ev.Kind, ev.At = knock.Sent, at
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageKnock, Addr: fakeAddr, Knock: &ev})
	}
	defer func() {
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosing, Addr: fakeAddr})
		_ = f.wait(ctx, "close")
		f.mu.Lock()
		f.closes = append(f.closes, p.Name)
		f.mu.Unlock()
		ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosed, Addr: fakeAddr})
	}()
	ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageDial, Addr: fakeAddr, Attempt: 1})
	if connectErr != nil {
		return connectErr
	}
	ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageAuth, Addr: fakeAddr})
	if werr := f.wait(ctx, "auth"); werr != nil {
		return werr
	}
	ui.Progress(sshlaunch.Event{Stage: sshlaunch.StageSession, Addr: fakeAddr})
	sh := &fakeShell{input: make(chan string, 64)}
	f.shells <- sh
	return shell(ctx, sh)
}

// fakeShell is a remote shell that echoes what is typed, line by line, and
// ends on "exit".
type fakeShell struct {
	mu    sync.Mutex
	pty   sshlaunch.PTY
	sizes []sshlaunch.WindowSize
	// input receives every write to the session's input.
	input chan string
}

func (s *fakeShell) Run(ctx context.Context, stdio sshlaunch.Stdio, pty *sshlaunch.PTY) error {
	s.mu.Lock()
	s.pty = *pty
	s.mu.Unlock()
	io.WriteString(stdio.Out, "welcome to the fake server\r\n$ ")
	lines := make(chan string)
	go func() {
		buf := make([]byte, 1024)
		var line []byte
		for {
			n, err := stdio.In.Read(buf)
			if err != nil {
				close(lines)
				return
			}
			s.input <- string(buf[:n])
			for _, b := range buf[:n] {
				if b == '\r' {
					lines <- string(line)
					line = nil
					continue
				}
				line = append(line, b)
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case sz := <-pty.Resize:
			s.mu.Lock()
			s.sizes = append(s.sizes, sz)
			s.mu.Unlock()
		case l, ok := <-lines:
			if !ok || l == "exit" {
				return nil
			}
			io.WriteString(stdio.Out, l+"\r\n"+strings.TrimPrefix(l, "echo ")+"\r\n$ ")
		}
	}
}
