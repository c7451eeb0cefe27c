package app

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sesame/sshlaunch"
)

// lossScript plays a flow whose first session loses its connection after
// printing a line, and whose later sessions print another and stay up.
type lossScript struct {
	mu    sync.Mutex
	runs  int
	close int
}

func (l *lossScript) run(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) error {
	l.mu.Lock()
	l.runs++
	n := l.runs
	l.mu.Unlock()
	req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageSession, Addr: fakeAddr})
	err := shell(ctx, shellFunc(func(ctx context.Context, stdio sshlaunch.Stdio, _ *sshlaunch.PTY) error {
		if n == 1 {
			io.WriteString(stdio.Out, "remember this line\r\n")
			return &sshlaunch.ConnectionLostError{Reason: "no answer to 3 keepalives in 45s"}
		}
		io.WriteString(stdio.Out, "back again\r\n")
		<-ctx.Done()
		return ctx.Err()
	}))
	req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosing, Addr: fakeAddr})
	l.mu.Lock()
	l.close++
	l.mu.Unlock()
	req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosed, Addr: fakeAddr})
	return err
}

func (l *lossScript) counts() (runs, closes int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.runs, l.close
}

type shellFunc func(context.Context, sshlaunch.Stdio, *sshlaunch.PTY) error

func (f shellFunc) Run(ctx context.Context, stdio sshlaunch.Stdio, pty *sshlaunch.PTY) error {
	return f(ctx, stdio, pty)
}

// A lost connection keeps the tab and its scrollback, says what happened,
// and Reconnect knocks and logs in again in the same terminal.
func TestLostSessionReconnectsInSameTab(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	script := &lossScript{}
	h.launcher.script = script.run
	h.ui.connect("web")
	s := h.session("web")
	h.until("the lost bar", func() bool { return s.lost != nil })
	term := s.term
	if !strings.Contains(term.Model().ScreenText(), "remember this line") {
		t.Fatalf("the scrollback is gone:\n%s", term.Model().ScreenText())
	}
	if got := textsIn(s.lost); !strings.Contains(got, "Connection lost") || !strings.Contains(got, "may not have reached") ||
		!strings.Contains(got, "connect again") {
		t.Errorf("the bar says:\n%s", got)
	}
	if h.tab("web") == nil {
		t.Fatal("the tab went away")
	}
	// Typing while not connected is said, not swallowed.
	term.OnInput([]byte("ls\r"))
	if !strings.Contains(h.ui.status.Text, "not sent") {
		t.Errorf("status %q after typing while not connected", h.ui.status.Text)
	}

	test.Tap(h.buttonIn(s.lost, "Reconnect"))
	h.until("the second session", func() bool {
		return strings.Contains(term.Model().ScreenText(), "back again")
	})
	if s.term != term || len(h.ui.sessions) != 1 {
		t.Fatalf("the reconnect made a new terminal or tab (%d tabs)", len(h.ui.sessions))
	}
	screen := term.Model().ScreenText()
	if !strings.Contains(screen, "remember this line") || strings.Index(screen, "remember this line") > strings.Index(screen, "back again") {
		t.Errorf("the old lines are not kept above the new session:\n%s", screen)
	}
	if runs, closes := script.counts(); runs != 2 || closes != 1 {
		t.Errorf("%d flows and %d close knocks, want 2 and 1", runs, closes)
	}
	s.disconnect()
	h.until("the tab to close", func() bool { return h.session("web") == nil })
}

// With auto-reconnect, the app reconnects on its own.
func TestLostSessionAutoReconnects(t *testing.T) {
	p := profile(t, "web", "web.example.com", "7000", "7001")
	p.AutoReconnect = true
	h := newHarness(t, p)
	script := &lossScript{}
	h.launcher.script = script.run
	h.ui.connect("web")
	s := h.session("web")
	h.until("the second session", func() bool {
		return s.term != nil && strings.Contains(s.term.Model().ScreenText(), "back again")
	})
	if runs, _ := script.counts(); runs != 2 {
		t.Errorf("%d flows, want 2", runs)
	}
}

// The form edits the profile's keepalive and auto-reconnect, checking the
// keepalive as it is typed.
func TestFormKeepalive(t *testing.T) {
	p := profile(t, "web", "web.example.com", "7000", "7001")
	h := newHarness(t, p)
	h.ui.editProfile(h.ui.profileNamed("web"))
	h.until("the form", func() bool { return h.ui.form != nil })
	f := h.ui.form
	e := f.entries[fKeepalive]
	test.Type(e, "500ms")
	if f.valid() {
		t.Fatal("a keepalive under 1s passes")
	}
	e.SetText("5s")
	f.autoReconnect.SetChecked(true)
	h.submit(f)
	got, err := h.store.Get("web")
	if err != nil {
		t.Fatal(err)
	}
	if got.Keepalive != 5*time.Second || !got.AutoReconnect {
		t.Fatalf("saved keepalive %s, auto-reconnect %v; want 5s and true", got.Keepalive, got.AutoReconnect)
	}
}
