package steps

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestStart pins the order of the undos: on a failure those of the steps
// before it, in reverse, and the rest never run; on success none until
// stop, then all in reverse, once.
func TestStart(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name      string
		fail      int // index of the failing step; -1: none
		undoable  []bool
		wantErr   error
		wantRan   []string // by the end of Start
		wantAfter []string // after stop
	}{
		{"all succeed", -1, []bool{true, false, true}, nil,
			[]string{"do 0", "do 1", "do 2"},
			[]string{"do 0", "do 1", "do 2", "undo 2", "undo 0"}},
		{"the last fails", 2, []bool{true, true, true}, boom,
			[]string{"do 0", "do 1", "do 2", "undo 1", "undo 0"},
			[]string{"do 0", "do 1", "do 2", "undo 1", "undo 0"}},
		{"the first fails", 0, []bool{true, true}, boom,
			[]string{"do 0"},
			[]string{"do 0"}},
		{"a middle one fails", 1, []bool{true, true, true}, boom,
			[]string{"do 0", "do 1", "undo 0"},
			[]string{"do 0", "do 1", "undo 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ran []string
			var list []Step
			for i, undoable := range tc.undoable {
				list = append(list, func(context.Context) (func(), error) {
					ran = append(ran, "do "+string(rune('0'+i)))
					if i == tc.fail {
						return nil, boom
					}
					if !undoable {
						return nil, nil
					}
					return func() { ran = append(ran, "undo "+string(rune('0'+i))) }, nil
				})
			}
			stop, err := Start(context.Background(), list...)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("Start: %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(ran, tc.wantRan) {
				t.Fatalf("Start ran %q, want %q", ran, tc.wantRan)
			}
			stop()
			stop() // a second stop undoes nothing again
			if !slices.Equal(ran, tc.wantAfter) {
				t.Fatalf("after stop: %q, want %q", ran, tc.wantAfter)
			}
		})
	}
}

// TestBackgroundUndoWaits: the undo returns only once the goroutine has.
func TestBackgroundUndoWaits(t *testing.T) {
	returned := false
	undo := Background(context.Background(), func(ctx context.Context) {
		<-ctx.Done()
		returned = true
	})
	undo()
	if !returned {
		t.Fatal("undo returned before the goroutine did")
	}
}
