package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

// door is what this app knows of a profile's door: its last knocks and
// sessions since it started. knockd closes a door on the close knock (or
// its own timer), which only the server sees; this is what the user did.
type door struct {
	opened, closed time.Time // the last open and close knock that went out
	failed         string    // the last knock's failure, "" when it went out
	failedOpen     bool
}

// doorOf is the profile's door, made on first use.
func (u *UI) doorOf(name string) *door {
	if u.doors == nil {
		u.doors = map[string]*door{}
	}
	d := u.doors[name]
	if d == nil {
		d = &door{}
		u.doors[name] = d
	}
	return d
}

// knocked records a knock's result and shows it in the details.
func (u *UI) knocked(name string, closeSeq bool, err error) {
	d := u.doorOf(name)
	var self selfClosingError
	switch {
	case errors.As(err, &self):
		// An SPA profile's Knock close: nothing was sent, nothing failed.
	case err != nil:
		d.failed, d.failedOpen = err.Error(), !closeSeq
	case closeSeq:
		d.closed, d.failed = u.deps.Clock.Now(), ""
	default:
		d.opened, d.failed = u.deps.Clock.Now(), ""
	}
	u.detail.showDoor()
}

// liveSession is the profile's running session, if one is up.
func (u *UI) liveSession(name string) *session {
	for _, s := range u.sessions {
		if s.name == name && s.live() && s.term != nil && s.lost == nil && s.openedAt != (time.Time{}) {
			return s
		}
	}
	return nil
}

// doorLine says whether the door is open, since when, and what closes it;
// the importance colours it (green open by a session, orange open with
// nothing to close it but a knock, red a failed knock).
func (u *UI) doorLine(p *profiles.Profile) (string, widget.Importance) {
	now := u.deps.Clock.Now()
	if p.SPA != nil {
		return u.spaDoorLine(p, now)
	}
	if s := u.liveSession(p.Name); s != nil {
		return fmt.Sprintf("● Door open for %s: a session runs; Disconnect knocks it shut", span(now.Sub(s.openedAt))), widget.SuccessImportance
	}
	d := u.doors[p.Name]
	switch {
	case d == nil:
		return "", widget.MediumImportance
	case d.failed != "":
		what := "close"
		if d.failedOpen {
			what = "open"
		}
		return fmt.Sprintf("✗ The %s knock failed: %s", what, d.failed), widget.DangerImportance
	case d.opened.After(d.closed):
		// The list's profiles carry no secrets: whether there is a close
		// sequence is in the keyring, so both ways out are named.
		return fmt.Sprintf("● Door knocked open %s ago: open until Knock close, or the server's own timeout", span(now.Sub(d.opened))), widget.WarningImportance
	case !d.closed.IsZero():
		return fmt.Sprintf("✓ Door knocked shut %s ago", span(now.Sub(d.closed))), widget.MediumImportance
	}
	return "", widget.MediumImportance
}

// spaDoorLine is doorLine for an SPA profile, whose door no knock closes:
// the server's timeout does, counted from the packet.
func (u *UI) spaDoorLine(p *profiles.Profile, now time.Time) (string, widget.Importance) {
	if s := u.liveSession(p.Name); s != nil {
		return fmt.Sprintf("● SPA packet sent %s ago, a session runs: %s", span(now.Sub(s.openedAt)), p.SPA.ClosesBySelf()), widget.SuccessImportance
	}
	d := u.doors[p.Name]
	switch {
	case d == nil:
		return "", widget.MediumImportance
	case d.failed != "":
		return "✗ The SPA packet failed: " + d.failed, widget.DangerImportance
	case !d.opened.IsZero():
		return fmt.Sprintf("● SPA packet sent %s ago: %s", span(now.Sub(d.opened)), p.SPA.ClosesBySelf()), widget.WarningImportance
	}
	return "", widget.MediumImportance
}

// span is a duration for a person, to the second: "45 s", "2 min 5 s",
// "1 h 3 min".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// showDoor shows the selected profile's door line, and keeps it ticking
// while a door is open.
func (d *detailPane) showDoor() {
	if d.stopDoor != nil {
		d.stopDoor()
		d.stopDoor = nil
	}
	if d.p == nil {
		d.door.Hide()
		return
	}
	p := d.p
	tick := func() {
		text, imp := d.u.doorLine(p)
		d.door.Text, d.door.Importance = text, imp
		d.door.Refresh()
		if text == "" {
			d.door.Hide()
		} else {
			d.door.Show()
		}
	}
	tick()
	if strings.HasPrefix(d.door.Text, "●") {
		ctx, cancel := context.WithCancel(context.Background())
		d.stopDoor = cancel
		d.u.every(ctx, time.Second, tick)
	}
}

// newDoorLabel is the details' door line: bold, so a knock's result is
// seen where the user pressed the button, not only in the status bar.
func newDoorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.TextStyle.Bold = true
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// updateTitle names the session shown in the window's title, as a
// terminal's window does: "lab — Sesame".
func (u *UI) updateTitle() {
	title := "Sesame"
	if s := u.sessionOf(u.tabs.Selected()); s != nil && len(u.tabs.Items) > 0 {
		title = s.tab.Text + " — Sesame"
	}
	if u.win.Title() != title {
		u.win.SetTitle(title)
	}
}

// keepOrder is next in the order the rows had in prev, so that a row does
// not move under the pointer when a profile is used (and goes to the top
// of the most-recently-used order): profiles not in prev follow, in
// next's order. The full order comes back when the filter changes and at
// the next start.
func keepOrder(prev, next []*profiles.Profile) []*profiles.Profile {
	at := make(map[string]int, len(prev))
	for i, p := range prev {
		at[p.Name] = i
	}
	out := make([]*profiles.Profile, 0, len(next))
	var added []*profiles.Profile
	slot := make([]*profiles.Profile, len(prev))
	for _, p := range next {
		if i, ok := at[p.Name]; ok {
			slot[i] = p
		} else {
			added = append(added, p)
		}
	}
	for _, p := range slot {
		if p != nil {
			out = append(out, p)
		}
	}
	return append(out, added...)
}

// enterSelected is Enter on the list: it connects the selected profile,
// or, when a session of it is open already, shows that session — a second
// session of the same profile is the Connect button's, asked for on
// purpose, not a key pressed again while the window was busy.
func (u *UI) enterSelected() {
	p := u.list.selected()
	if p == nil {
		return
	}
	for _, s := range u.sessions {
		if s.name == p.Name && s.live() {
			u.tabs.Select(s.tab)
			if s.term != nil {
				u.win.Canvas().Focus(s.term)
			}
			u.setStatus(p.Name + ": already open, shown; Connect opens a second session")
			return
		}
	}
	u.connect(p.Name)
}

// selectImported selects the first profile an import saved, so its
// details are in view, and says what it lacks to log in as you mean to: a
// knockd.conf names no SSH user or key.
func (u *UI) selectImported(names []string) {
	if len(names) == 0 {
		return
	}
	u.list.selectName(names[0])
	p := u.list.selected()
	if p == nil || p.User != "" {
		return
	}
	lacks := "no SSH user (your login name is used)"
	if p.IdentityFile == "" {
		lacks = "no SSH user (your login name is used) and no key (ssh's are tried)"
	}
	u.setStatus(u.status.Text + fmt.Sprintf(". %s has %s: Edit to set them", p.Name, lacks))
}
