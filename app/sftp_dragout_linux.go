//go:build linux

package app

import (
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"sesame/app/internal/xdnd"
)

// desktopDragger is the drag out of win onto other programs: XDND, when
// the window is an X11 one (Xorg, or XWayland); nil under Wayland itself.
func desktopDragger(win fyne.Window) dragStarter {
	nw, ok := win.(driver.NativeWindow)
	display := os.Getenv("DISPLAY")
	if !ok || display == "" {
		return nil
	}
	var self uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			self = x.WindowHandle
		}
	})
	if self == 0 {
		return nil
	}
	return xdndStarter(display, uint32(self))
}

// xdndStarter starts XDND drags on display from the window self.
func xdndStarter(display string, self uint32) dragStarter {
	return func(done func(dragEnd)) desktopDrag {
		return xdnd.Start(display, self, func(r xdnd.Result) {
			done(dragEnd{dropped: r.Dropped, unconfirmed: r.Unconfirmed, cancelled: r.Cancelled, err: r.Err})
		})
	}
}
