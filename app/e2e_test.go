//go:build linux

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/rotate"
)

// guardedSSH is a server namespace whose sshd only knockd's guide pair
// opens, and a client home with a key sshd accepts and the server's host
// key in known_hosts.
type guardedSSH struct {
	pair *testnet.Pair
	home string
	sshd *testnet.SSHD
}

func newGuardedSSH(t testing.TB) *guardedSSH {
	t.Helper()
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "iptables", "ssh-keygen")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	sshd := p.Server.SSHD(t)
	p.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)
	return &guardedSSH{pair: p, home: sshd.ClientHome(t, testnet.ServerAddr4.String()), sshd: sshd}
}

// appBinary is the app with the test hook. The tests build it before they
// start Xvfb, sshd and knockd: a cold cgo build takes minutes, and those
// must not wait that long with their timers running.
func appBinary(t testing.TB) string {
	t.Helper()
	return testnet.Binary(t, "sesame", "migrated_fynedo", "sesame_testhook")
}

// realApp is the sesame binary (with the test hook) running on a display.
type realApp struct {
	cmd   *exec.Cmd
	state string
	disp  *xvfb.Display
	win   string
	start time.Time
	// before is the screen before the last click by clickText, for
	// dialogShown to see a dialog appear.
	before image.Image
}

// startApp starts the app with one profile, "lab", in the real keyring,
// three more on other addresses, and the extra ones: inside the client
// namespace when g is set.
func startApp(t testing.TB, disp *xvfb.Display, g *guardedSSH, extra ...*profiles.Profile) *realApp {
	t.Helper()
	return startBinary(t, appBinary(t), disp, g, extra...)
}

