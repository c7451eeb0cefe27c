//go:build windows

package cli

import (
	"context"
	"time"

	"golang.org/x/term"

	"sesame/sshlaunch"
)

// watchResize polls the console size: Windows has no SIGWINCH.
func watchResize(ctx context.Context, fd int) <-chan sshlaunch.WindowSize {
	out := make(chan sshlaunch.WindowSize, 1)
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		lw, lh, _ := term.GetSize(fd)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w, h, err := term.GetSize(fd)
				if err != nil || (w == lw && h == lh) {
					continue
				}
				lw, lh = w, h
				select {
				case out <- sshlaunch.WindowSize{Cols: w, Rows: h}:
				default:
				}
			}
		}
	}()
	return out
}
