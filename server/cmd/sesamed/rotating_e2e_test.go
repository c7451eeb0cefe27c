//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/rotate"
	"sesame/server/rotating"
)

// rotatingDoor is sesamed with a rotating door in a pair of namespaces,
// knocked with sesame knock (c) and knock(1) (k), with sequences the test
// derives from the door's seed as a client would.
type rotatingDoor struct {
	p      *testnet.Pair
	s      *testnet.Sesamed
	c, k   testnet.KnockClient
	seed   rotate.Seed
	params rotate.Params
	state  string // StateDir
	ran    string // the door's command appends the address here
	conf   string
}

func newRotatingDoor(t *testing.T, window time.Duration) *rotatingDoor {
	t.Helper()
	clients := testnet.KnockClients(t)
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := &rotatingDoor{
		p: testnet.NewPair(t), c: clients[0], k: clients[1], seed: seed,
		params: rotate.Params{Length: 3, PortMin: 20000, PortMax: 29999, Protocols: rotate.Mixed, Window: window},
		state:  filepath.Join(dir, "state"), ran: filepath.Join(dir, "ran"),
	}
	r.conf = testnet.RotatingConf(r.state, seed, r.params, "command = echo %IP% >> "+r.ran)
	r.s = r.p.Server.Sesamed(t, testnet.ServerIf, r.conf)
	return r
}

// knock sends window w's sequence with client c.
func (r *rotatingDoor) knock(t *testing.T, c testnet.KnockClient, w int64) {
	t.Helper()
	args := append([]string{testnet.ServerAddr4.String()}, testnet.KnockArgs(testnet.WindowSequence(t, r.seed, r.params, w))...)
	c.Knock(t, r.p.Client, args...)
}

// opened is how often the door's command ran.
func (r *rotatingDoor) opened(t *testing.T) int { return testnet.Lines(readFile(t, r.ran)) }

// waitOpened waits until the door's command has run n times, and fails
// if it ran more often.
func (r *rotatingDoor) waitOpened(t *testing.T, n int) {
	t.Helper()
	testnet.WaitFor(t, "the door's command to run "+strconv.Itoa(n)+" times", func() bool { return r.opened(t) >= n })
	if got := r.opened(t); got != n {
		t.Fatalf("the door's command ran %d times, want %d\n%s", got, n, r.s.Output())
	}
}

// refused waits for the n-th refused replay of window w.
func (r *rotatingDoor) refused(t *testing.T, from int, w int64) {
	t.Helper()
	r.s.WaitOutputAfter(t, from, "192.0.2.2: SSH: REPLAY REFUSED: the sequence of window "+strconv.FormatInt(w, 10)+" was used already")
}

// TestRotatingDoorAcceptsEachLiveWindowOnce: the sequences of the current
// window, the one before (a client clock behind) and the one after (a
// client's second knock within a window) each open the door once; each,
// knocked again with knock(1), is refused as a replay; the sequences of
// the windows beyond open nothing.
func TestRotatingDoorAcceptsEachLiveWindowOnce(t *testing.T) {
	r := newRotatingDoor(t, 30*time.Second)
	w := testnet.SettleWindow(t, r.params, 15*time.Second)
	for i, step := range []struct {
		window int64
		name   string
	}{{w, "current"}, {w - 1, "previous"}, {w + 1, "next"}} {
		from := r.s.Len()
		r.knock(t, r.c, step.window)
		r.s.WaitOutputAfter(t, from, "192.0.2.2: SSH: OPEN SESAME")
		want := "192.0.2.2: SSH: sequence of the " + step.name + " window (" + strconv.FormatInt(step.window, 10) + "), spent now"
		if out := r.s.Output()[from:]; !strings.Contains(out, want) {
			t.Fatalf("the %s window's knock: no %q in\n%s", step.name, want, out)
		}
		r.waitOpened(t, i+1)
	}
	for _, win := range []int64{w, w - 1, w + 1} {
		from := r.s.Len()
		r.knock(t, r.k, win)
		r.refused(t, from, win)
	}
	// Two windows either side: sesamed does not listen for them. The
	// replay after them is the barrier: once it is refused, they were
	// seen to, and opened nothing.
	r.knock(t, r.c, w+2)
	r.knock(t, r.c, w-2)
	from := r.s.Len()
	r.knock(t, r.k, w)
	r.refused(t, from, w)
	if n := count(r.s.Output(), "OPEN SESAME"); n != 3 || r.opened(t) != 3 {
		t.Fatalf("OPEN SESAME %d times and the command ran %d times, want 3 each:\n%s", n, r.opened(t), r.s.Output())
	}
}

