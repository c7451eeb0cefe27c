//go:build linux

package terminal

import (
	"context"
	"os"

	"sesame/app/internal/x11clip"
)

// systemClipboard reads an X11 clipboard over a connection of its own,
// with a deadline (GLFW would wait on the UI thread with none); without
// X11, through Fyne.
func (t *Terminal) systemClipboard(ctx context.Context) (string, error) {
	if d := os.Getenv("DISPLAY"); d != "" {
		return x11clip.Read(ctx, d)
	}
	return t.fyneClipboard(ctx)
}
