//go:build linux

package testnet

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
	"sesame/rotate"
)

// RotatingConf is a knockd.conf for sesamed with one rotating door, SSH,
// on seed and p, with the door keys given ("command = ..."). Its state
// (the spent windows) goes to stateDir. Cooldown is 0, so that nothing but
// the replay check stands between a replayed knock and the door.
func RotatingConf(stateDir string, seed rotate.Seed, p rotate.Params, doorKeys ...string) string {
	conf := fmt.Sprintf(`[options]
	logfile  = /dev/null
	StateDir = %s
[SSH]
	Rotating_Seed      = %s
	Rotating_Length    = %d
	Rotating_Ports     = %d-%d
	Rotating_Protocols = %s
	Rotating_Window    = %d
	seq_timeout        = 10
	cooldown           = 0
`, stateDir, seed, p.Length, p.PortMin, p.PortMax, p.Protocols, int(p.Window/time.Second))
	for _, k := range doorKeys {
		conf += "\t" + k + "\n"
	}
	return conf
}

// SettleWindow waits, if need be, until the clock is a little into a
// window of p with at least left of it to go, so that what a test does
// next happens within that window; it returns the window. The wait is for
// a time of day, not for something to happen.
func SettleWindow(t testing.TB, p rotate.Params, left time.Duration) int64 {
	t.Helper()
	const into = 300 * time.Millisecond
	if left+into >= p.Window {
		t.Fatalf("a %s window cannot leave %s", p.Window, left)
	}
	for {
		now := time.Now()
		w := p.WindowAt(now)
		start, end := p.WindowStart(w), p.WindowStart(w+1)
		switch {
		case now.Sub(start) < into:
			time.Sleep(start.Add(into).Sub(now))
		case end.Sub(now) < left:
			time.Sleep(end.Add(into).Sub(now))
		default:
			return w
		}
	}
}

// WindowSequence is the sequence of window w, as the client derives it.
func WindowSequence(t testing.TB, seed rotate.Seed, p rotate.Params, w int64) knocker.Sequence {
	t.Helper()
	seq, err := rotate.Sequence(seed, p, w)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// KnockArgs are a sequence's knocks as knock(1) and sesame knock take
// them: "20001", "20002:udp".
func KnockArgs(seq knocker.Sequence) []string {
	var args []string
	for _, st := range seq {
		a := strconv.Itoa(int(st.Port))
		if st.Proto == knocker.UDP {
			a += ":udp"
		}
		args = append(args, a)
	}
	return args
}

// Lines counts the lines of s.
func Lines(s string) int { return strings.Count(s, "\n") }
