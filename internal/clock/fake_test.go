package clock

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestFakeAdvance(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewFake(start)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(time.Second, at("a2"))
	stopped := c.AfterFunc(2*time.Second, at("stopped"))
	c.AfterFunc(2*time.Second, func() {
		at("b")()
		c.AfterFunc(500*time.Millisecond, at("b+")) // due within the same Advance
		c.AfterFunc(5*time.Second, at("late"))
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop: want true once, then false")
	}
	c.Advance(3 * time.Second)
	want := []string{"a@1s", "a2@1s", "b@2s", "b+@2.5s", "c@3s"}
	if !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	if c.Now() != start.Add(3*time.Second) || c.Pending() != 1 {
		t.Fatalf("now %v, pending %d; want 3s and 1", c.Now().Sub(start), c.Pending())
	}
}

func TestFakeSleep(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		d       time.Duration
		advance []time.Duration // Advance calls while it sleeps
		want    error
		woke    time.Duration // what Now reads when Sleep returns
	}{
		{"wakes when advanced past", context.Background(), 5 * time.Second, []time.Duration{3 * time.Second, 4 * time.Second}, nil, 7 * time.Second},
		{"wakes when advanced to", context.Background(), 5 * time.Second, []time.Duration{5 * time.Second}, nil, 5 * time.Second},
		{"no wait", context.Background(), 0, nil, nil, 0},
		{"cancelled", cancelled, time.Hour, nil, context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewFake(start)
			done := make(chan error, 1)
			var woke time.Time
			go func() {
				err := c.Sleep(tt.ctx, tt.d)
				woke = c.Now()
				done <- err
			}()
			for _, d := range tt.advance {
				for c.Pending() == 0 { // until the sleeper is asleep
					runtime.Gosched()
				}
				c.Advance(d)
			}
			if err := <-done; !errors.Is(err, tt.want) {
				t.Fatalf("Sleep = %v, want %v", err, tt.want)
			}
			if got := woke.Sub(start); got != tt.woke || c.Pending() != 0 {
				t.Fatalf("woke at %s with %d pending; want %s and none", got, c.Pending(), tt.woke)
			}
		})
	}
}

// TestFakeSleepCancelled: a sleeper whose context ends stops waiting and
// leaves no timer behind.
func TestFakeSleepCancelled(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Sleep(ctx, time.Hour) }()
	for c.Pending() == 0 {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || c.Pending() != 0 {
		t.Fatalf("Sleep = %v with %d pending; want %v and none", err, c.Pending(), context.Canceled)
	}
}

func TestFakeAdvanceOnSleep(t *testing.T) {
	start := time.Unix(0, 0)
	c := NewFake(start)
	c.AdvanceOnSleep = true
	var ran bool
	c.AfterFunc(2*time.Second, func() { ran = true })
	if err := c.Sleep(context.Background(), 3*time.Second); err != nil || !ran || c.Now().Sub(start) != 3*time.Second {
		t.Fatalf("Sleep = %v, timer ran %v, now %s; want nil, true, 3s", err, ran, c.Now().Sub(start))
	}
}

// TestFakeSleepWakesAtTheEnd: a sleeper due part-way through an Advance is
// woken only once the clock reads the Advance's end, so that what it reads
// then does not depend on scheduling.
func TestFakeSleepWakesAtTheEnd(t *testing.T) {
	start := time.Unix(0, 0)
	c := NewFake(start)
	done := make(chan time.Time, 1)
	go func() {
		c.Sleep(context.Background(), time.Second)
		done <- c.Now()
	}()
	for c.Pending() == 0 {
		runtime.Gosched()
	}
	c.mu.Lock()
	wake := c.timers[0].wake
	c.mu.Unlock()
	c.AfterFunc(2*time.Second, func() { // runs after the sleeper is due
		select {
		case <-wake:
			t.Error("the sleeper was woken before the Advance ended")
		default:
		}
	})
	c.Advance(3 * time.Second)
	if got := (<-done).Sub(start); got != 3*time.Second {
		t.Fatalf("the sleeper woke reading %s, want 3s", got)
	}
}
