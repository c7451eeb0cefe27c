package cli

import (
	"bytes"
	"errors"
	"testing"

	"sesame/knocker"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// TestUnspendChain: when a jump host's door does not open, its one-time
// sequence goes back, and so do those of the doors behind it, which were
// never knocked; a hop before it was knocked and keeps its sequence spent.
func TestUnspendChain(t *testing.T) {
	store := profiles.NewStore(t.TempDir(), profiles.NewMemKeyring())
	var one []knocker.Sequence
	for _, s := range []string{"7001,7002", "7003,7004"} {
		seq, err := knocker.ParseSequence(s)
		if err != nil {
			t.Fatal(err)
		}
		one = append(one, seq)
	}
	taken := map[string]*profiles.Profile{}
	for _, n := range []string{"first", "broken", "behind", "inner"} {
		if err := store.Create(&profiles.Profile{Name: n, Host: "192.0.2.1", Secrets: profiles.Secrets{OneTime: one}}); err != nil {
			t.Fatal(err)
		}
		p, _, err := store.TakeOpen(n)
		if err != nil {
			t.Fatal(err)
		}
		taken[n] = p
	}
	hops := []sshlaunch.Config{{Profile: *taken["first"]}, {Profile: *taken["broken"]}, {Profile: *taken["behind"]}}
	runErr := &sshlaunch.HopError{Profile: "broken", Err: &sshlaunch.OpenKnockError{Err: errors.New("no route")}}
	var out bytes.Buffer
	unspendChain(&out, "sesame connect", store, taken["inner"], hops, runErr)
	for name, wantLeft := range map[string]int{"first": 1, "broken": 2, "behind": 2, "inner": 2} {
		p, err := store.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(p.Secrets.OneTime); got != wantLeft {
			t.Errorf("%s has %d one-time sequences left, want %d\n%s", name, got, wantLeft, out.String())
		}
	}
}
