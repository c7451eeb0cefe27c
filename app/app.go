// Package app is Sesame's desktop app: the profile list and editor, one-click
// Connect with a progress view of the knocks, SSH sessions in tabs on the
// terminal widget, the dialogs the connect flow needs (host keys,
// passwords), and a tray menu. The connect flow itself is sshlaunch's, the
// same as the command line's; this package only shows it.
//
// Everything the app touches outside itself comes in through Deps, so the
// widget tests run it against a fake Launcher and an in-memory keyring.
package app

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/internal/clock"
	"sesame/knockdconf"
	"sesame/profiles"
)

// ID is the app's reverse-DNS identifier, as in FyneApp.toml.
const ID = "org.sesame.Sesame"

// Deps are what the app works with.
type Deps struct {
	Store    *profiles.Store
	Launcher Launcher
	// Clock defaults to the system clock; tests pass a fake one (the
	// rotating countdown ticks with it).
	Clock clock.Clock
	// Do runs UI work from other goroutines; fyne.Do by default.
	Do func(func())
	// ReadOneTime reads a knockd door's One_Time_Sequences file on import;
	// knockdconf.ReadOneTimeSequencesFile by default.
	ReadOneTime profiles.OneTimeReader
	Log         *slog.Logger
}

// UI is the app: its main window and the sessions in it.
type UI struct {
	deps Deps
	app  fyne.App
	win  fyne.Window

	all      []*profiles.Profile // every profile, settings only
	list     *profileList
	detail   *detailPane
	tabs     *container.DocTabs
	sessions []*session
	status   *widget.Label
	right    *fyne.Container  // the welcome view or the tabs
	side     *sideLayout      // the sidebar beside the tabs (zoom.go)
	doors    map[string]*door // what this run knocked (feedback.go)
	form     *profileForm     // the profile form, while it is open
	// seedShown is the seed dialog, while it is open.
	seedShown *seedDialog
	// spaKeysShown is the SPA keys dialog, while it is open.
	spaKeysShown *spaKeysDialog
	// font is the terminals' font read from fontPath (font.go).
	font     fyne.Resource
	fontPath string

	tray     trayHost // the tray icon, on desktops that have one
	quitting bool
	quitDlg  interface{ Hide() }
	// stopped is set when the Fyne loop has ended: later UI work from the
	// flows still closing their doors is dropped, not queued forever.
	stopped atomic.Bool

	// flows are the sessions whose flow still runs, kept apart from the
	// UI-owned sessions so CloseDoors can reach them from any goroutine.
	flowMu sync.Mutex
	flows  map[*flowRun]struct{}
}

