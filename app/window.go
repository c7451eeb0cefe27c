package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/icons"
	"sesame/knocker"
	"sesame/profiles"
)

// appIcon is the app icon as a Fyne resource.
func appIcon() fyne.Resource { return fyne.NewStaticResource("sesame.png", icons.App) }

// build lays out the main window: the profile list and the selected
// profile's details on the left, the session tabs on the right.
func (u *UI) build() {
	u.win.SetIcon(appIcon())
	u.list = newProfileList(u)
	u.detail = newDetailPane(u)
	u.list.onSelect = u.detail.show

	side := container.NewBorder(u.list.bar(), container.NewVBox(widget.NewSeparator(), u.detail.object()), nil, nil, u.list.list)

	u.tabs = container.NewDocTabs()
	u.tabs.CloseIntercept = func(item *container.TabItem) {
		if s := u.sessionOf(item); s != nil {
			s.disconnect()
		}
	}
	u.tabs.OnSelected = func(item *container.TabItem) {
		if s := u.sessionOf(item); s != nil && s.term != nil && s.live() {
			u.win.Canvas().Focus(s.term)
		}
		u.updateTitle()
	}
	u.right = container.NewStack(u.welcome(), u.tabs)
	u.tabs.Hide()

	u.status = widget.NewLabel("")
	u.status.Importance = widget.LowImportance
	u.status.Truncation = fyne.TextTruncateEllipsis

	u.win.SetContent(container.NewBorder(nil, u.status, nil, nil, u.sidebar(side)))
	u.win.Resize(fyne.NewSize(1100, 700))
	u.win.Canvas().Focus(u.list.filter)

	for _, s := range append(append(layoutKeys, profileZoomKeys...),
		&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault},
		&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault},
		&desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift},
		&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
	) {
		u.win.Canvas().AddShortcut(s, func(s fyne.Shortcut) { u.shortcut(s, false) })
	}
	u.win.SetOnDropped(u.dropped) // files dropped on a session's Files pane go up
	u.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			u.escape()
			return
		}
		if u.win.Canvas().Overlays().Top() != nil {
			return // a dialog is up: Enter is not meant for the list behind it
		}
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			u.enterSelected()
		}
	})
}

// welcome is what the right side shows while no session is open.
func (u *UI) welcome() fyne.CanvasObject {
	img := canvas.NewImageFromResource(appIcon())
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(128, 128))
	title := widget.NewLabel("Sesame")
	title.SizeName = theme.SizeNameHeadingText
	title.Alignment = fyne.TextAlignCenter
	hint := widget.NewLabel("Pick a profile and press Connect (or Enter): Sesame knocks,\nopens the SSH session here, and knocks the door shut when you close it.")
	hint.Alignment = fyne.TextAlignCenter
	hint.Importance = widget.LowImportance
	add := widget.NewButtonWithIcon("New profile", theme.ContentAddIcon(), u.newProfile)
	imp := widget.NewButtonWithIcon("Import", theme.DownloadIcon(), u.importProfiles)
	return container.NewCenter(container.NewVBox(img, title, hint, container.NewCenter(container.NewHBox(add, imp))))
}

// shortcut runs the app's keyboard shortcuts; inTerminal says the terminal
// has the focus, where plain Ctrl+letters belong to the remote program.
func (u *UI) shortcut(s fyne.Shortcut, inTerminal bool) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return false
	}
	primary := cs.Modifier == fyne.KeyModifierShortcutDefault
	// Cmd is never the program's on macOS; Ctrl is on the other systems.
	if inTerminal && runtime.GOOS != "darwin" {
		primary = false
	}
	ctrlShift := cs.Modifier == fyne.KeyModifierControl|fyne.KeyModifierShift
	switch {
	case cs.KeyName == fyne.KeyN && primary:
		u.newProfile()
	case cs.KeyName == fyne.KeyW && (primary || ctrlShift):
		u.closeCurrentTab()
	case cs.KeyName == fyne.KeyF && primary:
		u.win.Canvas().Focus(u.list.filter)
	default:
		return u.layoutShortcut(cs, primary)
	}
	return true
}

// reload reads the profiles again and refreshes the list.
func (u *UI) reload() {
	ps, err := u.deps.Store.List()
	if err != nil {
		u.showError("Cannot read the profiles", err, "Check the settings file named in the message, or move it aside to start afresh.")
		return
	}
	u.all = ps
	u.list.refresh()
	u.refreshTray()
}

// connectSelected connects the selected profile.
func (u *UI) connectSelected() {
	if p := u.list.selected(); p != nil {
		u.connect(p.Name)
	}
}

func (u *UI) sessionOf(item *container.TabItem) *session {
	for _, s := range u.sessions {
		if s.tab == item {
			return s
		}
	}
	return nil
}

func (u *UI) closeCurrentTab() {
	if s := u.sessionOf(u.tabs.Selected()); s != nil {
		s.disconnect()
	}
}

// showTabs shows the tabs, or the welcome view when there are none.
func (u *UI) showTabs() {
	if len(u.tabs.Items) == 0 {
		u.tabs.Hide()
		u.updateTitle()
		u.right.Objects[0].Show()
		u.win.Canvas().Focus(u.list.filter)
		return
	}
	u.right.Objects[0].Hide()
	u.tabs.Show()
	u.updateTitle()
}

// knock sends a profile's open or close sequence on its own (the detail
// pane's and the tray's Knock open / Knock close).
func (u *UI) knock(p *profiles.Profile, closeSeq bool) {
	if p == nil {
		return
	}
	name := p.Name
	what := "open"
	if closeSeq {
		what = "close"
	}
	u.setStatus(fmt.Sprintf("%s: knocking %s…", name, what))
	go func() {
		err := u.sendKnock(name, closeSeq)
		u.do(func() {
			u.knocked(name, closeSeq, err)
			if err != nil {
				hint := knockHint
				var self selfClosingError
				if errors.As(err, &self) {
					hint = "There is nothing to send: the server closes the door when its timeout ends."
				}
				u.setStatus(fmt.Sprintf("%s: the %s knock failed", name, what))
				u.showError(fmt.Sprintf("The %s knock for %s failed", what, name), err, hint)
				return
			}
			u.setStatus(fmt.Sprintf("%s: %s knock sent", name, what))
			u.reload()
		})
	}()
}

const knockHint = "Check the host name and that this computer's network reaches it."

// selfClosingError refuses a close knock for a door that closes by itself
// (an SPA door: SPA has no close packet).
type selfClosingError string

func (e selfClosingError) Error() string { return string(e) }

// sendKnock loads the profile with its secrets and sends its sequence.
func (u *UI) sendKnock(name string, closeSeq bool) error {
	var p *profiles.Profile
	var seq knocker.Sequence
	var err error
	if closeSeq {
		if p, err = u.deps.Store.Get(name); err != nil {
			return err
		}
		if p.SPA != nil {
			return selfClosingError("it is an SPA profile: " + p.SPA.ClosesBySelf())
		}
		if seq = p.Secrets.Close; len(seq) == 0 {
			return errors.New("the profile has no close sequence: add one with Edit")
		}
	} else if p, seq, err = u.deps.Store.TakeOpen(name); err != nil {
		return err
	}
	if err := u.deps.Launcher.Knock(context.Background(), p, seq, nil); err != nil {
		return err
	}
	if !closeSeq {
		if err := u.deps.Store.Touch(name, u.deps.Clock.Now()); err != nil {
			u.deps.Log.Warn("could not save the profile's last use", "profile", name, "err", err)
		}
	}
	return nil
}
