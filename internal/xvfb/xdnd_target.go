//go:build linux

package xvfb

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	// Version is the XDND version the source said it speaks, in its
	// XdndEnter.
	Version int
}

// DropTarget is a window that takes drops of files as a file manager
// does: XdndAware (version 5), it accepts text/uri-list with the copy
// action, asks the source for the list at the drop, reads the files and
// says it finished (as the version the source speaks has it: before 5,
// XdndFinished says nothing of success).
type DropTarget struct {
	// Window is the target's X window.
	Window    uint32
	drops     chan Drop
	over      chan struct{} // one a drag, at its first XdndPosition
	positions chan struct{} // one each XdndPosition

	conn *xgb.Conn
	a    map[string]xproto.Atom

	mu     sync.Mutex
	hold   bool            // statuses wait for Answer
	silent bool            // no XdndFinished
	queued []xproto.Window // the sources of the positions not answered yet
	faults []string        // what the sources did against the protocol
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
	d := &DropTarget{Window: uint32(win), drops: make(chan Drop, 8), over: make(chan struct{}, 8), positions: make(chan struct{}, 64), conn: conn, a: a}
	go d.serve(conn, win, a)
	return d
}

// Drops delivers each drop the target received.
func (d *DropTarget) Drops() <-chan Drop { return d.drops }

// Over delivers one value for each drag that entered the target, at its
// first position: the pointer is over the target and the source knows.
func (d *DropTarget) Over() <-chan struct{} { return d.over }

// Positions delivers one value for each XdndPosition received.
func (d *DropTarget) Positions() <-chan struct{} { return d.positions }

// Hold makes the target keep its XdndStatus to each position until
// Answer, as a slow target does; a position that comes while one is not
// answered is a fault (one position at a time, the spec says).
func (d *DropTarget) Hold() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hold = true
}

// Answer sends the status of the oldest position not answered, accepting
// the drop or not.
func (d *DropTarget) Answer(t testing.TB, accept bool) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queued) == 0 {
		t.Fatal("Answer: no position waits for its status")
	}
	to := d.queued[0]
	d.queued = d.queued[1:]
	ok := uint32(0)
	if accept {
		ok = 1
	}
	sendXdnd(d.conn, d.a, to, "XdndStatus", d.Window, ok, 0, 0, uint32(d.a["XdndActionCopy"]))
}

// Unfinished makes the target take the drops but never send
// XdndFinished, as a target that hangs while it copies.
func (d *DropTarget) Unfinished() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.silent = true
}

// Faults are what sources did against the protocol, so far.
func (d *DropTarget) Faults() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.faults...)
}

// held queues the status of a position from source when the target
// holds them.
func (d *DropTarget) held(source xproto.Window) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.hold {
		return false
	}
	if len(d.queued) > 0 {
		d.faults = append(d.faults, "an XdndPosition came before the status of the one before")
	}
	d.queued = append(d.queued, source)
	return true
}

func sendXdnd(conn *xgb.Conn, a map[string]xproto.Atom, to xproto.Window, typ string, data ...uint32) {
	v := make([]uint32, 5)
	copy(v, data)
	ev := xproto.ClientMessageEvent{Format: 32, Window: to, Type: a[typ], Data: xproto.ClientMessageDataUnionData32New(v)}
	xproto.SendEvent(conn, false, to, xproto.EventMaskNoEvent, string(ev.Bytes()))
}

func (d *DropTarget) serve(conn *xgb.Conn, win xproto.Window, a map[string]xproto.Atom) {
	var (
		source  xproto.Window
		version uint32 // the drag's, from XdndEnter
		told    bool   // Over has had this drag
	)
	send := func(to xproto.Window, typ string, data ...uint32) { sendXdnd(conn, a, to, typ, data...) }
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
				held := d.held(source) // queued before the test hears of it
				if !told {
					told = true
					select {
					case d.over <- struct{}{}:
					default:
					}
				}
				select {
				case d.positions <- struct{}{}:
				default:
				}
				if held {
					continue
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
			drop.Version = int(version)
			ok := uint32(0)
			if drop.Err == nil && version >= 5 {
				ok = 1
			}
			d.drops <- drop // before Finished: the source's caller may look at once
			d.mu.Lock()
			silent := d.silent
			d.mu.Unlock()
			if !silent {
				send(source, "XdndFinished", uint32(win), ok, uint32(a["XdndActionCopy"]))
			}
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
