package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// secretView is the dialog a door's secret is shown in, the seed's and the
// SPA keys' alike: the secret beside its QR code for another device, and
// the lines for the server below. Closing it clears both labels, so that
// nothing keeps the secret once the dialog is gone.
type secretView struct {
	dlg   *dialog.CustomDialog
	text  *widget.Label // the secret
	qr    *canvas.Image // its QR code; nil when the code could not be made
	lines *widget.Label // the server's lines
}

// secretParts are what a secretView shows.
type secretParts struct {
	title, intro string
	head, text   string              // the secret's heading, and the secret
	copies       []fyne.CanvasObject // the buttons that copy it
	scan         string              // how another device takes it
	qrText       string
	qrSize       float32
	linesHead    string
	lines        string
	linesWhat    string // the lines, as the status line names them once copied
	linesWrap    fyne.TextWrap
	width        float32
	// closed runs when the dialog closes, after the labels are cleared.
	closed func()
}

// newSecretView builds the dialog of s, not yet shown.
func (u *UI) newSecretView(s secretParts) secretView {
	var v secretView
	introL := widget.NewLabel(s.intro)
	introL.Wrapping = fyne.TextWrapWord

	v.text = widget.NewLabel(s.text)
	v.text.TextStyle.Monospace = true
	v.text.Selectable = true
	v.text.Wrapping = fyne.TextWrapBreak

	var qr fyne.CanvasObject
	if img, err := qrImage(s.qrText); err != nil {
		qr = widget.NewLabel(err.Error())
	} else {
		v.qr = canvas.NewImageFromImage(img)
		v.qr.FillMode = canvas.ImageFillContain
		v.qr.ScaleMode = canvas.ImageScalePixels
		v.qr.SetMinSize(fyne.NewSize(s.qrSize, s.qrSize))
		qr = v.qr
	}
	scan := widget.NewLabel(s.scan)
	scan.Wrapping = fyne.TextWrapWord
	scan.Importance = widget.LowImportance
	secretBox := container.NewVBox(bold(s.head), v.text, container.NewHBox(s.copies...), scan)

	v.lines = widget.NewLabel(s.lines)
	v.lines.TextStyle.Monospace = true
	v.lines.Selectable = true
	v.lines.Wrapping = s.linesWrap
	copyLines := widget.NewButtonWithIcon("Copy lines", theme.ContentCopyIcon(), func() { u.copySecret(s.lines, s.linesWhat) })

	content := container.NewVBox(
		introL,
		container.NewBorder(nil, nil, qr, nil, secretBox),
		bold(s.linesHead),
		v.lines,
		container.NewHBox(copyLines),
	)
	v.dlg = dialog.NewCustom(s.title, "Done", content, u.win)
	v.dlg.SetOnClosed(func() {
		v.text.SetText("")
		v.lines.SetText("")
		if s.closed != nil {
			s.closed()
		}
	})
	v.dlg.Resize(fyne.NewSize(s.width, 0))
	return v
}
