package sshlaunch

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
)

// quietUI answers nothing and records the close's outcome.
type quietUI struct {
	UI
	closed []error
}

func (u *quietUI) Progress(e Event) {
	if e.Stage == StageClosed {
		u.closed = append(u.closed, e.Err)
	}
}

// TestCloseKnockIsTriedAgain: a close knock that fails to go out is tried
// three times; when all fail, the error names knocks by number, never a
// port, and ends with the command that knocks the door shut.
func TestCloseKnockIsTriedAgain(t *testing.T) {
	cls, _ := knocker.ParseSequence("47001,47002:udp")
	addr := netip.MustParseAddr("192.0.2.1")
	for _, tt := range []struct {
		failures, wantTries int
		wantErr             bool
	}{
		{0, 1, false},
		{2, 3, false},
		{5, 3, true},
	} {
		tries := 0
		ui := &quietUI{}
		cfg := &Config{Profile: profiles.Profile{Name: "web", Secrets: profiles.Secrets{Close: cls}}, UI: ui,
			closeBackoff: []time.Duration{time.Millisecond, time.Millisecond},
			knock: func(_ context.Context, a netip.Addr, seq knocker.Sequence, _ knock.Options) error {
				tries++
				if tries <= tt.failures {
					return &knock.KnockError{Step: 2, Total: 2, Knock: seq[1], Addr: a, Err: syscall.ENETUNREACH}
				}
				return nil
			}}
		cfg.setDefaults()
		err := sendClose(context.Background(), cfg, addr, netip.AddrPortFrom(addr, 22))
		if tries != tt.wantTries || (err != nil) != tt.wantErr {
			t.Errorf("%d failures: %d tries, error %v; want %d tries, error %v", tt.failures, tries, err, tt.wantTries, tt.wantErr)
			continue
		}
		if err == nil {
			continue
		}
		msg := (&CloseError{Err: err, Profile: "web"}).Error()
		if strings.Contains(msg, "47002") || !strings.Contains(msg, "knock 2 of 2") || !strings.HasSuffix(msg, "knock it shut with: sesame knock --close web") {
			t.Errorf("close error %q", msg)
		}
		if len(ui.closed) != 1 || !errors.Is(ui.closed[0], syscall.ENETUNREACH) {
			t.Errorf("the UI was told %v", ui.closed)
		}
	}
}

// TestInterruptedOpenKnockIsClosed: an open knock cut short after its
// last knock went out (a MaybeOpenedError, as a jump host's knock gives
// on Ctrl-C) may have opened the door: the close knock goes out, and the
// error does not say NotOpened, so a one-time sequence is not put back.
// A knock cut short before that opened nothing and closes nothing.
func TestInterruptedOpenKnockIsClosed(t *testing.T) {
	open, _ := knocker.ParseSequence("47001,47002")
	cls, _ := knocker.ParseSequence("47003,47004")
	for _, tt := range []struct {
		name      string
		openErr   error
		wantClose bool
		notOpened bool
		wantMaybe bool
	}{
		{"before the last knock", context.Canceled, false, true, false},
		{"after the last knock", &MaybeOpenedError{Err: context.Canceled}, true, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var closes int
			ui := &quietUI{}
			cfg := Config{Profile: profiles.Profile{Name: "db", Host: "127.0.0.1", Port: 1,
				Secrets: profiles.Secrets{Open: open, Close: cls}}, UI: ui,
				knock: func(_ context.Context, _ netip.Addr, seq knocker.Sequence, _ knock.Options) error {
					if seq.String() == cls.String() {
						closes++
						return nil
					}
					return tt.openErr
				}}
			sessions := 0
			err := Run(context.Background(), cfg, func(context.Context, *Conn) error { sessions++; return nil })
			var maybe *MaybeOpenedError
			if got := closes > 0; got != tt.wantClose || NotOpened(err) != tt.notOpened || errors.As(err, &maybe) != tt.wantMaybe {
				t.Fatalf("Run = %v: %d close knocks, NotOpened %v; want close %v, NotOpened %v", err, closes, NotOpened(err), tt.wantClose, tt.notOpened)
			}
			if sessions != 0 {
				t.Errorf("the session ran after an interrupted knock")
			}
		})
	}
}