// TestRotatingPreviousWindowRefusedAfterTheSkew, with 5-second windows so
// that the test waits seconds, not minutes: the sequence of the window
// before opens the door; a window's sequence never used, knocked once the
// clock is two windows past it, opens nothing; the current window's does.
func TestRotatingPreviousWindowRefusedAfterTheSkew(t *testing.T) {
	r := newRotatingDoor(t, 5*time.Second)
	w := testnet.SettleWindow(t, r.params, 2*time.Second)
	r.knock(t, r.c, w-1)
	r.s.WaitOutput(t, "192.0.2.2: SSH: sequence of the previous window")
	r.waitOpened(t, 1)

	// Two windows on, a window never used (w or later) is out of reach.
	time.Sleep(time.Until(r.params.WindowStart(w + 2)))
	now := testnet.SettleWindow(t, r.params, 2*time.Second)
	r.knock(t, r.c, now-2)
	// The barrier: the current window's knock, which opens.
	from := r.s.Len()
	r.knock(t, r.c, now)
	r.s.WaitOutputAfter(t, from, "192.0.2.2: SSH: sequence of the current window")
	r.waitOpened(t, 2)
	if n := count(r.s.Output(), "OPEN SESAME"); n != 2 {
		t.Fatalf("OPEN SESAME %d times, want 2: the expired window must not open:\n%s", n, r.s.Output())
	}
}

// TestRotatingSpentWindowsSurviveReloadAndCrash: a window used before a
// reload stays spent after it; used before sesamed is killed with SIGKILL
// (no clean shutdown), it stays spent in the next sesamed, which reads
// the state file. The file holds no seed, and only its owner reads it.
func TestRotatingSpentWindowsSurviveReloadAndCrash(t *testing.T) {
	r := newRotatingDoor(t, 30*time.Second)
	w := testnet.SettleWindow(t, r.params, 20*time.Second)
	r.knock(t, r.c, w)
	r.waitOpened(t, 1)

	n := r.s.Len()
	if err := r.s.Signal(unix.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r.s.WaitOutputAfter(t, n, "reloaded")
	from := r.s.Len()
	r.knock(t, r.k, w)
	r.refused(t, from, w)

	// The state was written before the door's command ran.
	state := filepath.Join(r.state, rotating.StateFile)
	info, err := os.Stat(state)
	if err != nil {
		t.Fatalf("no state file after the door opened: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	if data := readFile(t, state); strings.Contains(data, r.seed.String()) || !strings.Contains(data, strconv.FormatInt(w, 10)) {
		t.Fatalf("the state file must name window %d and not the seed:\n%s", w, data)
	}
	if err := r.s.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-r.s.Done()

	again := r.p.Server.Sesamed(t, testnet.ServerIf, r.conf)
	r.knock(t, r.k, w)
	again.WaitOutput(t, "192.0.2.2: SSH: REPLAY REFUSED: the sequence of window "+strconv.FormatInt(w, 10)+" was used already")
	r.knock(t, r.c, w+1)
	again.WaitOutput(t, "192.0.2.2: SSH: OPEN SESAME")
	r.waitOpened(t, 2)
}
