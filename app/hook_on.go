//go:build sesame_testhook

package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// The test hook, only in binaries built with the sesame_testhook tag (the
// end-to-end tests build one): when SESAME_TEST_STATE names a file, the app
// writes what it shows there as JSON every 50 ms, for a test driving the
// real window under Xvfb to read. SIGUSR1 resets the UI latency figure;
// SIGUSR2 stops the hook. SIGTTIN blocks the UI goroutine for good, as a
// clipboard owner that never answers did, once it has written the file
// SESAME_TEST_STATE.blocked.

func startTestHook(u *UI) {
	showForTest(u, os.Getenv("SESAME_TEST_SHOW"))
	path := os.Getenv("SESAME_TEST_STATE")
	if path == "" {
		return
	}
	var stall atomic.Int64
	reset := make(chan os.Signal, 1)
	signal.Notify(reset, syscall.SIGUSR1)
	go func() {
		for range reset {
			stall.Store(0)
		}
	}()
	block := make(chan os.Signal, 1)
	signal.Notify(block, syscall.SIGTTIN)
	go func() {
		<-block
		fyne.Do(func() {
			os.WriteFile(path+".blocked", nil, 0o600)
			select {}
		})
	}()
	// SIGUSR2 stops the hook, for a benchmark to measure the app alone.
	var quiet atomic.Bool
	hush := make(chan os.Signal, 1)
	signal.Notify(hush, syscall.SIGUSR2)
	go func() {
		<-hush
		quiet.Store(true)
	}()
	running := func() bool { return !u.stopped.Load() && !quiet.Load() }
	go func() {
		for running() {
			start := time.Now()
			fyne.DoAndWait(func() {})
			if d := int64(time.Since(start)); d > stall.Load() {
				stall.Store(d)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	go func() {
		var seq int64
		for running() {
			time.Sleep(50 * time.Millisecond)
			var st hookState
			fyne.DoAndWait(func() { st = u.testState() })
			st.StallMS = float64(stall.Load()) / float64(time.Millisecond)
			seq++
			st.Seq = seq
			data, err := json.Marshal(st)
			if err != nil {
				continue
			}
			tmp := path + ".tmp"
			if os.WriteFile(tmp, data, 0o600) == nil {
				os.Rename(tmp, path)
			}
		}
	}()
}

// showForTest opens what SESAME_TEST_SHOW asks for once the window is up,
// for the idle CPU benchmark, which runs the app without the state
// writer (its work would be measured too): "error" an error dialog that
// stays, "error-closed" one closed again a second later, as a person
// closes it.
func showForTest(u *UI, what string) {
	if what == "" {
		return
	}
	go func() {
		time.Sleep(time.Second) // the window is shown
		fyne.Do(func() { u.showError("A test error", errors.New("shown by SESAME_TEST_SHOW"), "Close it.") })
		if what != "error-closed" {
			return
		}
		time.Sleep(time.Second)
		fyne.Do(func() {
			if top := u.win.Canvas().Overlays().Top(); top != nil {
				top.Hide()
			}
		})
	}()
}

// testState is what the window shows: each pane reports its own part.
func (u *UI) testState() hookState {
	c := u.win.Canvas()
	st := hookState{Scale: c.Scale(), Status: u.status.Text}
	u.list.report(&st)
	u.detail.report(&st)
	u.seedShown.report(&st)
	u.side.report(&st)
	u.form.report(&st, c.Focused())
	if st.Focused == "" && c.Focused() != nil {
		st.Focused = fmt.Sprintf("%T", c.Focused())
	}
	for _, s := range u.sessions {
		st.Tabs = append(st.Tabs, s.report(&st))
	}
	// The seed is shown on the screen, but kept out of the state file.
	secrets := append([]string{u.seedShown.secret(), u.form.secret()}, u.form.spaSecrets()...)
	st.Texts = redact(shownTexts(c), append(secrets, u.spaKeysShown.secrets()...))
	return st
}

// report tells where the + and ⋮ buttons are, and the profile selected.
func (l *profileList) report(st *hookState) {
	st.NewButton, st.MenuButton = st.rect(l.newBtn), st.rect(l.menuBtn)
	if p := l.selected(); p != nil {
		st.Selected = p.Name
	}
}

// report tells where Connect is and, for a rotating profile, the
// countdown, Show seed… and the question it opens.
func (d *detailPane) report(st *hookState) {
	st.Connect = st.rect(d.connect)
	if d.rotBox.Visible() {
		st.Countdown = d.countdown.Text
		st.ShowSeed = st.rect(d.showSeed)
	}
	st.SeedConfirm = overlayButton(d.u.win.Canvas(), seedConfirmText)
}

// report tells whether the seed dialog is open (d is nil when it is not).
func (d *seedDialog) report(st *hookState) { st.SeedShown = d != nil }

// secret is the seed the dialog shows, to keep out of the state.
func (d *seedDialog) secret() string {
	if d == nil {
		return ""
	}
	return d.text.Text
}

// report names the focused form field or the kind of knock, and where
// the form and its Name field are.
func (f *profileForm) report(st *hookState, focused fyne.Focusable) {
	if f == nil {
		return
	}
	if f.scroll != nil {
		st.FormView = st.rect(f.scroll)
	}
	if f.first != nil {
		st.FormName = st.rect(f.first)
	}
	if focused == f.kind {
		st.Focused = "kind:" + f.kind.Selected
		return
	}
	if fe, ok := focused.(*formEntry); ok {
		for k, e := range f.entries {
			if e == &fe.Entry {
				st.Focused = "field:" + k
			}
		}
	}
}

// secret is the seed typed in the form (f is nil when it is closed), to
// keep out of the state.
func (f *profileForm) secret() string {
	if f == nil || f.entries[fSeed] == nil {
		return ""
	}
	return f.entries[fSeed].Text
}

// spaSecrets are the SPA keys typed in the form (f is nil when it is
// closed), to keep out of the state.
func (f *profileForm) spaSecrets() []string {
	if f == nil || f.entries[fSPAKey] == nil {
		return nil
	}
	return []string{f.entries[fSPAKey].Text, f.entries[fSPAHMAC].Text}
}

// secrets are the keys the SPA keys dialog shows (d is nil when it is
// closed), to keep out of the state.
func (d *spaKeysDialog) secrets() []string {
	if d == nil {
		return nil
	}
	return d.values
}

// report is the session's tab.
func (s *session) report(st *hookState) hookTab {
	ts := hookTab{Title: s.tab.Text, Progress: s.progress.text()}
	if s.term != nil {
		ts.Screen = s.term.Model().ScreenText()
	}
	if s.banner.Visible() {
		ts.Banner = s.bannerText.Text
	}
	if s.failure != nil {
		ts.Failure = labelsIn(s.failure)
	}
	s.files.report(s.filesShown, &ts)
	if s.term != nil {
		ts.Cols, ts.Rows = s.term.GridSize()
	}
	if s.lost != nil {
		ts.Lost = labelsIn(s.lost)
		if b := buttonIn(s.lost, "Reconnect"); b != nil {
			ts.Reconnect = st.rect(b)
		}
	}
	return ts
}

// rect is where b is in the window, in pixels; zero when it is hidden.
func (st *hookState) rect(b fyne.CanvasObject) [4]float32 {
	if !b.Visible() {
		return [4]float32{}
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
	return [4]float32{pos.X * st.Scale, pos.Y * st.Scale, b.Size().Width * st.Scale, b.Size().Height * st.Scale}
}

// buttonIn finds the button labelled text in containers under o.
func buttonIn(o fyne.CanvasObject, text string) *widget.Button {
	switch w := o.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			if b := buttonIn(c, text); b != nil {
				return b
			}
		}
	case *widget.Button:
		if w.Text == text {
			return w
		}
	}
	return nil
}

// labelsIn is the text of the labels in containers under o.
func labelsIn(o fyne.CanvasObject) string {
	switch w := o.(type) {
	case *fyne.Container:
		var out []string
		for _, c := range w.Objects {
			if t := labelsIn(c); t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, "\n")
	case *widget.Label:
		return w.Text
	}
	return ""
}
