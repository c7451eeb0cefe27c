package rotating

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
	"sesame/rotate"
)

func testDoor(t *testing.T, p rotate.Params) *Door {
	t.Helper()
	seed, err := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDoor(seed, p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func seqAt(t *testing.T, d *Door, w int64) knocker.Sequence {
	t.Helper()
	s, err := rotate.Sequence(d.Seed, d.Params, w)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLiveAndSlots(t *testing.T) {
	d := testDoor(t, rotate.DefaultParams())
	now := time.Unix(3010, 0) // window 100
	live := d.Live(now)
	if len(live) != Slots || live[0].N != 99 || live[1].N != 100 || live[2].N != 101 {
		t.Fatalf("Live = %v, want windows 99, 100, 101", live)
	}
	for _, w := range live {
		if !w.Sequence.Equal(seqAt(t, d, w.N)) {
			t.Fatalf("window %d: %s, rotate derives %s", w.N, w.Sequence, seqAt(t, d, w.N))
		}
	}
	if got := d.NextChange(now); !got.Equal(time.Unix(3030, 0)) {
		t.Fatalf("NextChange = %v, want the start of window 101", got)
	}
	// A window keeps its slot while it is live.
	before := d.SlotSequences(now)
	after := d.SlotSequences(now.Add(30 * time.Second))
	for _, w := range []int64{100, 101} {
		if !before[Slot(w)].Equal(seqAt(t, d, w)) || !after[Slot(w)].Equal(seqAt(t, d, w)) {
			t.Fatalf("window %d moved between slots as the windows rolled", w)
		}
	}
	if !after[Slot(102)].Equal(seqAt(t, d, 102)) || Slot(102) != Slot(99) {
		t.Fatal("window 102 must take the slot window 99 left")
	}
}

func TestSlotsHoldEachSequenceOnce(t *testing.T) {
	// Two ports, one knock: neighbouring windows often share a sequence.
	d := testDoor(t, rotate.Params{Length: 1, PortMin: 5000, PortMax: 5001, Protocols: rotate.TCPOnly, Window: 30 * time.Second})
	found := false
	for w := int64(100); w < 200 && !found; w++ {
		now := d.Params.WindowStart(w)
		live := d.Live(now)
		if !live[0].Sequence.Equal(live[1].Sequence) {
			continue
		}
		found = true
		slots := d.SlotSequences(now)
		if !slots[Slot(live[0].N)].Equal(live[0].Sequence) || slots[Slot(live[1].N)] != nil {
			t.Fatalf("windows %d and %d share a sequence: slots %v, want it in the older one only", live[0].N, live[1].N, slots)
		}
		// Both windows still open once each, oldest first.
		l := &Ledger{doors: map[string]*record{}}
		if w1, v := d.Judge(l, live[0].Sequence, now); v != Accepted || w1 != live[0].N {
			t.Fatalf("first knock: window %d %v", w1, v)
		}
		if w2, v := d.Judge(l, live[0].Sequence, now); v != Accepted || w2 != live[1].N {
			t.Fatalf("second knock: window %d %v", w2, v)
		}
	}
	if !found {
		t.Fatal("no neighbouring windows with one sequence in 100 windows of a 2-port range")
	}
}

func TestJudge(t *testing.T) {
	d := testDoor(t, rotate.DefaultParams())
	now := time.Unix(3010, 0) // window 100
	l := &Ledger{doors: map[string]*record{}}
	steps := []struct {
		name   string
		window int64
		want   Verdict
	}{
		{"current", 100, Accepted},
		{"current again: a replay", 100, Replayed},
		{"previous (a client clock behind)", 99, Accepted},
		{"next (a second knock this window)", 101, Accepted},
		{"next again", 101, Replayed},
		{"two windows back", 98, Expired},
		{"two windows ahead", 102, Expired},
	}
	for _, s := range steps {
		w, v := d.Judge(l, seqAt(t, d, s.window), now)
		if v != s.want || (v != Expired && w != s.window) {
			t.Fatalf("%s: window %d %v, want window %d %v", s.name, w, v, s.window, s.want)
		}
	}
	// A minute later window 100 is out of reach: expired, not replayed.
	if _, v := d.Judge(l, seqAt(t, d, 100), now.Add(time.Minute)); v != Expired {
		t.Fatalf("window 100 two windows later: %v, want expired", v)
	}
	if got := d.Relative(101, now); got != "next" {
		t.Fatalf("Relative = %q", got)
	}
}

func TestLedgerSurvivesAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", StateFile)
	now := time.Unix(3010, 0)
	d := testDoor(t, rotate.DefaultParams())
	l, err := OpenLedger(path, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, v := d.Judge(l, seqAt(t, d, 100), now); v != Accepted {
		t.Fatal(v)
	}
	if err := l.Save(now); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", info.Mode())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), d.Seed.String()[:8]) || !strings.Contains(string(data), d.ID) {
		t.Fatalf("the file must name the door by its ID only:\n%s", data)
	}

	again, err := OpenLedger(path, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, v := d.Judge(again, seqAt(t, d, 100), now.Add(time.Second)); v != Replayed {
		t.Fatalf("after a reopen, window 100 is %v, want replayed", v)
	}
	if _, v := d.Judge(again, seqAt(t, d, 101), now.Add(time.Second)); v != Accepted {
		t.Fatalf("after a reopen, window 101 is %v, want accepted", v)
	}
	// Saved two windows on, the spent windows are pruned and the file is
	// left with nothing.
	if err := again.Save(now.Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), d.ID) {
		t.Fatalf("windows that can never be live again were kept:\n%s", data)
	}
}

func TestLedgerDistrustsAFileItCannotRead(t *testing.T) {
	for _, c := range []struct{ name, content string }{
		{"garbage", "{not json"},
		{"newer", `{"v": 9, "doors": {}}`},
		{"no version", `{"doors": {}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), StateFile)
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			now := time.Unix(3010, 0)
			d := testDoor(t, rotate.DefaultParams())
			l, err := OpenLedger(path, now)
			var ce *CorruptError
			if !errors.As(err, &ce) || l == nil {
				t.Fatalf("OpenLedger = %v, %v; want a ledger and a *CorruptError", l, err)
			}
			for _, w := range []int64{99, 100, 101} {
				if _, v := d.Judge(l, seqAt(t, d, w), now); v != Replayed {
					t.Fatalf("window %d, live when the file was unreadable: %v, want refused", w, v)
				}
			}
			later := now.Add(time.Minute) // window 102
			if _, v := d.Judge(l, seqAt(t, d, 102), later); v != Accepted {
				t.Fatalf("window 102: %v, want accepted", v)
			}
			if err := l.Save(later); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenLedger(path, later); err != nil {
				t.Fatalf("the rewritten file: %v", err)
			}
		})
	}
}

func TestLedgerSaveFails(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "state")
	l, err := OpenLedger(filepath.Join(blocker, StateFile), time.Unix(3010, 0))
	if err != nil {
		t.Fatal(err)
	}
	// The state directory's name is taken by a file now.
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := testDoor(t, rotate.DefaultParams())
	d.Judge(l, seqAt(t, d, 100), time.Unix(3010, 0))
	if err := l.Save(time.Unix(3010, 0)); err == nil || !strings.Contains(err.Error(), "save spent windows") {
		t.Fatalf("Save into a file's path = %v, want an error", err)
	}
	// The window stays spent in memory.
	if _, v := d.Judge(l, seqAt(t, d, 100), time.Unix(3011, 0)); v != Replayed {
		t.Fatalf("after a failed save: %v", v)
	}
}
