package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/knocker"
	"sesame/profiles"
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
}

func newDetailPane(u *UI) *detailPane {
	d := &detailPane{u: u}
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
	d.buttons = []*widget.Button{d.connect, knockOpen, knockClose, edit, dup, del}

	d.box = container.NewVBox(
		d.title, d.lines, d.note,
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
	if p == nil {
		d.box.Hide()
		d.empty.Show()
		return
	}
	d.empty.Hide()
	d.box.Show()
	d.title.SetText(p.Name)
	d.lines.SetText(strings.Join(describe(p, d.u.deps.Clock.Now()), "\n"))
	d.note.SetText(p.Note)
	if p.Note == "" {
		d.note.Hide()
	} else {
		d.note.Show()
	}
}

// describe is the profile's settings in words, one per line. Knock
// sequences are secrets and stay out of it.
func describe(p *profiles.Profile, now time.Time) []string {
	out := []string{address(p)}
	if p.Port == 0 {
		out[0] += " (SSH port 22)"
	}
	switch p.Family {
	case knocker.Family4:
		out = append(out, "IPv4 only")
	case knocker.Family6:
		out = append(out, "IPv6 only")
	}
	if p.IdentityFile != "" {
		out = append(out, "Key "+p.IdentityFile)
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
