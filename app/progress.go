package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// stepState is where a step of the flow is.
type stepState int

const (
	stepPending stepState = iota
	stepActive
	stepDone
	stepFailed
)

// stepRow is one line of the progress view: an icon, what the step is and
// how it is going.
type stepRow struct {
	state  stepState
	icon   *widget.Icon
	what   *widget.Label
	detail *widget.Label
	// until is when a waiting step ends, for the countdown.
	until time.Time
	obj   fyne.CanvasObject
}

func newStepRow(what string) *stepRow {
	r := &stepRow{icon: widget.NewIcon(theme.RadioButtonIcon()), what: widget.NewLabel(what), detail: widget.NewLabel("")}
	r.detail.Importance = widget.LowImportance
	r.obj = container.NewHBox(r.icon, r.what, r.detail)
	return r
}

func (r *stepRow) set(state stepState, detail string) {
	r.state = state
	switch state {
	case stepPending:
		r.icon.SetResource(theme.RadioButtonIcon())
	case stepActive:
		r.icon.SetResource(theme.MoreHorizontalIcon())
	case stepDone:
		r.icon.SetResource(theme.ConfirmIcon())
	case stepFailed:
		r.icon.SetResource(theme.ErrorIcon())
	}
	if state != stepActive {
		r.until = time.Time{}
	}
	r.detail.SetText(detail)
}

func (r *stepRow) text() string {
	mark := map[stepState]string{stepPending: " ", stepActive: ">", stepDone: "✓", stepFailed: "✗"}[r.state]
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", mark, r.what.Text, r.detail.Text))
}

// progressView shows the flow step by step: resolving, each knock as it
// goes out (port, protocol, and the gap before it counting down), the wait
// for the door, the SSH dial and the login.
type progressView struct {
	u       *UI
	host    string // the profile's host, as typed
	user    string // "user@", or empty
	title   *widget.Label
	sub     *widget.Label
	resolve *stepRow
	knocks  []*stepRow
	wait    *stepRow
	dial    *stepRow
	auth    *stepRow
	rows    *fyne.Container
	cancel  *widget.Button
	obj     fyne.CanvasObject
	// stopTick ends the countdown's ticks; nil when none run.
	stopTick context.CancelFunc
}

func newProgressView(u *UI, name string) *progressView {
	v := &progressView{u: u}
	v.title = widget.NewLabel("Connecting to " + name)
	v.title.TextStyle.Bold = true
	v.title.SizeName = theme.SizeNameSubHeadingText
	v.sub = widget.NewLabel("Reading the profile…")
	v.sub.Importance = widget.LowImportance
	v.resolve = newStepRow("Look up the host")
	v.wait = newStepRow("Wait for the door")
	v.dial = newStepRow("Connect to SSH")
	v.auth = newStepRow("Log in")
	v.rows = container.NewVBox(v.resolve.obj)
	v.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), nil)
	v.obj = container.NewCenter(container.NewVBox(v.title, v.sub, widget.NewSeparator(), v.rows, container.NewHBox(v.cancel)))
	return v
}

func (v *progressView) object() fyne.CanvasObject { return v.obj }

// start lays out the steps of p's flow.
func (v *progressView) start(p *profiles.Profile) {
	v.host = p.Host
	if p.User != "" {
		v.user = p.User + "@"
	}
	v.sub.SetText(address(p))
	v.knocks = nil
	objs := []fyne.CanvasObject{v.resolve.obj}
	for i, st := range p.Secrets.Open {
		r := newStepRow(fmt.Sprintf("Knock %d of %d: %s %d", i+1, len(p.Secrets.Open), protoName(st.Proto), st.Port))
		v.knocks = append(v.knocks, r)
		objs = append(objs, r.obj)
	}
	if p.Wait > 0 {
		objs = append(objs, v.wait.obj)
	}
	objs = append(objs, v.dial.obj, v.auth.obj)
	v.rows.Objects = objs
	v.rows.Refresh()
	v.resolve.set(stepActive, "")
}

func protoName(p knocker.Proto) string {
	return strings.ToUpper(p.String())
}

// event shows a step of the flow.
func (v *progressView) event(ev sshlaunch.Event) {
	switch ev.Stage {
	case sshlaunch.StageResolved:
		v.resolve.set(stepDone, ev.Addr.Addr().String())
		if v.host == ev.Addr.Addr().String() {
			v.sub.SetText(v.user + ev.Addr.String())
		} else {
			v.sub.SetText(v.sub.Text + " at " + ev.Addr.String())
		}
	case sshlaunch.StageKnock:
		if ev.Knock == nil || ev.Knock.Step < 1 || ev.Knock.Step > len(v.knocks) {
			return
		}
		r := v.knocks[ev.Knock.Step-1]
		switch ev.Knock.Kind {
		case knock.Waiting:
			r.set(stepActive, "")
			r.until = ev.Knock.At
			v.tick()
		case knock.Sent:
			r.set(stepDone, "sent")
		}
	case sshlaunch.StageWait:
		v.wait.set(stepActive, "")
		v.wait.until = ev.Until
		v.tick()
	case sshlaunch.StageDial:
		v.wait.set(stepDone, "")
		detail := ""
		if ev.Attempt > 1 {
			detail = fmt.Sprintf("attempt %d", ev.Attempt)
		}
		v.dial.set(stepActive, detail)
	case sshlaunch.StageAuth:
		v.dial.set(stepDone, "")
		v.auth.set(stepActive, "")
	case sshlaunch.StageSession:
		v.auth.set(stepDone, "")
	}
}

// countdown refreshes the rows that wait for their time.
func (v *progressView) countdown() bool {
	now := v.u.deps.Clock.Now()
	waiting := false
	for _, r := range append([]*stepRow{v.wait}, v.knocks...) {
		if r.state == stepActive && !r.until.IsZero() {
			left := max(r.until.Sub(now), 0)
			r.detail.SetText(fmt.Sprintf("in %.1f s", left.Seconds()))
			waiting = true
		}
	}
	return waiting
}

// tick shows the countdown now and every tenth of a second while a step
// is waiting, on the app's clock.
func (v *progressView) tick() {
	if !v.countdown() || v.stopTick != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.stopTick = cancel
	v.u.every(ctx, 100*time.Millisecond, func() {
		if !v.countdown() {
			v.stop()
		}
	})
}

// stop ends the countdown.
func (v *progressView) stop() {
	if v.stopTick != nil {
		v.stopTick()
		v.stopTick = nil
	}
}

// failed marks the step that was going on as the one that failed.
func (v *progressView) failed() {
	v.stop()
	v.cancel.Hide()
	for _, r := range append(append([]*stepRow{v.resolve}, v.knocks...), v.wait, v.dial, v.auth) {
		if r.state == stepActive {
			r.set(stepFailed, r.detail.Text)
		}
	}
}

// text is what the view shows, a line per step, for tests.
func (v *progressView) text() string {
	var lines []string
	for _, r := range append(append([]*stepRow{v.resolve}, v.knocks...), v.wait, v.dial, v.auth) {
		lines = append(lines, r.text())
	}
	return strings.Join(lines, "\n")
}
