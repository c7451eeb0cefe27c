package sshlaunch

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
)

// TestJumpRefusedBeforeAnyKnock: a profile behind a jump host is refused
// by Run (which cannot go through one), and a chain that passes a profile
// twice by RunVia, both before anything is knocked.
func TestJumpRefusedBeforeAnyKnock(t *testing.T) {
	tcp, _ := knocker.ParseSequence("7100,7200")
	knocked := 0
	stub := func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error {
		knocked++
		return errors.New("no network in this test")
	}
	profile := func(name, host string, open knocker.Sequence, jump ...string) Config {
		return Config{Profile: profiles.Profile{Name: name, Host: host, Jump: jump, Secrets: profiles.Secrets{Open: open}},
			UI: &quietUI{}, knock: stub}
	}
	session := func(context.Context, *Conn) error { return nil }

	err := Run(context.Background(), profile("db", "192.0.2.66", tcp, "bastion"), session)
	var jn *JumpNeededError
	if !errors.As(err, &jn) || !strings.Contains(Advice(err), "sesame connect db") {
		t.Errorf("Run of a profile behind a jump host: %v, want a JumpNeededError with the command", err)
	}
	err = RunVia(context.Background(), []Config{profile("bastion", "192.0.2.1", tcp), profile("db", "192.0.2.66", tcp)},
		profile("Bastion", "192.0.2.1", tcp), session)
	if err == nil || !strings.Contains(err.Error(), "passes Bastion twice") {
		t.Errorf("RunVia through a loop: %v, want a refusal", err)
	}
	if knocked != 0 {
		t.Errorf("%d knocks went out before the refusals", knocked)
	}
}

// TestHopErrorNamesTheHop: a jump host whose own door does not open is
// named in the error, so that the caller knows whose one-time sequence to
// put back; the profile beyond it is never knocked.
func TestHopErrorNamesTheHop(t *testing.T) {
	seq, _ := knocker.ParseSequence("7100,7200")
	var knocked []string
	cfg := func(name string) Config {
		return Config{Profile: profiles.Profile{Name: name, Host: "127.0.0.1", Port: 1, Secrets: profiles.Secrets{Open: seq}},
			UI: &quietUI{}, knock: func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error {
				knocked = append(knocked, name)
				return errors.New("the knock could not be sent")
			}}
	}
	err := RunVia(context.Background(), []Config{cfg("bastion")}, cfg("db"), func(context.Context, *Conn) error { return nil })
	if HopFailed(err) != "bastion" || !NotOpened(err) || !strings.HasPrefix(err.Error(), "jump host bastion: ") {
		t.Fatalf("RunVia = %v; want bastion's door named as not opened", err)
	}
	if strings.Join(knocked, ",") != "bastion" {
		t.Fatalf("knocked %v, want bastion only", knocked)
	}
}
