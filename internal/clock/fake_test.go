package clock

import (
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
