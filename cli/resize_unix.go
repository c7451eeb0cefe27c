//go:build !windows

package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"sesame/sshlaunch"
)

// watchResize reports the terminal's new size on every SIGWINCH.
func watchResize(ctx context.Context, fd int) <-chan sshlaunch.WindowSize {
	out := make(chan sshlaunch.WindowSize, 1)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				if w, h, err := term.GetSize(fd); err == nil {
					select {
					case out <- sshlaunch.WindowSize{Cols: w, Rows: h}:
					default:
					}
				}
			}
		}
	}()
	return out
}
