// Package clock is the system clock for the client's waits (the CLI's
// countdown to a rotating window, the app's): the CLI and the app each
// declare the interface they need, and tests pass fake clocks.
package clock

import (
	"context"
	"time"
)

// System tells the time and waits on the system clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// Sleep waits for d, or until ctx is done (and returns its error).
func (System) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