// flowRun is one run of a session's flow: a reconnect starts another.
type flowRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New builds the app's main window on a; Show (or ShowAndRun) shows it.
func New(a fyne.App, deps Deps) *UI {
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	if deps.Do == nil {
		deps.Do = fyne.Do
	}
	if deps.ReadOneTime == nil {
		deps.ReadOneTime = knockdconf.ReadOneTimeSequencesFile
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	a.Settings().SetTheme(quietTheme{theme.DefaultTheme()})
	u := &UI{deps: deps, app: a}
	u.win = a.NewWindow("Sesame")
	u.build()
	u.win.SetCloseIntercept(u.Quit)
	u.win.SetOnClosed(u.detail.stopCountdown)
	u.reload()
	return u
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// ShowAndRun shows the window and runs the app until it quits. Sessions
// still open then (the app was stopped by a signal) are closed, their
// close knocks sent, before it returns.
func (u *UI) ShowAndRun() {
	startTestHook(u)
	// Before the loop runs: Fyne (2.8.1) starts the tray only when the
	// loop starts, and a tray set up later, once the window is shown,
	// never appeared.
	u.setupTray()
	u.app.Lifecycle().SetOnStarted(u.started)
	u.win.ShowAndRun()
	u.detail.stopCountdown()
	u.CloseDoors()
	// Last: on Linux it closes the session bus connection the keyring
	// shares, which the flows closing their doors may still need.
	if u.tray != nil {
		u.tray.Stop()
	}
}

// started runs as the app's loop starts: the tray comes up, and a second
// on, once the first frames are drawn, the memory that building the window
// took goes back to the system. Go would keep it for the next garbage
// collection, which an idle app seldom needs: 8 MB of its resident memory.
func (u *UI) started() {
	if u.tray != nil {
		u.tray.Start()
	}
	time.AfterFunc(time.Second, debug.FreeOSMemory)
}

// CloseDoors ends every session's flow and returns once each has sent its
// close knock. It needs nothing from the UI goroutine, so a signal closes
// the doors even when the window is stuck (a clipboard that never
// answers); the UI is not updated any more afterwards.
func (u *UI) CloseDoors() {
	u.stopped.Store(true)
	u.flowMu.Lock()
	flows := make([]*flowRun, 0, len(u.flows))
	for r := range u.flows {
		flows = append(flows, r)
	}
	u.flowMu.Unlock()
	for _, r := range flows {
		r.cancel()
	}
	for _, r := range flows {
		<-r.done
	}
}

// startFlow runs s's flow on a goroutine of its own, where CloseDoors can
// find it until it returns.
// It takes the session's current context and done channel (UI goroutine).
func (u *UI) startFlow(s *session) {
	r := &flowRun{cancel: s.cancel, done: s.done}
	ctx := s.ctx
	u.flowMu.Lock()
	if u.flows == nil {
		u.flows = map[*flowRun]struct{}{}
	}
	u.flows[r] = struct{}{}
	u.flowMu.Unlock()
	go func() {
		defer func() {
			u.flowMu.Lock()
			delete(u.flows, r)
			u.flowMu.Unlock()
		}()
		s.run(ctx, r.done)
	}()
}

// do runs f on the UI goroutine, unless the app has stopped.
func (u *UI) do(f func()) {
	if u.stopped.Load() {
		return
	}
	u.deps.Do(f)
}

// every runs f on the UI goroutine at each multiple of d on the app's
// clock (clock.Every: d = time.Second ticks as a countdown's seconds
// change), from a goroutine of its own, until ctx is done; once ctx is
// done f runs no more, even if a tick was already queued. The channel
// returned is closed when the goroutine has returned.
func (u *UI) every(ctx context.Context, d time.Duration, f func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		clock.Every(ctx, u.deps.Clock, d, func() {
			u.do(func() {
				if ctx.Err() == nil {
					f()
				}
			})
		})
	}()
	return done
}

// loadProfile reads the named profile with its secrets and hands it to
// then on the UI goroutine. The keyring is read on a goroutine of its own:
// it may ask the user to unlock it, and the window must not freeze
// meanwhile.
func (u *UI) loadProfile(name string, then func(*profiles.Profile, error)) {
	go func() {
		p, err := u.deps.Store.Get(name)
		u.do(func() { then(p, err) })
	}()
}

// setStatus shows a one-line message at the bottom of the window.
func (u *UI) setStatus(msg string) {
	u.status.SetText(msg)
}

// Quit closes every session — each sends its close knock — and quits once
// they are all gone. The window's close button and the tray's Quit call it.
func (u *UI) Quit() {
	if u.quitting {
		return
	}
	u.quitting = true
	live := u.liveSessions()
	if live == 0 {
		u.app.Quit()
		return
	}
	u.quitDlg = u.showClosingAll(live)
	for _, s := range u.sessions {
		s.disconnect()
	}
}

func (u *UI) liveSessions() int {
	n := 0
	for _, s := range u.sessions {
		if !s.ended {
			n++
		}
	}
	return n
}

// sessionGone is called when a session's flow has returned.
func (u *UI) sessionGone() {
	if u.quitting && u.liveSessions() == 0 {
		if u.quitDlg != nil {
			u.quitDlg.Hide()
		}
		u.app.Quit()
	}
}
