package clock

import (
	"context"
	"time"
)

// Every calls f at each multiple of d on c's time, as a second hand moves
// on the whole seconds: with d = time.Second, f runs as a countdown's
// shown seconds change. It returns ctx's error once ctx is done. A tick
// missed while f ran or while the clock jumped is not made up: f runs
// once, then Every waits for the next multiple. d must be positive.
//
// On a Fake, each wait is one Sleep (Pending counts it), woken by
// Advance; with AdvanceOnSleep Every would never wait, so do not use it
// there.
func Every(ctx context.Context, c Clock, d time.Duration, f func()) error {
	if d <= 0 {
		panic("clock.Every: the interval must be positive")
	}
	for {
		now := c.Now()
		if err := c.Sleep(ctx, now.Truncate(d).Add(d).Sub(now)); err != nil {
			return err
		}
		f()
	}
}
