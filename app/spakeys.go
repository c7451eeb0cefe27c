package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // pictures of a QR code: Scan QR… reads these
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"

	"sesame/profiles"
)

// spaKeysDialog shows an SPA profile's keys: the text fwknop --key-gen
// prints, a QR code of them as fwknop's mobile clients read it (and
// another Sesame's Scan QR…: "KEY_BASE64:… HMAC_KEY_BASE64:…"), and the
// lines for the server's access.conf.
// The keys are secrets: the app shows them right after making them, and
// on the form's Show keys… after asking, never elsewhere.
type spaKeysDialog struct {
	secretView
	// values are the keys in base64, for the test hook to keep out of
	// its state file.
	values []string
}

// showSPAKeys shows p's keys. once says they were just made and this is
// the one time they are shown unasked.
func (u *UI) showSPAKeys(p *profiles.Profile, once bool) *spaKeysDialog {
	k := p.Secrets.SPA
	d := &spaKeysDialog{values: []string{base64.StdEncoding.EncodeToString(k.Key), base64.StdEncoding.EncodeToString(k.HMACKey)}}
	text := k.String()
	setup := p.SPADoorSetup(once)
	parts := secretParts{
		title:  "SPA keys of " + p.Name,
		intro:  fmt.Sprintf("Anyone who has these keys can open the door of %s. Close this window when you are done.", p.Name),
		head:   "Keys (as fwknop --key-gen prints them)",
		text:   strings.TrimSpace(text),
		copies: []fyne.CanvasObject{widget.NewButtonWithIcon("Copy keys", theme.ContentCopyIcon(), func() { u.copySecret(text, "the SPA keys") })},
		scan:   "On another device, scan the code with an fwknop client, or Scan QR… a picture of it in Sesame's form; or give the text to sesame profile add NAME --host HOST --spa FILE.",
		// The QR code holds the one line fwknop's mobile clients read.
		qrText:    k.QRText(),
		qrSize:    240,
		linesHead: "For the server (fwknopd's access.conf, or sesamed's Fwknop_Access)",
		lines:     setup,
		linesWhat: "the access.conf lines",
		linesWrap: fyne.TextWrapBreak,
		width:     760,
		closed: func() {
			if u.spaKeysShown == d {
				u.spaKeysShown = nil
			}
		},
	}
	if once {
		parts.title = "New SPA keys for " + p.Name
		parts.intro = fmt.Sprintf("Sesame made new SPA keys for %s and shows them only now (the form's Show keys… shows them again). "+
			"Put them in the server's access.conf, and copy them to your other devices: anyone who has them can open the door.", p.Name)
	}
	d.secretView = u.newSecretView(parts)
	u.spaKeysShown = d
	d.dlg.Show()
	return d
}

// confirmShowSPAKeys asks before showing the keys of the profile the form
// edits (as sesame profile show asks for --reveal), then shows them.
func (f *profileForm) confirmShowSPAKeys() {
	u, p := f.u, f.base
	if p.Secrets.SPA == nil {
		return
	}
	msg := widget.NewLabel(fmt.Sprintf("The SPA keys of %s open its door: anyone who sees them, or their QR code, can send the packet. "+
		"Show them where no one can look over your shoulder or record the screen.", p.Name))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Show the SPA keys of "+p.Name+"?", "Show", "Cancel", msg, func(ok bool) {
		if ok {
			u.showSPAKeys(&p, false)
		}
	}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// scanSPAKeys reads the keys from a picture of their QR code (a
// screenshot, a photo), chosen in a file dialog, and puts them in the
// form's key fields.
func (f *profileForm) scanSPAKeys() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		defer rc.Close()
		keys, err := readQRKeys(rc)
		if err != nil {
			f.errs[fSPAKey] = fmt.Errorf("%s: %w", rc.URI().Name(), err)
			f.showHint(fSPAKey)
			f.update()
			return
		}
		f.setSPAKeys(keys)
	}, f.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif", ".PNG", ".JPG", ".JPEG"}))
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	showFileDialog(d)
}

// maxQRPicture bounds a picture read for its QR code.
const maxQRPicture = 32 << 20

// readQRKeys finds the QR code in a picture and reads SPA keys from its
// text (fwknop's mobile clients' one line, or fwknop --key-gen's lines).
// Errors never quote the code's text.
func readQRKeys(r io.Reader) (*profiles.SPAKeys, error) {
	img, _, err := image.Decode(io.LimitReader(r, maxQRPicture))
	if err != nil {
		return nil, errors.New("not a PNG, JPEG or GIF picture: choose a picture of the keys' QR code")
	}
	text, err := decodeQRText(img)
	if err != nil {
		return nil, err
	}
	keys, err := profiles.ParseSPAKeys(text)
	if err != nil {
		return nil, fmt.Errorf("the QR code holds no SPA keys (%v): use the code fwknop's tools or Sesame show for the keys", err)
	}
	return keys, nil
}

// decodeQRText reads the QR code in img, trying a few scales: gozxing's
// finder-pattern search misses a code now and then at one scale (and a
// code made a pixel per module is too small to find).
func decodeQRText(img image.Image) (string, error) {
	b := img.Bounds()
	for _, scale := range []int{1, 4, 8, 3} {
		src := img
		if scale > 1 {
			big := image.NewRGBA(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale))
			draw.NearestNeighbor.Scale(big, big.Bounds(), img, b, draw.Src, nil)
			src = big
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(src)
		if err != nil {
			continue
		}
		if res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil); err == nil {
			return res.GetText(), nil
		}
	}
	return "", errors.New("no QR code found in the picture: choose a sharp picture of the whole code")
}
