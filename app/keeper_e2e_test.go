//go:build linux

package app

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/knocker"
	"sesame/profiles"
)

// startLabSession starts the real app in the client namespace and opens a
// session to lab, whose sshd is behind knockd: the door is open when it
// returns.
func startLabSession(t *testing.T) (*guardedSSH, *realApp) {
	t.Helper()
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	g := newGuardedSSH(t)
	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g)
	a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	a.disp.Xdotool(t, "type", "--delay", "30", "lab")
	a.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" })
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !g.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("a session runs, but knockd opened no door for the client")
	}
	return g, a
}

// waitExit waits for the app to exit and returns how it did.
func (a *realApp) waitExit(t *testing.T, after string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(testnet.Await):
		t.Fatalf("the app did not exit after %s", after)
		return nil
	}
}

// SIGKILL of the app with a session open: none of its code runs, and its
// close keeper knocks the door shut.
func TestRealWindowKilledClosesDoor(t *testing.T) {
	g, a := startLabSession(t)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t, "SIGKILL")
	g.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

// With the UI goroutine stuck for good (the test hook blocks it, as a
// clipboard owner that never answers did), SIGTERM still closes the door
// and ends the app: the signal path needs no UI goroutine.
func TestRealWindowSignalWithUIStuck(t *testing.T) {
	g, a := startLabSession(t)
	if err := a.cmd.Process.Signal(unix.SIGTTIN); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the UI goroutine to block", func() bool {
		_, err := os.Stat(a.state + ".blocked")
		return err == nil
	})
	if err := a.cmd.Process.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Status 0 is the app's own exit after the close knock, not a death
	// its keeper covered.
	err := a.waitExit(t, "SIGTERM with the UI goroutine stuck")
	var ee *exec.ExitError
	if errors.As(err, &ee) || err != nil {
		t.Fatalf("the app exited with %v, want status 0", err)
	}
	g.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

// ownClipboardSilently makes a client of the display own the CLIPBOARD
// selection and never answer a request for it, as a stuck program does.
func ownClipboardSilently(t *testing.T, display string) {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	screen := xproto.Setup(conn).DefaultScreen(conn)
	atom, err := xproto.InternAtom(conn, false, uint16(len("CLIPBOARD")), "CLIPBOARD").Reply()
	if err != nil {
		t.Fatal(err)
	}
	win, _ := xproto.NewWindowId(conn)
	if err := xproto.CreateWindowChecked(conn, 0, win, screen.Root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.SetSelectionOwnerChecked(conn, win, atom.Atom, xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
}

// Ctrl+Shift+V while the clipboard's owner never answers: the window goes
// on working (GLFW's own read waited for good on the UI thread), the
// status line says nothing was pasted, and typing still reaches the shell.
func TestRealWindowPasteFromSilentOwner(t *testing.T) {
	_, a := startLabSession(t)
	ownClipboardSilently(t, a.disp.Name)
	a.disp.Xdotool(t, "key", "ctrl+shift+v")
	a.disp.Xdotool(t, "type", "--delay", "30", "echo alive $((6*7))")
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "the shell's answer after the paste", func(st hookState) bool {
		return strings.Contains(tabScreen(st, 0), "\nalive 42")
	})
	a.waitState(t, "the failed paste in the status line", func(st hookState) bool {
		return strings.Contains(st.Status, "nothing pasted")
	})
}

// A dead link in the real window: with keepalives every second, dropping
// the SSH traffic is noticed in seconds; the tab keeps its terminal and
// scrollback with Reconnect, the door is knocked shut, and Reconnect
// knocks and logs in again in the same terminal once the link is back.
func TestRealWindowLostLinkReconnects(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	g := newGuardedSSH(t)
	disp := xvfb.Start(t, 1280, 800)
	open, _ := knocker.ParseSequence("7000,8000,9000")
	cls, _ := knocker.ParseSequence("9000,8000,7000")
	ka := &profiles.Profile{Name: "quick", Host: testnet.ServerAddr4.String(), User: "root",
		Keepalive: time.Second, KeepaliveMax: 2, Secrets: profiles.Secrets{Open: open, Close: cls}}
	a := startApp(t, disp, g, ka)
	a.waitState(t, "the window", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	a.disp.Xdotool(t, "type", "--delay", "30", "quick")
	a.waitState(t, "quick selected", func(st hookState) bool { return st.Selected == "quick" })
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "a shell prompt", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	a.disp.Xdotool(t, "type", "--delay", "20", "echo before the $((6*7))")
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "the answer", func(st hookState) bool { return strings.Contains(tabScreen(st, 0), "\nbefore the 42") })

	client := testnet.ClientAddr4.String()
	g.pair.Server.Run(t, "iptables", "-w", "-I", "INPUT", "1", "-p", "tcp", "--dport", "22", "-j", "DROP")
	st := a.waitState(t, "the lost bar", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.Contains(st.Tabs[0].Lost, "Connection lost") && st.Tabs[0].Reconnect[2] > 0
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("lost.png"))
	if !strings.Contains(tabScreen(st, 0), "before the 42") {
		t.Errorf("the scrollback is gone:\n%s", tabScreen(st, 0))
	}
	g.pair.Server.WaitAccept(t, client, false)

	g.pair.Server.Run(t, "iptables", "-w", "-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
	// Where the button is now: the bar may have been laid out again since
	// (its advice, the status line) while the door was closing.
	st = a.waitState(t, "the Reconnect button", func(st hookState) bool {
		return len(st.Tabs) == 1 && st.Tabs[0].Reconnect[2] > 0
	})
	a.click(t, st.Tabs[0].Reconnect)
	st = a.waitState(t, "the new session in the same terminal", func(st hookState) bool {
		return len(st.Tabs) == 1 && st.Tabs[0].Lost == "" && strings.Contains(tabScreen(st, 0), "reconnecting") &&
			strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !strings.Contains(tabScreen(st, 0), "before the 42") {
		t.Errorf("the reconnect lost the scrollback:\n%s", tabScreen(st, 0))
	}
	if !g.pair.Server.HasAcceptFrom(t, client) {
		t.Error("reconnected without an open door")
	}
}
