//go:build linux

package xvfb

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// DropFiles drops files on the window target at (x, y) on the screen, as
// a file manager does with the mouse: the XDND protocol (enter, position,
// drop, then the text/uri-list handed over as the XdndSelection) from a
// source window of its own. It returns once the target said it finished.
func DropFiles(t testing.TB, display, target string, x, y int, files ...string) {
	t.Helper()
	var win uint32
	if _, err := fmt.Sscan(target, &win); err != nil {
		t.Fatalf("window id %q: %v", target, err)
	}
	if err := dropFiles(display, xproto.Window(win), x, y, files); err != nil {
		t.Fatalf("drop %v on window %s: %v", files, target, err)
	}
}

func dropFiles(display string, target xproto.Window, x, y int, files []string) error {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return err
	}
	defer conn.Close()
	atoms := map[string]xproto.Atom{}
	for _, name := range []string{"XdndAware", "XdndEnter", "XdndPosition", "XdndStatus", "XdndDrop", "XdndFinished",
		"XdndLeave", "XdndSelection", "XdndActionCopy", "text/uri-list"} {
		r, err := xproto.InternAtom(conn, false, uint16(len(name)), name).Reply()
		if err != nil {
			return fmt.Errorf("intern %s: %w", name, err)
		}
		atoms[name] = r.Atom
	}
	aware, err := xproto.GetProperty(conn, false, target, atoms["XdndAware"], xproto.AtomAtom, 0, 1).Reply()
	if err != nil || aware.ValueLen == 0 {
		return fmt.Errorf("the window takes no drops (no XdndAware): %v", err)
	}
	version := min(xgb.Get32(aware.Value), 5)

	setup := xproto.Setup(conn)
	root := setup.DefaultScreen(conn).Root
	src, err := xproto.NewWindowId(conn)
	if err != nil {
		return err
	}
	if err := xproto.CreateWindowChecked(conn, 0, src, root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly,
		0, 0, nil).Check(); err != nil {
		return fmt.Errorf("create the source window: %w", err)
	}
	if err := xproto.SetSelectionOwnerChecked(conn, src, atoms["XdndSelection"], xproto.TimeCurrentTime).Check(); err != nil {
		return fmt.Errorf("own XdndSelection: %w", err)
	}
	send := func(typ string, data ...uint32) error {
		d := make([]uint32, 5)
		copy(d, data)
		ev := xproto.ClientMessageEvent{Format: 32, Window: target, Type: atoms[typ], Data: xproto.ClientMessageDataUnionData32New(d)}
		return xproto.SendEventChecked(conn, false, target, xproto.EventMaskNoEvent, string(ev.Bytes())).Check()
	}
	events := make(chan xgb.Event, 16)
	go func() {
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				close(events)
				return
			}
			if ev != nil {
				events <- ev
			}
		}
	}()
	// await waits for the target's client message typ, answering its
	// request for the selection meanwhile.
	var uris []string
	for _, f := range files {
		uris = append(uris, (&url.URL{Scheme: "file", Path: f}).String())
	}
	list := strings.Join(uris, "\r\n") + "\r\n"
	await := func(typ string) (xproto.ClientMessageEvent, error) {
		timeout := time.After(30 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return xproto.ClientMessageEvent{}, fmt.Errorf("the X connection closed waiting for %s", typ)
				}
				switch e := ev.(type) {
				case xproto.ClientMessageEvent:
					if e.Type == atoms[typ] {
						return e, nil
					}
				case xproto.SelectionRequestEvent:
					prop := e.Property
					if e.Target == atoms["text/uri-list"] {
						xproto.ChangeProperty(conn, xproto.PropModeReplace, e.Requestor, e.Property, e.Target, 8, uint32(len(list)), []byte(list))
					} else {
						prop = xproto.AtomNone
					}
					n := xproto.SelectionNotifyEvent{Time: e.Time, Requestor: e.Requestor, Selection: e.Selection, Target: e.Target, Property: prop}
					xproto.SendEvent(conn, false, e.Requestor, xproto.EventMaskNoEvent, string(n.Bytes()))
				}
			case <-timeout:
				return xproto.ClientMessageEvent{}, fmt.Errorf("no %s from the window", typ)
			}
		}
	}
	if err := send("XdndEnter", uint32(src), version<<24, uint32(atoms["text/uri-list"])); err != nil {
		return err
	}
	if err := send("XdndPosition", uint32(src), 0, uint32(x)<<16|uint32(y)&0xffff, xproto.TimeCurrentTime, uint32(atoms["XdndActionCopy"])); err != nil {
		return err
	}
	st, err := await("XdndStatus")
	if err != nil {
		return err
	}
	if st.Data.Data32[1]&1 == 0 {
		send("XdndLeave", uint32(src))
		return fmt.Errorf("the window refused the drop at %d,%d", x, y)
	}
	if err := send("XdndDrop", uint32(src), 0, xproto.TimeCurrentTime); err != nil {
		return err
	}
	_, err = await("XdndFinished")
	return err
}
