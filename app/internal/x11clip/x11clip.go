//go:build linux

// Package x11clip reads the X11 clipboard over a connection of its own,
// bounded by a context. GLFW reads it on the UI thread and waits for the
// clipboard's owner with no limit, so a program that owns the clipboard
// and never answers froze the whole window for good.
package x11clip

import (
	"context"
	"errors"
	"fmt"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// MaxLen bounds a paste; more than this comes in pieces (INCR), which
// Read does not take.
const MaxLen = 4 << 20

// ErrTooLarge is a clipboard too large to paste at once.
var ErrTooLarge = errors.New("the clipboard holds too much to paste at once (over 4 MiB)")

// Read returns the text on the CLIPBOARD selection of display (":0"; ""
// means $DISPLAY), or "" when nothing owns it. It gives up when ctx ends,
// with an error that wraps ctx's.
func Read(ctx context.Context, display string) (string, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return "", fmt.Errorf("read the clipboard: connect to the X display: %w", err)
	}
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		text, err := read(conn)
		done <- result{text, err}
	}()
	select {
	case r := <-done:
		conn.Close()
		return r.text, r.err
	case <-ctx.Done():
		// Closing the connection ends the wait in read.
		conn.Close()
		<-done
		return "", fmt.Errorf("the program that owns the clipboard did not hand it over (copy again, or close that program): %w", ctx.Err())
	}
}

func read(conn *xgb.Conn) (string, error) {
	screen := xproto.Setup(conn).DefaultScreen(conn)
	atoms, err := internAtoms(conn, "CLIPBOARD", "UTF8_STRING", "SESAME_PASTE", "INCR")
	if err != nil {
		return "", err
	}
	clipboard, utf8, prop, incr := atoms[0], atoms[1], atoms[2], atoms[3]
	owner, err := xproto.GetSelectionOwner(conn, clipboard).Reply()
	if err != nil {
		return "", fmt.Errorf("read the clipboard: %w", err)
	}
	if owner.Owner == xproto.WindowNone {
		return "", nil
	}
	win, err := xproto.NewWindowId(conn)
	if err != nil {
		return "", fmt.Errorf("read the clipboard: %w", err)
	}
	if err := xproto.CreateWindowChecked(conn, 0, win, screen.Root, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		return "", fmt.Errorf("read the clipboard: create a window to receive it: %w", err)
	}
	defer xproto.DestroyWindow(conn, win)
	xproto.ConvertSelection(conn, win, clipboard, utf8, prop, xproto.TimeCurrentTime)
	for {
		ev, xerr := conn.WaitForEvent()
		if ev == nil && xerr == nil {
			return "", errors.New("read the clipboard: the X connection closed")
		}
		if xerr != nil {
			return "", fmt.Errorf("read the clipboard: %v", xerr)
		}
		n, ok := ev.(xproto.SelectionNotifyEvent)
		if !ok || n.Requestor != win {
			continue
		}
		if n.Property == xproto.AtomNone {
			// The owner has no text to give (an image, say).
			return "", nil
		}
		reply, err := xproto.GetProperty(conn, true, win, prop, xproto.GetPropertyTypeAny, 0, MaxLen/4).Reply()
		if err != nil {
			return "", fmt.Errorf("read the clipboard: %w", err)
		}
		if reply.Type == incr || reply.BytesAfter > 0 {
			return "", ErrTooLarge
		}
		return string(reply.Value), nil
	}
}

func internAtoms(conn *xgb.Conn, names ...string) ([]xproto.Atom, error) {
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(conn, false, uint16(len(n)), n)
	}
	atoms := make([]xproto.Atom, len(names))
	for i, c := range cookies {
		r, err := c.Reply()
		if err != nil {
			return nil, fmt.Errorf("read the clipboard: look up the atom %s: %w", names[i], err)
		}
		atoms[i] = r.Atom
	}
	return atoms, nil
}
