package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sesame/sshlaunch"
)

func (h *harness) screen(s *session) string {
	if s.term == nil {
		return ""
	}
	return s.term.Model().ScreenText()
}

// The whole Connect: each knock shown as it goes out, with the gap
// counting down; the terminal in a tab; typing reaches the shell; closing
// the tab sends the close knock, shows "closing the door" while it goes
// out, and the tab goes only then.
func TestConnectShowsKnocksThenTerminal(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000:udp,9000", "9000,8000,7000"))
	h.launcher.hold("knock2")
	h.launcher.hold("auth")
	h.ui.list.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter connects the selected profile
	h.until("knock 2 counting down", func() bool {
		s := h.session("web")
		return s != nil && strings.Contains(s.progress.text(), "> Knock 2 of 3")
	})
	s := h.session("web")
	if h.tab("web") == nil || h.ui.tabs.Selected() != s.tab {
		t.Fatal("Connect opened no tab for web, or did not show it")
	}
	progress := s.progress.text()
	for _, want := range []string{"✓ Look up the host 192.0.2.1", "✓ Knock 1 of 3: TCP 7000 sent", "> Knock 2 of 3: UDP 8000 in 0.5 s", "Knock 3 of 3: TCP 9000"} {
		if !strings.Contains(progress, want) {
			t.Errorf("progress lacks %q:\n%s", want, progress)
		}
	}
	if !strings.Contains(s.progress.sub.Text, "root@web.example.com at 192.0.2.1:22") {
		t.Errorf("the progress view says %q", s.progress.sub.Text)
	}
	h.launcher.release("knock2")
	h.until("logging in", func() bool { return strings.Contains(s.progress.text(), "> Log in") })
	if p := s.progress.text(); !strings.Contains(p, "✓ Knock 3 of 3: TCP 9000 sent") || !strings.Contains(p, "✓ Connect to SSH") {
		t.Errorf("progress while logging in:\n%s", p)
	}
	h.launcher.release("auth")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome to the fake server") })
	if h.ui.win.Canvas().Focused() != s.term {
		t.Error("the terminal does not have the focus")
	}
	sh := <-h.launcher.shells
	if sh.pty.Term != "xterm-256color" || sh.pty.Size.Cols < 10 || sh.pty.Size.Rows < 5 {
		t.Errorf("PTY asked as %+v", sh.pty)
	}
	test.Type(s.term, "echo hello")
	s.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.until("the shell's answer", func() bool { return strings.Contains(h.screen(s), "\nhello") })

	// Closing the tab: "closing the door" until the close knock is out.
	h.launcher.hold("close")
	h.ui.tabs.CloseIntercept(s.tab)
	h.until("the closing banner", func() bool { return s.banner.Visible() })
	if !strings.Contains(s.bannerText.Text, "Closing the door") {
		t.Errorf("banner says %q", s.bannerText.Text)
	}
	h.settle()
	if h.tab("web") == nil {
		t.Fatal("the tab went before the close knock went out")
	}
	h.launcher.release("close")
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if got := h.launcher.closed(); len(got) != 1 || got[0] != "web" {
		t.Errorf("close knocks %v, want one for web", got)
	}
	if !h.ui.right.Objects[0].Visible() {
		t.Error("with no tab left the welcome view is not back")
	}
	if p, _ := h.store.Get("web"); !p.LastUsed.Equal(testNow) {
		t.Errorf("LastUsed %v, want the connect's time", p.LastUsed)
	}
}

// The progress view's countdown ticks on the app's clock: it sleeps on
// it while a knock waits, shows the time left as that clock moves, and
// stops once no step waits.
func TestProgressCountdownOnTheAppClock(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000", ""))
	h.launcher.hold("knock2")
	h.launcher.hold("auth")
	h.ui.list.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.until("knock 2 counting down on the clock", func() bool {
		s := h.session("web")
		return s != nil && strings.Contains(s.progress.text(), "> Knock 2 of 2: TCP 8000 in 0.5 s") && h.clock.Pending() == 1
	})
	s := h.session("web")
	h.clock.Advance(300 * time.Millisecond)
	h.until("the countdown to follow the clock", func() bool { return strings.Contains(s.progress.text(), "in 0.2 s") })
	h.launcher.release("knock2")
	h.until("knock 2 sent", func() bool { return strings.Contains(s.progress.text(), "> Log in") })
	h.until("the countdown asleep", func() bool { return h.clock.Pending() == 1 })
	h.clock.Advance(100 * time.Millisecond)
	h.until("the countdown to stop", func() bool { return s.progress.stopTick == nil && h.clock.Pending() == 0 })
}

// Cancel in the progress view stops the flow; the close knock still goes
// out once the door was knocked open.
func TestCancelWhileKnocking(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000,8000", "8000,7000"))
	h.launcher.hold("auth")
	h.ui.connect("web")
	s := h.session("web")
	h.until("logging in", func() bool { return strings.Contains(s.progress.text(), "> Log in") })
	test.Tap(s.progress.cancel)
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if got := h.launcher.closed(); len(got) != 1 {
		t.Errorf("close knocks %v, want one", got)
	}
}

// Disconnect, above the terminal, ends the session as closing the tab does.
func TestDisconnectButton(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	if !s.header.Visible() || !strings.Contains(s.where.Text, "root@web.example.com at 192.0.2.1:22") {
		t.Errorf("above the terminal: %q (shown %v)", s.where.Text, s.header.Visible())
	}
	h.launcher.hold("close")
	test.Tap(s.disconnBtn)
	h.until("closing the door", func() bool { return s.banner.Visible() })
	if !s.disconnBtn.Disabled() {
		t.Error("Disconnect still enabled while the door closes")
	}
	h.launcher.release("close")
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if len(h.launcher.closed()) != 1 {
		t.Errorf("close knocks %v", h.launcher.closed())
	}
}

