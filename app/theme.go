package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// quietTheme is Fyne's theme without the blur behind modal dialogs. The
// blur is redrawn over the whole window on every frame that changes
// anything — a blinking text cursor in a dialog, a progress bar — and
// under software rendering that alone kept two cores busy while a dialog
// was open. The shadow that dims the window behind a dialog stays.
type quietTheme struct{ fyne.Theme }

func (t quietTheme) Size(name fyne.ThemeSizeName) float32 {
	if name == theme.SizeNameModalBlurRadius {
		return 0
	}
	return t.Theme.Size(name)
}

// Color makes the disabled colour, which Fyne also gives low-importance
// labels (every hint under a form field, the status line, the details'
// note), readable: Fyne's #e3e3e3 on white and #39393a on near-black
// have a contrast of 1.3:1 and 1.6:1, where text needs 4.5:1. Disabled
// controls stay apart from enabled ones by their greyed background.
func (t quietTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if name == theme.ColorNameDisabled {
		if v == theme.VariantDark {
			return color.NRGBA{R: 0x8f, G: 0x8f, B: 0x93, A: 0xff}
		}
		return color.NRGBA{R: 0x73, G: 0x73, B: 0x73, A: 0xff}
	}
	return t.Theme.Color(name, v)
}
