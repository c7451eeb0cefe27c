package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/app/terminal"
	"sesame/sshlaunch"
)

// session is one Connect: a tab that shows the flow's progress, then the
// terminal, until the flow has sent the close knock and returned.
type session struct {
	u    *UI
	name string
	tab  *container.TabItem

	// UI state, owned by the UI goroutine.
	body       *fyne.Container // progress, terminal or failure, stacked
	banner     *fyne.Container
	bannerText *widget.Label
	header     *fyne.Container // where the session is, and Disconnect
	where      *widget.Label
	disconnBtn *widget.Button
	progress   *progressView
	term       *terminal.Terminal
	failure    fyne.CanvasObject
	userClosed bool // Disconnect, a closed tab or quitting asked to end it
	ended      bool // the flow has returned
	closeErr   error
	changedKey bool   // the changed-host-key dialog was shown
	notice     string // what the flow noticed (the door was already open)
	// lost is the bar over a terminal whose connection was lost, with
	// Reconnect; reuse is that terminal, for the next run of the flow
	// (set before it starts). autoReconnect is the profile's setting and
	// autoTries the reconnects made since the last session came up.
	lost          *fyne.Container
	reuse         *terminal.Terminal
	autoReconnect bool
	// selfClose, for an SPA profile, says how its door closes instead of
	// a close knock (SPA has no close packet).
	selfClose    string
	autoTries    int
	reconnecting bool
	// files is the Files pane (sftp.go), made on first use; fileShell
	// the connection it uses, nil while none is up.
	files      *filesPane
	filesBtn   *widget.Button
	filesShown bool
	fileShell  fileShell
	// openedAt is when the session came up, behind the door it opened.
	openedAt time.Time
	// via names the jump hosts the session goes through, for its header.
	via string

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the flow has returned
}

// connect opens a tab for the named profile and starts the flow in it.
func (u *UI) connect(name string) {
	s := &session{u: u, name: name, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.progress = newProgressView(u, name)
	s.progress.cancel.OnTapped = s.disconnect
	s.bannerText = widget.NewLabel("")
	s.bannerText.Importance = widget.WarningImportance
	bar := widget.NewProgressBarInfinite()
	s.banner = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, container.NewVBox(s.bannerText, bar))
	s.banner.Hide()
	s.where = widget.NewLabel("")
	s.where.Importance = widget.LowImportance
	s.where.Truncation = fyne.TextTruncateEllipsis
	s.disconnBtn = widget.NewButtonWithIcon("Disconnect", theme.LogoutIcon(), s.disconnect)
	s.disconnBtn.Importance = widget.LowImportance
	s.filesBtn = widget.NewButtonWithIcon("Files", theme.FolderIcon(), s.toggleFiles)
	s.filesBtn.Importance = widget.LowImportance
	s.filesBtn.Hide()
	s.header = container.NewBorder(nil, nil, nil, container.NewHBox(s.filesBtn, s.disconnBtn), s.where)
	s.header.Hide()
	s.body = container.NewStack(s.progress.object())
	s.tab = container.NewTabItemWithIcon(u.tabTitle(name), theme.LoginIcon(),
		container.NewBorder(container.NewVBox(s.banner, s.header), nil, nil, nil, s.body))
	u.sessions = append(u.sessions, s)
	u.tabs.Append(s.tab)
	u.tabs.Select(s.tab)
	u.showTabs()
	u.setStatus(name + ": connecting…")
	u.startFlow(s)
}

// tabTitle is the profile's name, numbered when it already has a tab.
func (u *UI) tabTitle(name string) string {
	n := 0
	for _, s := range u.sessions {
		if s.name == name {
			n++
		}
	}
	if n == 0 {
		return name
	}
	return fmt.Sprintf("%s (%d)", name, n+1)
}

// live reports whether the flow is still running.
func (s *session) live() bool { return !s.ended }

