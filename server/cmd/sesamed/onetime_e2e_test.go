//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// oneTimeConf is a one-time door on the sequences file seqs whose command
// appends the knocking address to ran.
func oneTimeConf(seqs, ran string) string {
	return "[options]\n\tlogfile = /dev/null\n[smtp]\n\tone_time_sequences = " + seqs +
		"\n\tcommand = echo %IP% >> " + ran + "\n\tcooldown = 0\n"
}

// TestOneTimeLookahead: a client whose first one-time knock was lost (or
// ignored within the cooldown) knocks its second line; the door opens,
// both lines are marked used in knockd's format, and neither opens again.
func TestOneTimeLookahead(t *testing.T) {
	c := sesameKnock(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	seqs, ran := filepath.Join(dir, "sequences"), filepath.Join(dir, "ran")
	if err := os.WriteFile(seqs, []byte(" 1111,2222\n3333:udp,4444\n 5555,6666\n 7777,8888\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := p.Server.Sesamed(t, testnet.ServerIf, oneTimeConf(seqs, ran))
	server := testnet.ServerAddr4.String()
	c.Knock(t, p.Client, server, "3333:udp", "4444")
	s.WaitOutput(t, "192.0.2.2: smtp: OPEN SESAME")
	s.WaitOutput(t, "192.0.2.2: smtp: 1 skipped one time sequence(s) spent with this one (a knock was lost?)")
	testnet.WaitFor(t, "lines 1 and 2 marked used", func() bool {
		return readFile(t, seqs) == "#1111,2222\n#3333:udp,4444\n 5555,6666\n 7777,8888\n"
	})
	testnet.WaitFor(t, "the door's command", func() bool { return readFile(t, ran) == "192.0.2.2\n" })

	// Replays of the knocked and the skipped line open nothing; the next
	// line does, and is the second opening.
	n := s.Len()
	c.Knock(t, p.Client, server, "1111", "2222")
	c.Knock(t, p.Client, server, "3333:udp", "4444")
	c.Knock(t, p.Client, server, "5555", "6666")
	s.WaitOutputAfter(t, n, "192.0.2.2: smtp: OPEN SESAME")
	if got := count(s.Output(), "OPEN SESAME"); got != 2 {
		t.Fatalf("OPEN SESAME %d times, want 2: a replay of a spent line opened the door:\n%s", got, s.Output())
	}
	testnet.WaitFor(t, "line 3 marked used", func() bool {
		return readFile(t, seqs) == "#1111,2222\n#3333:udp,4444\n#5555,6666\n 7777,8888\n"
	})
	if got := count(s.Output(), "skipped one time"); got != 1 {
		t.Fatalf("%d skip lines, want 1 (the third line skipped nothing)", got)
	}
}

// TestOneTimeRefillWithoutHUP: a one-time door whose file ran out takes
// lines appended to it, with no SIGHUP.
func TestOneTimeRefillWithoutHUP(t *testing.T) {
	c := sesameKnock(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	seqs, ran := filepath.Join(dir, "sequences"), filepath.Join(dir, "ran")
	if err := os.WriteFile(seqs, []byte("1111,2222\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := p.Server.Sesamed(t, testnet.ServerIf, oneTimeConf(seqs, ran))
	server := testnet.ServerAddr4.String()
	c.Knock(t, p.Client, server, "1111", "2222")
	s.WaitOutput(t, "no more sequences left in the one time sequences file for door smtp")
	testnet.WaitFor(t, "the line marked used", func() bool { return readFile(t, seqs) == "#1111,2222\n" })

	f, err := os.OpenFile(seqs, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(" 3333,4444\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s.WaitOutput(t, "smtp: picked up 1 new one time sequence(s) appended to "+seqs)
	n := s.Len()
	c.Knock(t, p.Client, server, "3333", "4444")
	s.WaitOutputAfter(t, n, "192.0.2.2: smtp: OPEN SESAME")
	testnet.WaitFor(t, "the appended line marked used", func() bool { return readFile(t, seqs) == "#1111,2222\n#3333,4444\n" })
	testnet.WaitFor(t, "the door's command twice", func() bool { return strings.Count(readFile(t, ran), "192.0.2.2") == 2 })
}
