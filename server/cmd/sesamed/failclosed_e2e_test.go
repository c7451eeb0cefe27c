//go:build linux

package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/rotate"
)

// readOnly makes dir read-only for everyone, root included, with a
// read-only bind mount over it, until the test ends.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	testnet.RequireRoot(t)
	for _, args := range [][]string{{"--bind", dir, dir}, {"-o", "remount,bind,ro", dir}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v: %s", args, err, out)
		}
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// TestUnrecordedSequenceOpensNothing: a one-time line that cannot be
// marked used, or a rotating window that cannot be saved as spent, does
// not open the door (a restart or SIGHUP would make it good again), and
// the log says why and what to fix.
func TestUnrecordedSequenceOpensNothing(t *testing.T) {
	t.Run("one-time", func(t *testing.T) {
		c := sesameKnock(t)
		p := testnet.NewPair(t)
		dir, out := filepath.Join(t.TempDir(), "ro"), t.TempDir()
		seqs, ran := filepath.Join(dir, "sequences"), filepath.Join(out, "ran")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(seqs, []byte("1111,2222\n3333,4444\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		readOnly(t, dir)
		s := p.Server.Sesamed(t, testnet.ServerIf, "[options]\n\tlogfile = /dev/null\n[smtp]\n\tone_time_sequences = "+seqs+
			"\n\tcommand = echo %IP% >> "+ran+"\n\tcooldown = 0\n")
		c.Knock(t, p.Client, testnet.ServerAddr4.String(), "1111", "2222")
		s.WaitOutput(t, "192.0.2.2: smtp: NOT OPENED: error while disabling used one time sequence")
		s.WaitOutput(t, "make "+seqs+" writable by sesamed")
		if got := readFile(t, ran); got != "" {
			t.Fatalf("the door's command ran (%q) though its sequence could not be marked used", got)
		}
	})
	t.Run("rotating", func(t *testing.T) {
		c := sesameKnock(t)
		p := testnet.NewPair(t)
		seed, err := rotate.NewSeed()
		if err != nil {
			t.Fatal(err)
		}
		state, ran := filepath.Join(t.TempDir(), "state"), filepath.Join(t.TempDir(), "ran")
		if err := os.Mkdir(state, 0o700); err != nil {
			t.Fatal(err)
		}
		readOnly(t, state)
		params := rotate.Params{Length: 3, PortMin: 20000, PortMax: 29999, Protocols: rotate.Mixed, Window: 30 * time.Second}
		s := p.Server.Sesamed(t, testnet.ServerIf, testnet.RotatingConf(state, seed, params, "command = echo %IP% >> "+ran))
		w := testnet.SettleWindow(t, params, 20*time.Second)
		args := append([]string{testnet.ServerAddr4.String()}, testnet.KnockArgs(testnet.WindowSequence(t, seed, params, w))...)
		c.Knock(t, p.Client, args...)
		s.WaitOutput(t, "192.0.2.2: SSH: NOT OPENED: save spent windows")
		s.WaitOutput(t, "make the state directory writable by sesamed")
		if got := readFile(t, ran); got != "" {
			t.Fatalf("the door's command ran (%q) though its window could not be saved as spent", got)
		}
		// The window stays spent: knocked again, it is a replay.
		n := s.Len()
		c.Knock(t, p.Client, args...)
		s.WaitOutputAfter(t, n, "192.0.2.2: SSH: REPLAY REFUSED: the sequence of window "+strconv.FormatInt(w, 10)+" was used already")
	})
}
