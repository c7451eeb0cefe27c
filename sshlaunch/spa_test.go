package sshlaunch

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"sesame/internal/keeper"
	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spaknock"
)

// eventsUI records the flow's events.
type eventsUI struct {
	UI
	events []Event
}

func (u *eventsUI) Progress(e Event) { u.events = append(u.events, e) }

// TestSPADoor: an SPA profile's open step sends its packet (not a
// sequence), starts no close keeper, and its close is the report that the
// door closes by itself, with no knock sent.
func TestSPADoor(t *testing.T) {
	keys, err := profiles.NewSPAKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := profiles.Profile{Name: "gate", Host: "192.0.2.1", User: "root", SPA: &profiles.SPA{Timeout: 30},
		Secrets: profiles.Secrets{SPA: keys}}
	ui := &eventsUI{}
	var sent, knocked int
	home := t.TempDir()
	cfg := Config{Profile: p, UI: ui,
		Env: Env{Home: home, LocalUser: "u", SSHConfig: filepath.Join(home, "none"), SystemSSHConfig: filepath.Join(home, "none")},
		// A keeper that cannot start: the flow fails if it tries.
		CloseKeeper: &keeper.Exec{Path: filepath.Join(home, "no-such-keeper")},
		knock: func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error {
			knocked++
			return nil
		},
		sendSPA: func(_ context.Context, addr netip.Addr, got *profiles.Profile, o spaknock.Options) error {
			sent++
			if addr != netip.MustParseAddr("192.0.2.1") || got.Secrets.SPA != keys {
				t.Errorf("sent to %s for %+v", addr, got)
			}
			o.Progress(knock.Event{Kind: knock.Sent, Step: 1, Total: 1, Addr: addr})
			return nil
		},
	}
	ran := false
	err = withDoor(context.Background(), &cfg, "", 0, func(context.Context, netip.AddrPort, Target) error {
		ran = true
		return nil
	})
	if err != nil || !ran || sent != 1 || knocked != 0 {
		t.Fatalf("withDoor = %v (ran %v): %d packets, %d knocks; want the packet alone", err, ran, sent, knocked)
	}
	last := ui.events[len(ui.events)-1]
	if last.Stage != StageClosed || last.Err != nil || last.SelfClose != "the door closes by itself after 30 s (SPA has no close packet)" {
		t.Fatalf("the last event is %+v", last)
	}
	for _, e := range ui.events {
		if e.Stage == StageClosing {
			t.Fatalf("a close knock was reported: %+v", e)
		}
	}
}