// run is the flow's goroutine; a reconnect runs it again with a new ctx
// and done.
func (s *session) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	u := s.u
	// The profile as this knock opens it: the next one-time sequence, or
	// this window's rotating one, in Secrets.Open.
	p, _, err := u.deps.Store.TakeOpen(s.name)
	if err == nil {
		prof := *p
		u.do(func() {
			s.progress.start(&prof)
			s.via = viaText(prof.Jump) // hops.go
			s.autoReconnect = prof.AutoReconnect
			s.selfClose = ""
			if prof.SPA != nil {
				s.selfClose = prof.SPA.ClosesBySelf()
			}
		})
		if terr := u.deps.Store.Touch(p.Name, u.deps.Clock.Now()); terr != nil {
			u.deps.Log.Warn("could not save the profile's last use", "profile", p.Name, "err", terr)
		}
		u.do(u.reload)
		// The jump hosts' doors (hops.go), knocked each from the one before.
		hops, herr := u.takeHops(&prof)
		err = herr
		if herr == nil {
			ui := &flowUI{s: s}
			req := ConnectRequest{Profile: prof, Hops: hops, UI: ui, Keeper: u.deps.Store,
				HopUI: func(hop string) sshlaunch.UI { return hopUI{ui, hop} }}
			err = u.deps.Launcher.Connect(ctx, req, s.shell)
		}
		// A one-time sequence not taken by the server goes back, so the
		// next knock sends it again: the door that did not open, and every
		// door behind a hop that did not (never knocked).
		if herr != nil || sshlaunch.NotOpened(err) {
			if sshlaunch.HopFailed(err) != "" {
				u.unspendHops(hops, err)
			}
			u.unspend(&prof)
		}
	}
	u.do(func() { s.finish(err) })
}

// shell runs the login shell in a terminal in the tab (flow goroutine).
func (s *session) shell(ctx context.Context, sh Shell) error {
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	resize := make(chan sshlaunch.WindowSize, 1)
	// A reconnect goes on in the terminal of the lost session, scrollback
	// and all.
	term := s.reuse
	if term == nil {
		term = terminal.New(terminal.WithDo(s.u.do))
	}
	shown := make(chan struct{})
	fsh, _ := sh.(fileShell)
	s.u.do(func() {
		s.showTerminal(term)
		s.setFileShell(fsh)
		close(shown)
	})
	defer s.u.do(func() { s.setFileShell(nil) })
	select {
	case <-shown:
	case <-ctx.Done():
		return ctx.Err()
	}
	attached := make(chan struct{})
	go func() {
		defer close(attached)
		_ = term.Attach(ctx, outR, inW, func(cols, rows int) {
			latest(resize, sshlaunch.WindowSize{Cols: cols, Rows: rows})
		})
	}()
	cols, rows := term.GridSize()
	err := sh.Run(ctx, sshlaunch.Stdio{In: inR, Out: outW}, &sshlaunch.PTY{
		Term: "xterm-256color", Size: sshlaunch.WindowSize{Cols: cols, Rows: rows}, Resize: resize,
	})
	outW.Close() // the terminal has shown everything: Attach returns
	inR.Close()  // and the session's input copy stops
	<-attached
	return err
}

