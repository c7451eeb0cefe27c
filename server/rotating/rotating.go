// Package rotating is sesamed's side of rotating doors: which windows a
// door accepts at a given time and their sequences (Door), and the record
// of the windows already used (Ledger), kept in a file so that a restart
// does not make a used window good again.
package rotating

import (
	"fmt"
	"sync"
	"time"

	"sesame/knocker"
	"sesame/rotate"
)

// Window is one window a door accepts and its sequence.
type Window struct {
	N        int64
	Sequence knocker.Sequence
}

// Door is a rotating door's seed and parameters. Its methods may be
// called from several goroutines.
type Door struct {
	Seed   rotate.Seed
	Params rotate.Params
	// ID names the seed and parameters in the ledger (rotate.ID).
	ID string

	mu    sync.Mutex
	cache map[int64]knocker.Sequence
}

// NewDoor checks the parameters and returns the door.
func NewDoor(seed rotate.Seed, p rotate.Params) (*Door, error) {
	if _, err := rotate.Sequence(seed, p, 0); err != nil {
		return nil, err
	}
	return &Door{Seed: seed, Params: p, ID: rotate.ID(seed, p), cache: map[int64]knocker.Sequence{}}, nil
}

// Slots is how many windows a door accepts at once: its current one and
// rotate.Skew either side.
const Slots = 2*rotate.Skew + 1

// Live returns the windows the door accepts at now, oldest first.
func (d *Door) Live(now time.Time) []Window {
	cur := d.Params.WindowAt(now)
	out := make([]Window, 0, Slots)
	for w := cur - rotate.Skew; w <= cur+rotate.Skew; w++ {
		out = append(out, Window{N: w, Sequence: d.sequence(w)})
	}
	d.mu.Lock()
	for w := range d.cache {
		if w < cur-rotate.Skew {
			delete(d.cache, w)
		}
	}
	d.mu.Unlock()
	return out
}

// sequence derives window w's sequence once.
func (d *Door) sequence(w int64) knocker.Sequence {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s, ok := d.cache[w]; ok {
		return s
	}
	// NewDoor checked what Sequence can fail on.
	s, _ := rotate.Sequence(d.Seed, d.Params, w)
	d.cache[w] = s
	return s
}

// NextChange is when the windows Live returns change: when the window
// after now's begins.
func (d *Door) NextChange(now time.Time) time.Time {
	return d.Params.WindowStart(d.Params.WindowAt(now) + 1)
}

// Slot is where window w lives among a door's Slots matcher doors: each
// window keeps its slot for as long as it is live, so an attempt under
// way is never moved to another sequence when the windows roll.
func Slot(w int64) int {
	s := int(w % Slots)
	if s < 0 {
		s += Slots
	}
	return s
}

// SlotSequences returns the sequence each slot holds at now: the live window
// whose slot it is, or nil when an older live window has the same
// sequence (tiny port ranges), so one knock never completes two slots.
func (d *Door) SlotSequences(now time.Time) [Slots]knocker.Sequence {
	var out [Slots]knocker.Sequence
	live := d.Live(now)
	for i, w := range live {
		dup := false
		for _, older := range live[:i] {
			dup = dup || older.Sequence.Equal(w.Sequence)
		}
		if !dup {
			out[Slot(w.N)] = w.Sequence
		}
	}
	return out
}

// Verdict is what a door makes of a complete sequence.
type Verdict int

// Verdicts.
const (
	// Accepted: the sequence of a live window not used before; the
	// window is spent now.
	Accepted Verdict = iota
	// Replayed: every live window with this sequence was used already.
	Replayed
	// Expired: no live window has this sequence (its window passed while
	// it was knocked).
	Expired
)

func (v Verdict) String() string {
	switch v {
	case Accepted:
		return "accepted"
	case Replayed:
		return "replayed"
	}
	return "expired"
}

// Judge decides on a complete sequence seq knocked at now, and spends
// the window it accepts in l: the oldest live window with that sequence
// that is not spent yet. w is that window (for Replayed, the newest spent
// one with that sequence).
func (d *Door) Judge(l *Ledger, seq knocker.Sequence, now time.Time) (w int64, v Verdict) {
	v = Expired
	for _, win := range d.Live(now) {
		if !win.Sequence.Equal(seq) {
			continue
		}
		if l.Spend(d.ID, d.Params, win.N, now) {
			return win.N, Accepted
		}
		w, v = win.N, Replayed
	}
	return w, v
}

// Relative names window w as seen from now: "current", "previous",
// "next".
func (d *Door) Relative(w int64, now time.Time) string {
	switch w - d.Params.WindowAt(now) {
	case 0:
		return "current"
	case -1:
		return "previous"
	case 1:
		return "next"
	}
	return fmt.Sprintf("%+d", w-d.Params.WindowAt(now))
}
