package clock

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

// Every ticks on the multiples of its interval, however far from one it
// starts, and a jump of the clock gives one tick, not one per multiple
// missed.
func TestEvery(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 300*int(time.Millisecond), time.UTC)
	tests := []struct {
		name    string
		d       time.Duration
		advance []time.Duration
		want    []time.Duration // when f ran, after start
	}{
		{"to the next whole second first", time.Second, []time.Duration{700 * time.Millisecond, time.Second},
			[]time.Duration{700 * time.Millisecond, 1700 * time.Millisecond}},
		{"not before its time", time.Second, []time.Duration{600 * time.Millisecond, 100 * time.Millisecond},
			[]time.Duration{700 * time.Millisecond}},
		{"a jump ticks once, then on the multiples again", time.Second, []time.Duration{3500 * time.Millisecond, 200 * time.Millisecond},
			[]time.Duration{3500 * time.Millisecond, 3700 * time.Millisecond}},
		{"tenths", 100 * time.Millisecond, []time.Duration{100 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond},
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewFake(start)
			ctx, cancel := context.WithCancel(context.Background())
			ticks := make(chan time.Duration, 100)
			done := make(chan error, 1)
			go func() { done <- Every(ctx, c, tt.d, func() { ticks <- c.Now().Sub(start) }) }()
			for _, d := range tt.advance {
				for c.Pending() == 0 { // until Every is asleep again
					runtime.Gosched()
				}
				c.Advance(d)
			}
			for c.Pending() == 0 {
				runtime.Gosched()
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) || c.Pending() != 0 {
				t.Fatalf("Every = %v with %d pending; want %v and none", err, c.Pending(), context.Canceled)
			}
			close(ticks)
			var got []time.Duration
			for d := range ticks {
				got = append(got, d)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ticked at %v, want %v", got, tt.want)
			}
		})
	}
}

// Every on the system clock ticks too, on the multiples of its interval.
func TestEverySystem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ticks []time.Time
	err := Every(ctx, System{}, 10*time.Millisecond, func() {
		ticks = append(ticks, time.Now())
		if len(ticks) == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || len(ticks) != 3 {
		t.Fatalf("Every = %v after %d ticks; want %v after 3", err, len(ticks), context.Canceled)
	}
	for i := 1; i < len(ticks); i++ {
		if !ticks[i].After(ticks[i-1]) {
			t.Fatalf("tick %d at %v, not after the one before (%v)", i, ticks[i], ticks[i-1])
		}
	}
}
