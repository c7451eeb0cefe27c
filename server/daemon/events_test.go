//go:build linux

package daemon

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"sesame/knockdconf"
	"sesame/server/action"
	"sesame/server/matcher"
	"sesame/server/sesamedlog"
)

// TestLookupOnlyOnceADoorOpens: with -l, no reverse lookup goes out for an
// address that has only knocked (it would tell the reverse zone's owner
// the knocked ports); the first goes out when a door opens for it.
func TestLookupOnlyOnceADoorOpens(t *testing.T) {
	asked := make(chan string, 16)
	log, err := sesamedlog.New(sesamedlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{log: log, runner: action.NewRunner(log, action.Options{}),
		names: newNames(true, func(_ context.Context, addr string) ([]string, error) {
			asked <- addr
			return []string{"client.example."}, nil
		})}
	defer d.runner.Close(context.Background())
	door := &matcher.Door{Name: "SSH", Data: &doorAction{conf: &knockdconf.Door{Name: "SSH"}}}
	knocker, opener := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("192.0.2.2")

	for stage := 1; stage <= 2; stage++ {
		d.event(matcher.Event{Kind: matcher.Stage, Src: knocker, Door: door, Stage: stage})
	}
	d.event(matcher.Event{Kind: matcher.Timeout, Src: knocker, Door: door, Stage: 2})
	d.event(matcher.Event{Kind: matcher.Stage, Src: opener, Door: door, Stage: 1})
	d.event(matcher.Event{Kind: matcher.Open, Src: opener, Door: door})

	// Lookups go out in the order they are started: had a knock started
	// one, it would come first.
	select {
	case a := <-asked:
		if a != opener.String() {
			t.Fatalf("the first lookup was for %s, which only knocked; want the first for %s, whose door opened", a, opener)
		}
	case <-time.After(time.Minute):
		t.Fatal("no lookup for the address whose door opened")
	}
	testWaitFor(t, "the name in the log lines", func() bool { return d.names.who(opener, false) == "192.0.2.2 (client.example)" })
}

func testWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
