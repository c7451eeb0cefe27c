//go:build linux

package sshlaunch

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/knock"
	"sesame/knocker"
)

// The three ways a door can fail on the network, each told apart: the
// host says no (reset, no route), the door stays shut (silence), and the
// door was open before the knock.
func TestFlowTellsNetworkFailuresApart(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, d *door)
		wantErr func(error) bool
		want    string
	}{
		{"reset from the SSH port", func(t *testing.T, d *door) {
			d.prof.Port = 2222 // nothing listens there, and nothing drops it
		}, func(err error) bool {
			var ue *UnreachableError
			return errors.As(err, &ue) && !ue.Knock && errors.Is(err, syscall.ECONNREFUSED)
		}, "an UnreachableError for the reset"},
		{"no route", func(t *testing.T, d *door) {
			d.pair.Client.Run(t, "ip", "route", "add", "unreachable", testnet.ServerAddr4.String()+"/32")
		}, func(err error) bool {
			var ue *UnreachableError
			return errors.As(err, &ue) && ue.Knock
		}, "an UnreachableError for the knock"},
		{"silent port", func(t *testing.T, d *door) {
			d.prof.Secrets.Open, _ = knocker.ParseSequence("1111,2222,3333")
		}, func(err error) bool {
			var de *DoorError
			var ue *UnreachableError
			return errors.As(err, &de) && !errors.As(err, &ue)
		}, "a DoorError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDoor(t)
			d.trustServer(t)
			tt.setup(t, d)
			cfg := d.config(&scriptUI{})
			cfg.DialWindow = time.Second
			err := d.run(t, context.Background(), cfg, runCommand("true", &testnet.Buffer{}))
			if !tt.wantErr(err) {
				t.Fatalf("Run = %v, want %s", err, tt.want)
			}
			if Advice(err) == "" {
				t.Errorf("no advice for %v", err)
			}
			d.assertClosed(t)
		})
	}
}

// TestFlowNoticesDoorAlreadyOpen: with the door held open by an earlier
// knock, even a wrong sequence "works"; the flow says the knock proved
// nothing.
func TestFlowNoticesDoorAlreadyOpen(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	if err := d.pair.Client.Do(func() error {
		return knock.SendTo(context.Background(), testnet.ServerAddr4, d.prof.Secrets.Open, knock.Options{})
	}); err != nil {
		t.Fatal(err)
	}
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	right := d.prof.Secrets.Open
	d.prof.Secrets.Open, _ = knocker.ParseSequence("1111,2222,3333")
	ui := &scriptUI{}
	if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var notice *AlreadyOpenError
	for _, e := range ui.events {
		if e.Stage == StageNotice && errors.As(e.Err, &notice) {
			break
		}
	}
	if notice == nil {
		t.Fatalf("no notice that the door was already open; stages %v", ui.stages())
	}

	// A door that was shut gets no such notice.
	d.assertClosed(t)
	d.prof.Secrets.Open = right
	ui = &scriptUI{}
	if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, s := range ui.stages() {
		if s == StageNotice {
			t.Fatalf("a notice for a door that was shut; stages %v", ui.stages())
		}
	}
}
