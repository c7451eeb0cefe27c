package app

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"sesame/profiles"
	"sesame/rotate"
)

// seedDialog shows a rotating profile's seed: the base32 text, the QR code
// of its seed URI for another device, and the lines for the door. The seed
// is a secret: the app shows it right after making it, and on "Show
// seed…" after asking, never elsewhere.
type seedDialog struct {
	secretView
	uri string // what the QR code holds
}

// qrImage encodes text as a QR code, a pixel per module with the quiet
// zone around it; the canvas scales it up without smoothing.
func qrImage(text string) (image.Image, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		// go-qrcode's errors never quote the content (the seed).
		return nil, fmt.Errorf("make the QR code: %w", err)
	}
	return q.Image(-1), nil
}

// showSeed shows the seed of the profile name. once says it was just made
// and this is the one time it is shown unasked.
func (u *UI) showSeed(name string, r *profiles.Rotation, once bool) *seedDialog {
	d := &seedDialog{uri: rotate.URI(r.Seed, r.Params)}
	parts := secretParts{
		title: "Seed of " + name,
		intro: fmt.Sprintf("Anyone who has this seed can open the door of %s. Close this window when you are done.", name),
		head:  "Seed (base32)",
		text:  r.Seed.String(),
		copies: []fyne.CanvasObject{
			widget.NewButtonWithIcon("Copy seed", theme.ContentCopyIcon(), func() { u.copySecret(r.Seed.String(), "the seed") }),
			widget.NewButtonWithIcon("Copy URI", theme.ContentCopyIcon(), func() { u.copySecret(d.uri, "the seed URI") }),
		},
		scan:      fmt.Sprintf("On another device, scan the code or paste the URI into Sesame's seed field, or run sesame profile add %s --host HOST --seed URI: it holds the seed and the settings.", name),
		qrText:    d.uri,
		qrSize:    220,
		linesHead: "For the server (sesamed's knockd.conf)",
		lines:     r.DoorSetup(name, once),
		linesWhat: "the door's lines",
		linesWrap: fyne.TextWrapWord,
		width:     720,
		closed: func() {
			if u.seedShown == d {
				u.seedShown = nil
			}
		},
	}
	if once {
		parts.title = "New seed for " + name
		parts.intro = fmt.Sprintf("Sesame made a new seed for %s and shows it only now (Show seed… shows it again). "+
			"Set up the door with it, and copy it to your other devices: anyone who has it can open the door.", name)
	}
	d.secretView = u.newSecretView(parts)
	u.seedShown = d
	d.dlg.Show()
	return d
}

// copySecret puts a secret on the clipboard, at the user's request.
func (u *UI) copySecret(text, what string) {
	u.app.Clipboard().SetContent(text)
	u.setStatus("Copied " + what + " to the clipboard")
}

// bold is a bold label.
func bold(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

// seedConfirmText is the label of the button that shows the seed, once
// asked.
const seedConfirmText = "Show"

// confirmShowSeed asks before showing a profile's seed (as sesame profile
// show asks for --reveal), then reads it from the keyring and shows it.
func (u *UI) confirmShowSeed(p *profiles.Profile) {
	if p == nil {
		return
	}
	name := p.Name
	msg := widget.NewLabel(fmt.Sprintf("The seed of %s opens its door: anyone who sees it, or its QR code, can knock. "+
		"Show it where no one can look over your shoulder or record the screen.", name))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	show := widget.NewButtonWithIcon(seedConfirmText, theme.VisibilityIcon(), func() {
		d.Hide()
		u.loadProfile(name, func(full *profiles.Profile, err error) {
			switch {
			case err != nil:
				u.showError("Cannot read the seed of "+name, err, "")
			case full.Secrets.Rotation == nil:
				u.showError("No seed", fmt.Errorf("profile %s has no rotating sequence", name), "")
			default:
				u.showSeed(name, full.Secrets.Rotation, false)
			}
		})
	})
	show.Importance = widget.WarningImportance
	d = dialog.NewCustomWithoutButtons("Show the seed of "+name+"?", msg, u.win)
	d.SetButtons([]fyne.CanvasObject{cancel, show})
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