// latest puts sz in a channel of one, replacing a size not yet taken: only
// the newest size matters for a window-change.
func latest(ch chan sshlaunch.WindowSize, sz sshlaunch.WindowSize) {
	for {
		select {
		case ch <- sz:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

func (s *session) showTerminal(term *terminal.Terminal) {
	s.term = term
	s.where.SetText(s.progress.sub.Text + s.via)
	s.header.Show()
	term.OnShortcut = func(sc fyne.Shortcut) bool { return s.u.shortcut(sc, true) }
	term.SetZoom(s.u.zoomFor(s.name))
	term.SetFont(s.u.termFont()) // checked as it was read
	term.OnPasteFailed = func(err error) { s.u.setStatus(fmt.Sprintf("%s: nothing pasted: %v", s.name, err)) }
	s.body.Objects = []fyne.CanvasObject{term}
	s.openedAt = s.u.deps.Clock.Now()
	s.u.doorOf(s.name).opened = s.openedAt
	s.u.detail.showDoor()
	s.filesShown = false
	s.filesBtn.Show()
	s.body.Refresh()
	s.tab.Icon = theme.ComputerIcon()
	s.u.tabs.Refresh()
	if s.u.tabs.Selected() == s.tab {
		s.u.win.Canvas().Focus(term)
	}
}

// showClosing shows the banner that says the door is being closed.
func (s *session) showClosing(msg string) {
	s.bannerText.SetText(msg)
	s.banner.Show()
	s.disconnBtn.Disable()
}

// disconnect ends the session: the flow sends the close knock, and the
// tab goes once it has. A tab whose flow has ended goes at once.
func (s *session) disconnect() {
	if s.ended {
		s.u.removeSession(s)
		return
	}
	if s.userClosed {
		return
	}
	s.userClosed = true
	s.showClosing("Closing the door…")
	s.cancel()
}

// finish handles the end of the flow (UI goroutine).
func (s *session) finish(err error) {
	s.ended = true
	s.progress.stop()
	u := s.u
	var exit *sshlaunch.ExitError
	var closeErr *sshlaunch.CloseError
	if errors.As(err, &closeErr) {
		s.closeErr = closeErr.Err
	}
	switch {
	case s.openedAt == (time.Time{}) || s.closeErr != nil:
	case s.selfClose != "":
		// SPA: no close knock went out; the door stays open until the
		// server's timeout, counted from the packet.
		u.doorOf(s.name).opened = s.openedAt
	default:
		u.doorOf(s.name).closed = u.deps.Clock.Now() // the flow sent the close knock
	}
	defer u.detail.showDoor()
	if s.term != nil && !s.userClosed && !u.quitting && !errors.As(err, &exit) && err != nil && s.closeErr == nil {
		// The tab had a session: keep its terminal and scrollback, and
		// offer to connect again in it.
		s.showLost(err)
		u.sessionGone()
		return
	}
	clean := err == nil || errors.As(err, &exit) ||
		(s.userClosed && (errors.Is(err, context.Canceled) || errors.Is(err, sshlaunch.ErrCancelled)))
	if s.closeErr != nil {
		if u.quitting {
			// Stay open: the user must learn the door may be open.
			u.quitting = false
			if u.quitDlg != nil {
				u.quitDlg.Hide()
			}
		}
		u.doorMayBeOpen(s.name, s.closeErr)
		clean = true // the tab has nothing more to show
	}
	if clean {
		u.removeSession(s)
		if s.closeErr == nil {
			u.setStatus(fmt.Sprintf("%s: session ended, door closed", s.name))
		}
		u.sessionGone()
		return
	}
	s.banner.Hide()
	s.header.Hide()
	s.progress.failed()
	ex := explain(err)
	s.showFailure(ex)
	u.setStatus(fmt.Sprintf("%s: %s", s.name, ex.Title))
	var changed *sshlaunch.HostKeyChangedError
	var unknown *sshlaunch.HostKeyUnknownError
	switch {
	case errors.As(err, &changed) && s.changedKey:
		// Already explained in its own dialog.
	case errors.As(err, &unknown), errors.Is(err, sshlaunch.ErrCancelled), errors.Is(err, context.Canceled):
		// The user said no; the tab says what happened.
	case !u.quitting:
		u.showExplainedFor(ex, s.name)
	}
	u.sessionGone()
}

// showFailure replaces the tab's content with what went wrong and the way
// out: try again, or close the tab.
func (s *session) showFailure(ex explanation) {
	title := widget.NewLabel(ex.Title)
	title.TextStyle.Bold = true
	title.SizeName = theme.SizeNameSubHeadingText
	detail := widget.NewLabel(ex.Detail)
	detail.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(ex.Hint)
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() {
		s.u.removeSession(s)
		s.u.connect(s.name)
	})
	retry.Importance = widget.HighImportance
	closeBtn := widget.NewButtonWithIcon("Close tab", theme.CancelIcon(), func() { s.u.removeSession(s) })
	buttons := container.NewHBox(retry)
	if ex.EditProfile {
		buttons.Add(widget.NewButtonWithIcon("Edit profile", theme.DocumentCreateIcon(), func() { s.u.editByName(s.name) }))
	}
	buttons.Add(closeBtn)
	card := container.NewVBox(
		container.NewHBox(widget.NewIcon(theme.ErrorIcon()), title),
		detail, hint,
		buttons,
	)
	s.failure = card
	s.body.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewPadded(container.NewVBox(s.progress.object(), widget.NewSeparator(), card)))}
	s.body.Refresh()
	s.tab.Icon = theme.ErrorIcon()
	s.u.tabs.Refresh()
}

