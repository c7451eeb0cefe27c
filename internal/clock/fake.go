package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a clock that moves only when Advance is called (or, with
// AdvanceOnSleep, when something sleeps). Safe for concurrent use.
type Fake struct {
	// AdvanceOnSleep makes each Sleep move the clock on by its duration at
	// once, for code under test that runs in the test's own goroutine and
	// so cannot be woken by Advance. Set it before the clock is used.
	AdvanceOnSleep bool

	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	seq    int
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

type fakeTimer struct {
	c    *Fake
	when time.Time
	seq  int // breaks ties: timers due at once run in the order they were set
	f    func()
	// wake, for a Sleep, is closed once Advance has moved the clock to its
	// end, so that the sleeper reads the time the test advanced to.
	wake chan struct{}
}

// Now is the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	return c.add(d, f, nil)
}

func (c *Fake) add(d time.Duration, f func(), wake chan struct{}) *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f, wake: wake}
	c.timers = append(c.timers, t)
	return t
}

// Sleep waits until Advance moves the clock d on, or until ctx is done
// (and returns its error). With AdvanceOnSleep it advances the clock
// itself.
func (c *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	if c.AdvanceOnSleep {
		c.Advance(d)
		return nil
	}
	t := c.add(d, nil, make(chan struct{}))
	select {
	case <-t.wake:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	i := slices.Index(t.c.timers, t)
	if i < 0 {
		return false
	}
	t.c.timers = slices.Delete(t.c.timers, i, i+1)
	return true
}

// Advance moves the clock forward by d, running each timer that falls due
// on the way, in order, with Now() reading its due time while it runs.
// Timers those functions set run too if they fall due within d. Sleepers
// due within d wake once the clock reads Now()+d.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	var wake []chan struct{}
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.when.After(end) && (next == nil || t.when.Before(next.when) || t.when.Equal(next.when) && t.seq < next.seq) {
				next = t
			}
		}
		if next == nil {
			break
		}
		c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t == next })
		if next.when.After(c.now) {
			c.now = next.when
		}
		if next.wake != nil {
			wake = append(wake, next.wake)
			continue
		}
		c.mu.Unlock()
		next.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
	for _, w := range wake {
		close(w)
	}
}

// Pending is the number of timers and sleepers not yet run, woken or
// stopped.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
