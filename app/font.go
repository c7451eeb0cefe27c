package app

import (
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"sesame/app/terminal"
)

// prefTermFont is the path of the TTF the terminals draw their text in,
// in Fyne's preferences for the app; empty (or unset) is the bundled
// monospace font.
const prefTermFont = "terminal.font"

// termFont is the terminals' font: nil for the bundled monospace. The
// file is read when a terminal first needs it, not as the app starts; a
// file gone since it was chosen falls back to the bundled font, and says
// so in the status line.
func (u *UI) termFont() fyne.Resource {
	path := u.app.Preferences().String(prefTermFont)
	if path == "" {
		return nil
	}
	if u.font != nil && u.fontPath == path {
		return u.font
	}
	res, err := readFont(path)
	if err != nil {
		u.setStatus(fmt.Sprintf("Terminal font: %v; using the bundled one (⋮ → Terminal font… picks another)", err))
		return nil
	}
	u.font, u.fontPath = res, path
	return res
}

// readFont reads the font file at path and checks that the terminal can
// draw with it.
func readFont(path string) (fyne.Resource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the font: %w", err)
	}
	res := fyne.NewStaticResource(filepath.Base(path), data)
	if err := terminal.CheckFont(res); err != nil {
		return nil, fmt.Errorf("%s is no font the terminal can draw with (%w): pick a .ttf or .otf file", path, err)
	}
	return res, nil
}

// setTermFont draws every terminal in the font at path ("" for the
// bundled monospace) and remembers it; a file that is no usable font is
// refused with the reason, and nothing changes.
func (u *UI) setTermFont(path string) error {
	var res fyne.Resource
	if path != "" {
		var err error
		if res, err = readFont(path); err != nil {
			return err
		}
	}
	u.font, u.fontPath = res, path
	u.app.Preferences().SetString(prefTermFont, path)
	for _, s := range u.sessions {
		if s.term != nil {
			s.term.SetFont(res) // checked above
		}
	}
	if path == "" {
		u.setStatus("Terminal font: the bundled monospace")
	} else {
		u.setStatus("Terminal font: " + filepath.Base(path))
	}
	return nil
}

// chooseTermFont asks for a TTF or OTF file for the terminals.
func (u *UI) chooseTermFont() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError("Cannot open the font", err, "")
			return
		}
		if rc == nil {
			return
		}
		rc.Close()
		if err := u.setTermFont(rc.URI().Path()); err != nil {
			u.showError("Cannot use that font", err, "Pick a monospace .ttf or .otf file, or ⋮ → Bundled terminal font.")
		}
	}, u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".ttf", ".otf", ".TTF", ".OTF"}))
	showFileDialog(d)
}
