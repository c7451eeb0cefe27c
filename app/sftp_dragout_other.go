//go:build !linux

package app

import "fyne.io/fyne/v2"

// desktopDragger: no drag source on Windows and macOS yet (Fyne has
// none); a drag out of the window does nothing.
func desktopDragger(fyne.Window) dragStarter { return nil }
