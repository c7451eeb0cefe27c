//go:build linux

package x11clip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"sesame/internal/xvfb"
)

// own makes a new client own the CLIPBOARD selection on display. With
// text set it answers requests with it; with answer false it never
// answers, as a stuck program does.
func own(t *testing.T, display, text string, answer bool) {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	screen := xproto.Setup(conn).DefaultScreen(conn)
	atoms, err := internAtoms(conn, "CLIPBOARD", "UTF8_STRING")
	if err != nil {
		t.Fatal(err)
	}
	win, _ := xproto.NewWindowId(conn)
	if err := xproto.CreateWindowChecked(conn, 0, win, screen.Root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.SetSelectionOwnerChecked(conn, win, atoms[0], xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
	if !answer {
		return
	}
	go func() {
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				return
			}
			req, ok := ev.(xproto.SelectionRequestEvent)
			if !ok {
				continue
			}
			xproto.ChangeProperty(conn, xproto.PropModeReplace, req.Requestor, req.Property, atoms[1], 8, uint32(len(text)), []byte(text))
			n := xproto.SelectionNotifyEvent{Time: req.Time, Requestor: req.Requestor, Selection: req.Selection, Target: req.Target, Property: req.Property}
			xproto.SendEvent(conn, false, req.Requestor, 0, string(n.Bytes()))
		}
	}()
}

func TestRead(t *testing.T) {
	disp := xvfb.Start(t, 320, 200)
	ctx := context.Background()
	if got, err := Read(ctx, disp.Name); err != nil || got != "" {
		t.Fatalf("with no owner: Read = %q, %v; want empty", got, err)
	}
	want := "echo pasted ✓\nsecond line"
	own(t, disp.Name, want, true)
	if got, err := Read(ctx, disp.Name); err != nil || got != want {
		t.Fatalf("Read = %q, %v; want %q", got, err, want)
	}
}

// TestReadGivesUpOnSilentOwner: an owner that never answers costs the
// caller its deadline, not the rest of its life.
func TestReadGivesUpOnSilentOwner(t *testing.T) {
	disp := xvfb.Start(t, 320, 200)
	own(t, disp.Name, "", false)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	got, err := Read(ctx, disp.Name)
	if !errors.Is(err, context.DeadlineExceeded) || got != "" {
		t.Fatalf("Read = %q, %v; want the deadline's error", got, err)
	}
}