// startBinary is startApp with another build of the app: one without the
// test hook writes no state.
func startBinary(t testing.TB, bin string, disp *xvfb.Display, g *guardedSSH, extra ...*profiles.Profile) *realApp {
	t.Helper()
	keyring.Require(t)
	cfg := t.TempDir()
	store := profiles.NewStore(cfg, profiles.SystemKeyring())
	open, _ := knocker.ParseSequence("7000,8000,9000")
	cls, _ := knocker.ParseSequence("9000,8000,7000")
	// Knocks 400 ms apart leave time to see them go out.
	p := &profiles.Profile{Name: "lab", Host: testnet.ServerAddr4.String(), User: "root", Delay: 400 * time.Millisecond,
		Note: "sshd behind knockd in a test namespace", Secrets: profiles.Secrets{Open: open, Close: cls}}
	if err := store.Create(p); err != nil {
		t.Fatal(err)
	}
	for i, other := range []string{"web", "backup", "db"} {
		q := *p
		q.Name, q.Host, q.Note = other, fmt.Sprintf("192.0.2.%d", 10+i), ""
		if err := store.Create(&q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range extra {
		if err := store.Create(q); err != nil {
			t.Fatal(err)
		}
	}
	a := &realApp{state: filepath.Join(t.TempDir(), "state.json"), disp: disp}
	home := t.TempDir()
	if g != nil {
		home = g.home
		a.cmd = g.pair.Client.Command(context.Background(), bin)
	} else {
		a.cmd = exec.Command(bin)
	}
	for _, d := range []string{".cache", ".config"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	a.cmd.Env = append(os.Environ(), "DISPLAY="+disp.Name, "HOME="+home, "SESAME_CONFIG_DIR="+cfg, "SESAME_TEST_STATE="+a.state,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	var out strings.Builder
	a.cmd.Stdout, a.cmd.Stderr = &out, &out
	a.start = time.Now()
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			a.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("the app's output:\n%s", out.String())
		}
	})
	return a
}

// connectLab selects lab by typing its name, clicks Connect and waits
// for the shell's prompt in its tab.
func (a *realApp) connectLab(t testing.TB) {
	t.Helper()
	a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	a.disp.Xdotool(t, "type", "--delay", "30", "lab")
	st := a.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" && st.Connect[2] > 0 })
	a.click(t, st.Connect)
	a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
}

// read is the app's last state.
func (a *realApp) read() (hookState, bool) {
	var st hookState
	data, err := os.ReadFile(a.state)
	if err != nil || json.Unmarshal(data, &st) != nil {
		return st, false
	}
	return st, true
}

// waitState waits until the app's state satisfies cond.
func (a *realApp) waitState(t testing.TB, what string, cond func(hookState) bool) hookState {
	t.Helper()
	deadline := time.Now().Add(testnet.Await)
	for {
		st, ok := a.read()
		if ok && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s; the app shows %+v", testnet.Await, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// window finds the app's main window.
func (a *realApp) window(t testing.TB) string {
	t.Helper()
	if a.win == "" {
		a.win = strings.Fields(a.disp.Xdotool(t, "search", "--sync", "--onlyvisible", "--name", "(^| — )Sesame$"))[0]
	}
	return a.win
}

// click clicks the middle of r, a button's place in the window.
func (a *realApp) click(t testing.TB, r [4]float32) {
	t.Helper()
	x, y := r[0]+r[2]/2, r[1]+r[3]/2
	a.disp.Xdotool(t, "mousemove", "--window", a.window(t), fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "1")
}

func tabScreen(st hookState, i int) string {
	if i < len(st.Tabs) {
		return st.Tabs[i].Screen
	}
	return ""
}

func artifact(name string) string {
	if dir := os.Getenv("SESAME_TEST_ARTIFACTS"); dir != "" {
		return filepath.Join(dir, name)
	}
	return filepath.Join("testdata", "artifacts", name)
}

// The real app in a real window: click Connect on a profile whose sshd is
// behind knockd, type in the terminal, see the answer, close the tab, and
// the door is shut.
func TestRealWindowConnect(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	testnet.RequireTools(t, "vim")
	appBinary(t)
	g := newGuardedSSH(t)
	disp := xvfb.Start(t, 1280, 800)
	a := startApp(t, disp, g)
	st := a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	win := a.window(t)
	a.disp.Xdotool(t, "windowfocus", "--sync", win)
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("profiles.png"))

	// lab was created first but all are unused: the list is by name, and
	// backup is selected. Pick lab by filtering, as a person would.
	a.disp.Xdotool(t, "type", "--delay", "30", "lab")
	st = a.waitState(t, "lab selected", func(st hookState) bool { return st.Selected == "lab" && st.Connect[2] > 0 })
	client := testnet.ClientAddr4.String()
	if g.pair.Server.HasAcceptFrom(t, client) {
		t.Fatal("the door is open before Connect")
	}
	x, y := st.Connect[0]+st.Connect[2]/2, st.Connect[1]+st.Connect[3]/2
	a.disp.Xdotool(t, "mousemove", "--window", win, fmt.Sprint(int(x)), fmt.Sprint(int(y)), "click", "1")
	a.waitState(t, "the first knock shown", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.Contains(st.Tabs[0].Progress, "✓ Knock 1 of 3: TCP 7000 sent")
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("connecting.png"))
	st = a.waitState(t, "a shell prompt in the tab", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if st.Tabs[0].Title != "lab" {
		t.Errorf("the tab is %q, want lab", st.Tabs[0].Title)
	}
	if !g.pair.Server.HasAcceptFrom(t, client) {
		t.Error("a session runs, but knockd opened no door for the client")
	}

	a.disp.Xdotool(t, "type", "--delay", "30", "echo hello from $((6*7))")
	a.disp.Xdotool(t, "key", "Return")
	st = a.waitState(t, "the remote shell's answer in the grid", func(st hookState) bool {
		return strings.Contains(tabScreen(st, 0), "\nhello from 42")
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("session.png"))
	t.Logf("screenshots in %s", filepath.Dir(artifact("session.png")))

	// vim works in the tab: write a file with it, and read it back.
	a.disp.Xdotool(t, "type", "--delay", "20", "vim -u NONE -N /root/note.txt")
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "vim's empty buffer", func(st hookState) bool {
		return strings.Contains(tabScreen(st, 0), "\n~") && strings.Contains(tabScreen(st, 0), "note.txt")
	})
	a.disp.Xdotool(t, "type", "--delay", "20", "iknocked open by vim")
	a.waitState(t, "the text typed into vim", func(st hookState) bool {
		return strings.Contains(tabScreen(st, 0), "knocked open by vim") && strings.Contains(tabScreen(st, 0), "-- INSERT --")
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("vim.png"))
	a.disp.Xdotool(t, "key", "Escape")
	a.disp.Xdotool(t, "type", "--delay", "20", ":wq")
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "the shell after vim", func(st hookState) bool {
		return strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	a.disp.Xdotool(t, "type", "--delay", "20", "tr a-z A-Z < /root/note.txt")
	a.disp.Xdotool(t, "key", "Return")
	a.waitState(t, "the file vim wrote", func(st hookState) bool { return strings.Contains(tabScreen(st, 0), "KNOCKED OPEN BY VIM") })

	// Ctrl+Shift+W closes the tab from the terminal (Ctrl+W is the shell's).
	a.disp.Xdotool(t, "key", "ctrl+shift+w")
	a.waitState(t, "the tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
	g.pair.Server.WaitAccept(t, client, false)

	// Stopping the app with a session open closes the door before it
	// exits.
	a.disp.Xdotool(t, "key", "Return") // the filter box has the focus again
	a.waitState(t, "a second session", func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	})
	if !g.pair.Server.HasAcceptFrom(t, client) {
		t.Fatal("the second session runs without an open door")
	}
	a.cmd.Process.Signal(unix.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the app exited with %v", err)
		}
	case <-time.After(testnet.Await):
		t.Fatal("the app did not quit on SIGTERM")
	}
	// knockd runs its close command after the knock: wait for it.
	g.pair.Server.WaitAccept(t, client, false)
}

// A rotating profile in the real window: its countdown ticks with the
// real clock, and Show seed… (after asking) shows the seed with a QR code
// that a camera reads as the seed URI.
func TestRealWindowSeed(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool", "xwd")
	appBinary(t)
	disp := xvfb.Start(t, 1280, 800)
	vault := rotatingProfile(t, "vault", rotate.DefaultParams(), 0)
	r := vault.Secrets.Rotation
	a := startApp(t, disp, nil, vault)
	a.waitState(t, "the window with the Connect button", func(st hookState) bool { return st.Connect[2] > 0 })
	a.disp.Xdotool(t, "windowfocus", "--sync", a.window(t))
	a.disp.Xdotool(t, "type", "--delay", "30", "vault")
	st := a.waitState(t, "vault's countdown", func(st hookState) bool {
		return st.Selected == "vault" && strings.HasPrefix(st.Countdown, "Next window in ") && st.ShowSeed[2] > 0
	})
	first := st.Countdown
	st = a.waitState(t, "the countdown to tick", func(st hookState) bool {
		return strings.HasPrefix(st.Countdown, "Next window in ") && st.Countdown != first
	})
	xvfb.SavePNG(t, disp.Screenshot(t), artifact("countdown.png"))

	a.click(t, st.ShowSeed)
	st = a.waitState(t, "the question before the seed", func(st hookState) bool { return st.SeedConfirm[2] > 0 })
	if st.SeedShown {
		t.Fatal("the seed is shown before the question is answered")
	}
	a.click(t, st.SeedConfirm)
	a.waitState(t, "the seed dialog", func(st hookState) bool { return st.SeedShown })
	// The dialog is drawn by the next frame; the QR code is read from
	// what is on the screen.
	uri := rotate.URI(r.Seed, r.Params)
	var shot image.Image
	t.Cleanup(func() {
		if shot != nil {
			xvfb.SavePNG(t, shot, artifact("seed.png"))
		}
	})
	testnet.WaitFor(t, "the QR code of the seed URI on the screen", func() bool {
		shot = disp.Screenshot(t)
		return readQR(shot) == uri
	})
}
