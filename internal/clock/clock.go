// Package clock is the one clock of Sesame and sesamed: the system clock,
// and a fake one that tests move by hand. sesamed's timers (grants), the
// CLI's countdown to a rotating window and the app's all take a Clock.
package clock

import (
	"context"
	"time"
)

// Clock tells the time, runs functions later and waits.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine after d (on the fake clock: in
	// the goroutine that advances past d).
	AfterFunc(d time.Duration, f func()) Timer
	// Sleep waits for d, or until ctx is done (and returns its error).
	Sleep(ctx context.Context, d time.Duration) error
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop cancels the call; false if it already ran or was stopped.
	Stop() bool
}

// System is the system clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

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
