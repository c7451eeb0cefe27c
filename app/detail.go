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
	"sesame/profiles"
	"sesame/spaknock"
)

// detailPane shows the selected profile and what can be done with it.
type detailPane struct {
	u       *UI
	p       *profiles.Profile
	title   *widget.Label
	lines   *widget.Label
	note    *widget.Label
	connect *widget.Button
	buttons []*widget.Button
	box     *fyne.Container
	empty   *widget.Label

	// A rotating profile's settings and the countdown to its next window,
	// read from the keyring after the profile is selected.
	rotBox    *fyne.Container
	rotLine   *widget.Label
	countdown *widget.Label
	showSeed  *widget.Button
	rotation  *profiles.Rotation
	// loads counts the keyring reads started, so that a late one for a
	// profile no longer selected is dropped.
	loads int
	// stopTick ends the countdown's goroutine; tickDone is closed when it
	// has returned.
	stopTick context.CancelFunc
	tickDone chan struct{}
	// door says whether the door is open and for how long, or how the
	// last knock went (feedback.go); stopDoor ends its ticking.
	door     *widget.Label
	stopDoor context.CancelFunc
}

func newDetailPane(u *UI) *detailPane {
	d := &detailPane{u: u, door: newDoorLabel()}
	d.title = widget.NewLabel("")
	d.title.TextStyle.Bold = true
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.title.Truncation = fyne.TextTruncateEllipsis
	d.lines = widget.NewLabel("")
	d.lines.Wrapping = fyne.TextWrapWord
	d.note = widget.NewLabel("")
	d.note.Wrapping = fyne.TextWrapWord
	d.note.Importance = widget.LowImportance

	d.connect = widget.NewButtonWithIcon("Connect", theme.LoginIcon(), func() { u.connectSelected() })
	d.connect.Importance = widget.HighImportance
	knockOpen := widget.NewButtonWithIcon("Knock open", theme.MediaPlayIcon(), func() { u.knock(d.p, false) })
	knockClose := widget.NewButtonWithIcon("Knock close", theme.MediaStopIcon(), func() { u.knock(d.p, true) })
	edit := widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() { u.editProfile(d.p) })
	dup := widget.NewButtonWithIcon("Duplicate", theme.ContentCopyIcon(), func() { u.duplicateProfile(d.p) })
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { u.deleteProfile(d.p) })
	del.Importance = widget.DangerImportance
	d.buttons = []*widget.Button{d.connect, knockOpen, knockClose, edit, dup, del}

	d.rotLine = widget.NewLabel("")
	d.rotLine.Wrapping = fyne.TextWrapWord
	d.countdown = widget.NewLabel("")
	d.countdown.Wrapping = fyne.TextWrapWord
	d.countdown.TextStyle.Bold = true
	d.showSeed = widget.NewButtonWithIcon("Show seed…", theme.VisibilityIcon(), func() { u.confirmShowSeed(d.p) })
	d.showSeed.Importance = widget.LowImportance
	d.rotBox = container.NewVBox(d.rotLine, d.countdown, container.NewHBox(d.showSeed))
	d.rotBox.Hide()

	d.box = container.NewVBox(
		d.title, d.lines, d.door, d.rotBox, d.note,
		d.connect,
		container.NewGridWithColumns(2, knockOpen, knockClose),
		container.NewGridWithColumns(3, edit, dup, del),
	)
	d.empty = widget.NewLabel("No profile selected.")
	d.empty.Importance = widget.LowImportance
	d.show(nil)
	return d
}

func (d *detailPane) object() fyne.CanvasObject {
	return container.NewStack(d.box, d.empty)
}

// show fills the pane with p (nil: nothing selected).
func (d *detailPane) show(p *profiles.Profile) {
	d.p = p
	d.stopCountdown()
	d.rotation = nil
	d.rotBox.Hide()
	d.box.Refresh()
	d.loads++
	if p == nil {
		d.showDoor()
		d.box.Hide()
		d.empty.Show()
		return
	}
	d.empty.Hide()
	d.box.Show()
	d.showDoor()
	d.title.SetText(p.Name)
	d.lines.SetText(strings.Join(describe(p, d.u.deps.Clock.Now()), "\n"))
	d.note.SetText(p.Note)
	if p.Note == "" {
		d.note.Hide()
	} else {
		d.note.Show()
	}
	// Whether the profile rotates is in the keyring only.
	load := d.loads
	d.u.loadProfile(p.Name, func(full *profiles.Profile, err error) {
		if load != d.loads || err != nil || full.Secrets.Rotation == nil {
			return
		}
		d.showRotation(full.Secrets.Rotation)
	})
}

// showRotation shows a rotating profile's settings and starts the
// countdown to its next window, ticking as the shown seconds change (the
// windows start on whole seconds), until stopCountdown.
func (d *detailPane) showRotation(r *profiles.Rotation) {
	d.rotation = r
	d.rotLine.SetText("Rotating sequence: " + r.Params.Describe())
	d.rotBox.Show()
	d.tick()
	d.box.Refresh()
	ctx, cancel := context.WithCancel(context.Background())
	d.stopTick = cancel
	d.tickDone = d.u.every(ctx, time.Second, d.tick)
}

// tick shows the countdown at the clock's time.
func (d *detailPane) tick() {
	now := d.u.deps.Clock.Now()
	st, err := d.rotation.Status(now)
	if err != nil {
		d.countdown.SetText(err.Error())
		return
	}
	lines := []string{"Next window in " + wholeSeconds(st.Next.Sub(now))}
	switch {
	case st.KnockWait > 0:
		lines = append(lines, fmt.Sprintf("This device used this window and the next already (sesamed takes each once): its next knock waits %s", wholeSeconds(st.KnockWait)))
	case st.KnockWindow != st.Window:
		lines = append(lines, "This device used this window already: its next knock uses the next one")
	}
	d.countdown.SetText(strings.Join(lines, "\n"))
}

// stopCountdown ends the countdown, if one runs.
func (d *detailPane) stopCountdown() {
	if d.stopTick != nil {
		d.stopTick()
		d.stopTick = nil
	}
}

// wholeSeconds writes a wait in whole seconds, rounded up: "12 s".
func wholeSeconds(d time.Duration) string {
	return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
}

// describe is the profile's settings in words, one per line. Knock
// sequences are secrets and stay out of it.
func describe(p *profiles.Profile, now time.Time) []string {
	out := []string{address(p)}
	if p.Port == 0 {
		out[0] += " (SSH port 22)"
	}
	switch p.Family {
	case knock.Family4:
		out = append(out, "IPv4 only")
	case knock.Family6:
		out = append(out, "IPv6 only")
	}
	if p.IdentityFile != "" {
		out = append(out, "Key "+p.IdentityFile)
	}
	if s := p.SPA; s != nil {
		out = append(out, fmt.Sprintf("SPA (fwknop): %s opens %s; %s", spaknock.Describe(p), s.AccessFor(p.SSHPort()), s.ClosesBySelf()))
	}
	var timing []string
	if p.Delay > 0 {
		timing = append(timing, fmt.Sprintf("knocks %s apart", p.Delay))
	}
	if p.Wait > 0 {
		timing = append(timing, fmt.Sprintf("waits %s before connecting", p.Wait))
	}
	if len(timing) > 0 {
		line := strings.Join(timing, ", ")
		out = append(out, strings.ToUpper(line[:1])+line[1:])
	}
	if p.LastUsed.IsZero() {
		out = append(out, "Never used")
	} else {
		out = append(out, "Last used "+ago(now, p.LastUsed))
	}
	return out
}
