//go:build !linux

package terminal

import "context"

// systemClipboard reads the clipboard through Fyne: on these systems it
// answers at once.
func (t *Terminal) systemClipboard(ctx context.Context) (string, error) {
	return t.fyneClipboard(ctx)
}
