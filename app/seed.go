package app

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
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
	dlg   *dialog.CustomDialog
	seed  *widget.Label // the base32 seed
	qr    *canvas.Image // the QR code of uri
	uri   string
	lines *widget.Label // the door's lines
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
	intro := fmt.Sprintf("Anyone who has this seed can open the door of %s. Close this window when you are done.", name)
	if once {
		intro = fmt.Sprintf("Sesame made a new seed for %s and shows it only now (Show seed… shows it again). "+
			"Set up the door with it, and copy it to your other devices: anyone who has it can open the door.", name)
	}
	introL := widget.NewLabel(intro)
	introL.Wrapping = fyne.TextWrapWord

	d.seed = widget.NewLabel(r.Seed.String())
	d.seed.TextStyle.Monospace = true
	d.seed.Selectable = true
	d.seed.Wrapping = fyne.TextWrapBreak
	copySeed := widget.NewButtonWithIcon("Copy seed", theme.ContentCopyIcon(), func() { u.copySecret(r.Seed.String(), "the seed") })
	copyURI := widget.NewButtonWithIcon("Copy URI", theme.ContentCopyIcon(), func() { u.copySecret(d.uri, "the seed URI") })

	var qr fyne.CanvasObject
	if img, err := qrImage(d.uri); err != nil {
		qr = widget.NewLabel(err.Error())
	} else {
		d.qr = canvas.NewImageFromImage(img)
		d.qr.FillMode = canvas.ImageFillContain
		d.qr.ScaleMode = canvas.ImageScalePixels
		d.qr.SetMinSize(fyne.NewSize(220, 220))
		qr = d.qr
	}
	scan := widget.NewLabel(fmt.Sprintf("On another device, scan the code or paste the URI into Sesame's seed field, or run sesame profile add %s --host HOST --seed URI: it holds the seed and the settings.", name))
	scan.Wrapping = fyne.TextWrapWord
	scan.Importance = widget.LowImportance
	seedBox := container.NewVBox(bold("Seed (base32)"), d.seed, container.NewHBox(copySeed, copyURI), scan)

	d.lines = widget.NewLabel(r.DoorSetup(name, once))
	d.lines.TextStyle.Monospace = true
	d.lines.Selectable = true
	d.lines.Wrapping = fyne.TextWrapWord
	copyLines := widget.NewButtonWithIcon("Copy lines", theme.ContentCopyIcon(), func() { u.copySecret(r.DoorSetup(name, once), "the door's lines") })

	content := container.NewVBox(
		introL,
		container.NewBorder(nil, nil, qr, nil, seedBox),
		bold("For the server (sesamed's knockd.conf)"),
		d.lines,
		container.NewHBox(copyLines),
	)
	title := "Seed of " + name
	if once {
		title = "New seed for " + name
	}
	d.dlg = dialog.NewCustom(title, "Done", content, u.win)
	d.dlg.SetOnClosed(func() {
		if u.seedShown == d {
			u.seedShown = nil
		}
		// Nothing keeps the seed once the dialog is gone.
		d.seed.SetText("")
		d.lines.SetText("")
	})
	u.seedShown = d
	d.dlg.Resize(fyne.NewSize(720, 0))
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
