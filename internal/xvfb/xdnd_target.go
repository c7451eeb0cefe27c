//go:build linux

package xvfb

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Drop is what a DropTarget received in one drop.
type Drop struct {
	// URIs are the text/uri-list's lines, as sent.
	URIs []string
	// Files are the contents of the files the URIs name (a folder's
	// files under it too), read at the drop, by local path.
	Files map[string][]byte
	// Err is why the drop's data could not be had.
	Err error
}

// DropTarget is a window that takes drops of files as a file manager
// does: XdndAware (version 5), it accepts text/uri-list with the copy
// action, asks the source for the list at the drop, reads the files and
// says it finished (as the version the source speaks has it: before 5,
// XdndFinished says nothing of success).
type DropTarget struct {
	// Window is the target's X window.
	Window uint32
	drops  chan Drop
	over   chan struct{} // one a drag, at its first XdndPosition
}

// NewDropTarget maps a drop target at x, y (w×h) on the screen of
// display; it goes away when the test ends.
func NewDropTarget(t testing.TB, display string, x, y, w, h int) *DropTarget {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connect to %s: %v", display, err)
	}
	t.Cleanup(conn.Close)
	a := map[string]xproto.Atom{}
	for _, name := range []string{"XdndAware", "XdndEnter", "XdndPosition", "XdndStatus", "XdndDrop", "XdndFinished",
		"XdndLeave", "XdndSelection", "XdndActionCopy", "text/uri-list", "SESAME_DROP", "WM_NAME", "UTF8_STRING"} {
		r, err := xproto.InternAtom(conn, false, uint16(len(name)), name).Reply()
		if err != nil {
			t.Fatalf("intern %s: %v", name, err)
		}
		a[name] = r.Atom
	}
	screen := xproto.Setup(conn).DefaultScreen(conn)
	win, err := xproto.NewWindowId(conn)
	if err != nil {
		t.Fatal(err)
	}
	// Override-redirect: placed where asked, with or without a window
	// manager. A light green, to be seen in screenshots.
	if err := xproto.CreateWindowChecked(conn, screen.RootDepth, win, screen.Root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect,
		[]uint32{0xc8f0c8, 1}).Check(); err != nil {
		t.Fatalf("create the drop target: %v", err)
	}
	name := "drop target"
	xproto.ChangeProperty(conn, xproto.PropModeReplace, win, a["WM_NAME"], a["UTF8_STRING"], 8, uint32(len(name)), []byte(name))
	version := make([]byte, 4)
	xgb.Put32(version, 5)
	if err := xproto.ChangePropertyChecked(conn, xproto.PropModeReplace, win, a["XdndAware"], xproto.AtomAtom, 32, 1, version).Check(); err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(conn, win).Check(); err != nil {
		t.Fatal(err)
	}
	d := &DropTarget{Window: uint32(win), drops: make(chan Drop, 8), over: make(chan struct{}, 8)}
	go d.serve(conn, win, a)
	return d
}

// Drops delivers each drop the target received.
func (d *DropTarget) Drops() <-chan Drop { return d.drops }

// Over delivers one value for each drag that entered the target, at its
// first position: the pointer is over the target and the source knows.
func (d *DropTarget) Over() <-chan struct{} { return d.over }

func (d *DropTarget) serve(conn *xgb.Conn, win xproto.Window, a map[string]xproto.Atom) {
	var (
		source  xproto.Window
		version uint32 // the drag's, from XdndEnter
		told    bool   // Over has had this drag
	)
	send := func(to xproto.Window, typ string, data ...uint32) {
		v := make([]uint32, 5)
		copy(v, data)
		ev := xproto.ClientMessageEvent{Format: 32, Window: to, Type: a[typ], Data: xproto.ClientMessageDataUnionData32New(v)}
		xproto.SendEvent(conn, false, to, xproto.EventMaskNoEvent, string(ev.Bytes()))
	}
	for {
		ev, err := conn.WaitForEvent()
		if ev == nil && err == nil {
			return
		}
		switch e := ev.(type) {
		case xproto.ClientMessageEvent:
			from := xproto.Window(e.Data.Data32[0])
			switch e.Type {
			case a["XdndEnter"]:
				source, told, version = from, false, e.Data.Data32[1]>>24
			case a["XdndPosition"]:
				if from != source {
					continue
				}
				if !told {
					told = true
					select {
					case d.over <- struct{}{}:
					default:
					}
				}
				send(source, "XdndStatus", uint32(win), 1, 0, 0, uint32(a["XdndActionCopy"]))
			case a["XdndLeave"]:
				source = 0
			case a["XdndDrop"]:
				if from != source {
					continue
				}
				xproto.ConvertSelection(conn, win, a["XdndSelection"], a["text/uri-list"], a["SESAME_DROP"], xproto.Timestamp(e.Data.Data32[2]))
			}
		case xproto.SelectionNotifyEvent:
			if e.Requestor != win || source == 0 {
				continue
			}
			drop := Drop{Err: fmt.Errorf("the source gave no text/uri-list")}
			if e.Property != xproto.AtomNone {
				r, err := xproto.GetProperty(conn, true, win, e.Property, xproto.GetPropertyTypeAny, 0, 1<<20).Reply()
				if err != nil {
					drop.Err = fmt.Errorf("read the dropped list: %w", err)
				} else {
					drop = readDrop(string(r.Value))
				}
			}
			ok := uint32(0)
			if drop.Err == nil && version >= 5 {
				ok = 1
			}
			d.drops <- drop // before Finished: the source's caller may look at once
			send(source, "XdndFinished", uint32(win), ok, uint32(a["XdndActionCopy"]))
			source = 0
		}
	}
}

// readDrop reads the files a text/uri-list names, as a file manager
// copies them.
func readDrop(list string) Drop {
	drop := Drop{Files: map[string][]byte{}}
	for _, line := range strings.Split(list, "\r\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		drop.URIs = append(drop.URIs, line)
		u, err := url.Parse(line)
		if err != nil || u.Scheme != "file" {
			drop.Err = fmt.Errorf("%q is no file URI: %v", line, err)
			return drop
		}
		err = filepath.WalkDir(u.Path, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			drop.Files[p] = b
			return err
		})
		if err != nil {
			drop.Err = fmt.Errorf("read %s: %w", u.Path, err)
			return drop
		}
	}
	return drop
}