// removeSession closes a finished session's tab.
func (u *UI) removeSession(s *session) {
	for i, x := range u.sessions {
		if x == s {
			u.sessions = append(u.sessions[:i], u.sessions[i+1:]...)
			break
		}
	}
	u.tabs.Remove(s.tab)
	u.showTabs()
}

// autoReconnectMax is how many reconnects in a row auto-reconnect makes
// before it leaves the choice to the user.
const autoReconnectMax = 3

// showLost keeps the terminal of a session that ended with err (the
// connection was lost, or a reconnect failed), says what happened over
// it, and offers Reconnect (UI goroutine).
func (s *session) showLost(err error) {
	u := s.u
	ex := explain(err)
	var lost *sshlaunch.ConnectionLostError
	isLost := errors.As(err, &lost)
	s.banner.Hide()
	s.disconnBtn.Disable()
	// Typing now reaches no one: say so rather than drop it unseen.
	s.term.OnInput = func([]byte) {
		u.setStatus(fmt.Sprintf("%s: not connected, what you type is not sent: press Reconnect", s.name))
	}
	title := widget.NewLabel(ex.Title)
	title.TextStyle.Bold = true
	msg := ex.Detail
	if isLost {
		msg += ". What you typed since the server last answered may not have reached it."
	}
	detail := widget.NewLabel(msg)
	detail.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(ex.Hint)
	hint.Wrapping = fyne.TextWrapWord
	hint.Importance = widget.LowImportance
	if ex.Hint == "" {
		hint.Hide()
	}
	reconnect := widget.NewButtonWithIcon("Reconnect", theme.ViewRefreshIcon(), s.reconnect)
	reconnect.Importance = widget.HighImportance
	buttons := container.NewHBox(reconnect)
	if ex.EditProfile {
		buttons.Add(widget.NewButtonWithIcon("Edit profile", theme.DocumentCreateIcon(), func() { u.editByName(s.name) }))
	}
	buttons.Add(widget.NewButtonWithIcon("Close tab", theme.CancelIcon(), func() { u.removeSession(s) }))
	s.lost = container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil,
		container.NewVBox(title, detail, hint, buttons))
	s.body.Objects = []fyne.CanvasObject{container.NewBorder(s.lost, nil, nil, nil, s.term)}
	s.filesShown = false
	s.filesBtn.Hide()
	s.body.Refresh()
	s.tab.Icon = theme.WarningIcon()
	u.tabs.Refresh()
	u.setStatus(fmt.Sprintf("%s: %s", s.name, ex.Title))
	if isLost && s.autoReconnect && s.autoTries < autoReconnectMax {
		s.autoTries++
		s.reconnect()
	}
}

// reconnect knocks and connects again, in the same tab and terminal (UI
// goroutine).
func (s *session) reconnect() {
	if !s.ended || s.term == nil || s.u.quitting {
		return
	}
	s.reuse = s.term
	s.term.OnInput = nil
	s.ended, s.userClosed, s.closeErr, s.notice = false, false, nil, ""
	s.done = make(chan struct{})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.body.Objects = []fyne.CanvasObject{s.term}
	s.filesShown = false
	s.body.Refresh()
	s.lost = nil
	s.reconnecting = true
	s.bannerText.SetText("Reconnecting: knocking and logging in again…")
	s.banner.Show()
	s.disconnBtn.Enable()
	s.tab.Icon = theme.LoginIcon()
	s.u.tabs.Refresh()
	s.term.Write([]byte("\r\n\x1b[2m[sesame: reconnecting]\x1b[0m\r\n"))
	s.u.setStatus(s.name + ": reconnecting…")
	s.u.startFlow(s)
}
