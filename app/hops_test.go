package app

import (
	"context"
	"errors"
	"testing"

	"sesame/knock"

	"sesame/sshlaunch"
)

// Connect on a profile with jump hosts gives the flow every hop, first
// hop first, each with the sequence its door opens with now; a hop whose
// door did not open gets its one-time sequence back (the next knock sends
// it again), and the profile behind it, never knocked, keeps its own.
func TestConnectGoesThroughJumpHosts(t *testing.T) {
	gw := oneTimeProfile(t, "gw", "gw.example.com", "1001", "1002")
	inner := profile(t, "inner", "inner.example.com", "2000", "")
	db := oneTimeProfile(t, "db", "db.example.com", "3001", "3002")
	db.Jump = []string{"gw", "inner"}
	h := newHarness(t, gw, inner, db)
	h.launcher.script = func(ctx context.Context, req ConnectRequest, shell func(context.Context, Shell) error) error {
		// The hop's progress goes to the status line, not the tab's
		// checklist of the profile's own door.
		ev := knock.Event{Kind: knock.Sent, Step: 1, Total: 1}
		req.HopUI("gw").Progress(sshlaunch.Event{Stage: sshlaunch.StageKnock, Knock: &ev})
		return &sshlaunch.HopError{Profile: "gw", Err: &sshlaunch.DoorError{Err: errors.New("timeout")}}
	}
	h.ui.connect("db")
	h.until("the flow ends", func() bool { s := h.session("db"); return s != nil && s.ended })
	if s := h.session("db"); s.progress.knocks[0].state != stepPending {
		t.Errorf("the hop's knock was shown as the profile's own")
	}
	if h.launcher.connected() != 1 {
		t.Fatalf("%d connects", h.launcher.connected())
	}
	req := h.launcher.connects[0]
	if len(req.Hops) != 2 || req.Hops[0].Name != "gw" || req.Hops[1].Name != "inner" {
		t.Fatalf("the flow got hops %v, want gw then inner", hopNames(req))
	}
	if got := req.Hops[0].Secrets.Open.String(); got != "1001" {
		t.Errorf("gw knocks with %s, want its first one-time sequence 1001", got)
	}
	if got := req.Hops[1].Secrets.Open.String(); got != "2000" {
		t.Errorf("inner knocks with %s, want 2000", got)
	}
	for name, used := range map[string]int{"gw": 0, "db": 0} {
		p, err := h.store.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Secrets.OneTimeUsed != used {
			t.Errorf("%s: %d one-time sequences used, want %d", name, p.Secrets.OneTimeUsed, used)
		}
	}
}

func hopNames(req ConnectRequest) []string {
	var out []string
	for _, p := range req.Hops {
		out = append(out, p.Name)
	}
	return out
}
