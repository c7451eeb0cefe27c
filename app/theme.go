package app

import (
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