// A shell that exits ends the session: the door is closed and the tab
// goes by itself.
func TestShellExitClosesTab(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	test.Type(s.term, "exit")
	s.term.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if len(h.launcher.closed()) != 1 {
		t.Errorf("close knocks %v", h.launcher.closed())
	}
	if !strings.Contains(h.ui.status.Text, "door closed") {
		t.Errorf("status %q", h.ui.status.Text)
	}
}

// Closing the window closes every session, each with its close knock, and
// quits only once they are all out.
func TestQuitClosesEverySession(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"), profile(t, "db", "db.example.com", "6000", "6001"))
	h.ui.connect("web")
	h.ui.connect("db")
	h.ui.connect("web")
	h.until("three terminals", func() bool {
		n := 0
		for _, s := range h.ui.sessions {
			if strings.Contains(h.screen(s), "welcome") {
				n++
			}
		}
		return n == 3
	})
	if h.tab("web (2)") == nil {
		t.Error("the second web session's tab is not numbered")
	}
	h.launcher.hold("close")
	h.ui.Quit() // what the window's close button does
	h.dialogShows("Closing the doors of 3 sessions")
	h.settle()
	if isClosed(h.app.quit) {
		t.Fatal("quit before the close knocks went out")
	}
	h.launcher.release("close")
	h.until("quit", func() bool { return isClosed(h.app.quit) })
	if got := strings.Join(h.launcher.closed(), ","); got != "web,db,web" && len(h.launcher.closed()) != 3 {
		t.Errorf("close knocks %s, want three", got)
	}
}

// Ctrl+W belongs to the program in the terminal; Ctrl+Shift+W closes the
// tab there, and Ctrl+W elsewhere.
func TestCloseTabKeys(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	sh := <-h.launcher.shells
	ctrlW := &desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierControl}
	s.term.TypedShortcut(ctrlW)
	h.until("ctrl+w to reach the shell", func() bool {
		select {
		case in := <-sh.input:
			return in == "\x17"
		default:
			return false
		}
	})
	if s.userClosed {
		t.Fatal("Ctrl+W in the terminal closed the tab")
	}
	s.term.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
	h.until("the tab to go", func() bool { return h.tab("web") == nil })

	h.ui.connect("web")
	s = h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	h.ui.win.Canvas().Focus(h.ui.list.filter)
	h.ui.list.filter.TypedShortcut(ctrlW)
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if len(h.launcher.closed()) != 2 {
		t.Errorf("close knocks %v, want two", h.launcher.closed())
	}
}

func TestNewProfileKey(t *testing.T) {
	h := newHarness(t)
	h.ui.list.filter.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault})
	h.dialogShows("The server's name or address")
	if h.ui.form == nil {
		t.Fatal("Ctrl+N opened no form")
	}
}

// Failures keep the tab with what went wrong and a way out, and say it in
// a dialog with what to try.
func TestConnectFailures(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		title string
		hint  string
	}{
		{"door", &sshlaunch.DoorError{Addr: fakeAddr, Elapsed: 15 * time.Second, Err: errors.New("i/o timeout")},
			"The door did not open", "knock sequence and protocols"},
		{"auth", &sshlaunch.AuthError{User: "root", Host: "web.example.com", Tried: "password", Err: errors.New("ssh: unable to authenticate")},
			"Login failed", "user name"},
		{"lost", &sshlaunch.ConnectionLostError{Reason: "no answer to 3 keepalives"}, "Connection lost", "connect again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
			h.launcher.connectErr = tt.err
			h.ui.connect("web")
			h.dialogShows(tt.title)
			if !strings.Contains(h.texts(), tt.hint) {
				t.Errorf("dialog lacks the hint %q:\n%s", tt.hint, h.texts())
			}
			s := h.session("web")
			if s == nil || h.tab("web") == nil {
				t.Fatal("the failed session's tab is gone")
			}
			if !strings.Contains(textsIn(s.failure), tt.title) || !strings.Contains(s.progress.text(), "✗ Connect to SSH") {
				t.Errorf("tab shows:\n%s\n%s", textsIn(s.failure), s.progress.text())
			}
			if len(h.launcher.closed()) != 1 {
				t.Errorf("close knocks %v: the flow's close knock is its own, once", h.launcher.closed())
			}
			h.tap("Close")
			test.Tap(h.buttonIn(s.failure, "Try again"))
			h.until("a second connect", func() bool { return h.launcher.connected() == 2 })
		})
	}
}

// A close knock that failed is never quiet: the door may be open.
func TestCloseKnockFailureWarns(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.launcher.script = func(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) error {
		req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageSession})
		<-ctx.Done()
		req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosing})
		err := errors.New("network is unreachable")
		req.UI.Progress(sshlaunch.Event{Stage: sshlaunch.StageClosed, Err: err})
		return ctx.Err()
	}
	h.ui.connect("web")
	s := h.session("web")
	h.settle()
	s.disconnect()
	h.dialogShows("the door may still be open")
	if !strings.Contains(h.texts(), "network is unreachable") {
		t.Errorf("dialog:\n%s", h.texts())
	}
	h.tap("Knock close again")
	h.until("the close knock", func() bool { return len(h.launcher.knocked()) == 1 })
	if got := h.launcher.knocked()[0]; got != "web 7001" {
		t.Errorf("knocked %q, want web's close sequence", got)
	}
}

func (h *harness) buttonIn(o fyne.CanvasObject, text string) *widget.Button {
	h.t.Helper()
	for _, obj := range test.LaidOutObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	h.t.Fatalf("no button %q in:\n%s", text, textsIn(o))
	return nil
}
