//go:build linux

// Package xdnd drags files from a window of this program to another X11
// client (a file manager, the desktop), as the source of the XDND
// protocol, version 5 (https://freedesktop.org/wiki/Specifications/XDND/).
// Fyne has no drag source, but its window keeps getting the pointer's
// motion while a button is held (X's implicit grab), so the caller only
// reports moves and the release; this package follows the pointer over
// the other windows on a connection of its own, off the caller's
// goroutine.
package xdnd

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Version is the XDND version spoken; with a target of version 3 or 4,
// its own.
const Version = 5

// bounds are how long a drag waits: for the release (the button's
// release may never come to the window if a screen locker or the window
// manager broke its grab), for the target's answer to the last position
// at the release, and for XdndFinished after the drop. The files
// themselves have no bound here: their download shows its progress and
// has Cancel.
type bounds struct {
	hold, status, finish time.Duration
}

// defaultBounds are the bounds of a drag: a person holds the button
// for seconds, a target answers in milliseconds.
func defaultBounds() bounds {
	return bounds{hold: 5 * time.Minute, status: 3 * time.Second, finish: finishWait}
}

// finishWait is the default bound on XdndFinished.
const finishWait = 60 * time.Second

// Result is how a drag ended.
type Result struct {
	// Dropped is true when a window took the files and said it finished
	// with them.
	Dropped bool
	// Unconfirmed is true with Dropped when the window took the file
	// list but never said it finished with the files (within a minute).
	Unconfirmed bool
	// Cancelled is true when Cancel ended the drag before the release.
	Cancelled bool
	// Err says why a drag failed: the files could not be made ready, the
	// X server or the target failed. Nil also when the pointer was
	// released over no window that takes files.
	Err error
}

// Drag is one drag under way. Its methods never block: the X work runs
// on the drag's own goroutine.
type Drag struct {
	move        chan struct{} // a move to look at; moves coalesce
	ready       chan ready
	release     chan struct{} // closed at the release
	releaseOnce sync.Once
	cancel      chan struct{} // closed by Cancel
	cancelOnce  sync.Once
	bounds      bounds
}

type ready struct {
	paths []string
	err   error
}

// Start begins a drag from the window self (the caller's, which never
// gets its own files) on display. done gets the result once, on the
// drag's goroutine.
func Start(display string, self uint32, done func(Result)) *Drag {
	return start(display, self, defaultBounds(), done)
}

func start(display string, self uint32, b bounds, done func(Result)) *Drag {
	d := &Drag{move: make(chan struct{}, 1), ready: make(chan ready, 1), release: make(chan struct{}), cancel: make(chan struct{}), bounds: b}
	go func() { done(d.run(display, xproto.Window(self))) }()
	return d
}

// Move says the pointer moved: the drag looks where it is now.
func (d *Drag) Move() {
	select {
	case d.move <- struct{}{}:
	default: // one is pending already, and it will see this position
	}
}

// Ready hands over the local files to drop, or why there are none. The
// drop waits for it; a target asking earlier is answered then.
func (d *Drag) Ready(paths []string, err error) {
	select {
	case d.ready <- ready{paths, err}:
	default: // only the first counts
	}
}

// Release says the button was released: the files are dropped on the
// window under the pointer if it accepted them.
func (d *Drag) Release() { d.releaseOnce.Do(func() { close(d.release) }) }

// Cancel ends a drag not released yet: nothing is dropped (a stale drag
// whose release never came, say). After the release it does nothing.
func (d *Drag) Cancel() { d.cancelOnce.Do(func() { close(d.cancel) }) }

// URIList is the text/uri-list of paths: file URIs, percent-encoded, each
// ended by CRLF (RFC 2483).
func URIList(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		b.WriteString((&url.URL{Scheme: "file", Path: p}).String())
		b.WriteString("\r\n")
	}
	return b.String()
}

// source is the drag's state on its goroutine.
type source struct {
	conn      *xgb.Conn
	root, win xproto.Window // win is ours: it owns XdndSelection and gets the answers
	self      xproto.Window
	bounds    bounds
	a         atoms
	time      xproto.Timestamp
	events    <-chan xgb.Event

	target   xproto.Window // the XdndAware window under the pointer, 0 for none
	dest     xproto.Window // where its messages go: target, or its XdndProxy
	version  byte          // spoken with it
	accepted bool          // the target's last XdndStatus accepted the drop
	waiting  bool          // a position is sent and its status not back
	again    bool          // the pointer moved meanwhile
	released bool          // the button is up: the target stays, wherever the pointer goes
	files    *ready        // once Ready was called
	handed   bool          // a requestor got the file list
	lost     bool          // another client took the XdndSelection
	pending  []xproto.SelectionRequestEvent
}

type atoms struct {
	aware, proxy, enter, position, status, leave, drop, finished, selection, copy, uriList, targets, timestamp xproto.Atom
}

func (d *Drag) run(display string, self xproto.Window) Result {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		return Result{Err: fmt.Errorf("drag to the desktop: connect to the X display %q: %w", display, err)}
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	events := make(chan xgb.Event, 64)
	go func() {
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil && err == nil {
				return // closed
			}
			if ev == nil {
				continue // an error reply to an unchecked request: the checked ones report theirs
			}
			select {
			case events <- ev:
			case <-stop:
				return
			}
		}
	}()
	s := &source{conn: conn, self: self, events: events, bounds: d.bounds}
	if err := s.setup(); err != nil {
		return Result{Err: fmt.Errorf("drag to the desktop: %w", err)}
	}
	r := s.loop(d)
	if !s.lost {
		// The selection goes before the result: once the caller hears the
		// drag ended, a new one may take it, and nobody asks this one.
		xproto.SetSelectionOwnerChecked(conn, xproto.WindowNone, s.a.selection, s.time).Check()
	}
	return r
}

// setup makes the source window, takes XdndSelection with it and learns
// the server's time (for the selection and the drop).
func (s *source) setup() error {
	var err error
	if s.a, err = internAtoms(s.conn); err != nil {
		return err
	}
	s.root = xproto.Setup(s.conn).DefaultScreen(s.conn).Root
	if s.win, err = xproto.NewWindowId(s.conn); err != nil {
		return fmt.Errorf("make a window id: %w", err)
	}
	if err := xproto.CreateWindowChecked(s.conn, 0, s.win, s.root, -10, -10, 1, 1, 0, xproto.WindowClassInputOnly, 0,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return fmt.Errorf("create the source window: %w", err)
	}
	// A zero-length append to a property of our own is the usual way to
	// get a timestamp from the server: CurrentTime for a selection makes
	// some requestors refuse it.
	if err := xproto.ChangePropertyChecked(s.conn, xproto.PropModeAppend, s.win, s.a.selection, xproto.AtomAtom, 32, 0, nil).Check(); err != nil {
		return fmt.Errorf("get the server's time: %w", err)
	}
	timeout := time.After(s.bounds.status)
	for s.time == 0 {
		select {
		case ev := <-s.events:
			if p, ok := ev.(xproto.PropertyNotifyEvent); ok && p.Window == s.win {
				s.time = p.Time
			}
		case <-timeout:
			return errors.New("the X server did not report the time of a property change")
		}
	}
	if err := xproto.SetSelectionOwnerChecked(s.conn, s.win, s.a.selection, s.time).Check(); err != nil {
		return fmt.Errorf("own the XdndSelection: %w", err)
	}
	return nil
}

func internAtoms(conn *xgb.Conn) (atoms, error) {
	names := []string{"XdndAware", "XdndProxy", "XdndEnter", "XdndPosition", "XdndStatus", "XdndLeave", "XdndDrop", "XdndFinished",
		"XdndSelection", "XdndActionCopy", "text/uri-list", "TARGETS", "TIMESTAMP"}
	cookies := make([]xproto.InternAtomCookie, len(names))
	for i, n := range names {
		cookies[i] = xproto.InternAtom(conn, false, uint16(len(n)), n)
	}
	got := make([]xproto.Atom, len(names))
	for i, c := range cookies {
		r, err := c.Reply()
		if err != nil {
			return atoms{}, fmt.Errorf("look up the atom %s: %w", names[i], err)
		}
		got[i] = r.Atom
	}
	return atoms{got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7], got[8], got[9], got[10], got[11], got[12]}, nil
}

// loop follows the pointer until the release, then drops; a drag not
// released within the hold bound, or cancelled, leaves the target and
// ends, letting go of its connection and the XdndSelection.
func (s *source) loop(d *Drag) Result {
	hold := time.After(s.bounds.hold)
	for {
		select {
		case <-d.move:
			s.moved()
		case r := <-d.ready:
			s.setReady(r)
		case ev := <-s.events:
			if s.handle(ev); s.lost {
				s.leave()
				return Result{Err: errLost}
			}
		case <-d.release:
			return s.dropped(d)
		case <-d.cancel:
			s.leave()
			return Result{Cancelled: true}
		case <-hold:
			s.leave()
			return Result{Err: fmt.Errorf("the button was not released within %s (a screen locker or the window manager may have taken the pointer): the drag is cancelled, drag again", s.bounds.hold)}
		}
	}
}

// dropped ends the drag at the release.
func (s *source) dropped(d *Drag) Result {
	// One position at a time: the status of the one under way comes
	// first, then the last position goes from where the button went up,
	// and its status is the answer.
	s.again = false
	if err := s.awaitStatus(d); err != nil {
		return Result{Err: err}
	}
	s.moved()
	s.released = true
	if s.target == 0 {
		return Result{}
	}
	if err := s.awaitStatus(d); err != nil {
		return Result{Err: err}
	}
	if !s.accepted {
		s.leave()
		return Result{}
	}
	for s.files == nil {
		select {
		case r := <-d.ready:
			s.setReady(r)
		case ev := <-s.events:
			if s.handle(ev); s.lost {
				s.leave()
				return Result{Err: errLost}
			}
		}
	}
	if s.files.err != nil {
		s.leave()
		return Result{Err: s.files.err}
	}
	// The drop goes out once the files are there, so that the target's
	// request for them is answered at once: some targets (Qt's) wait only
	// seconds for the data.
	target, dest := s.target, s.dest
	if err := s.send(s.a.drop, uint32(s.win), 0, uint32(s.time)); err != nil {
		return Result{Err: fmt.Errorf("drop on the window: %w", err)}
	}
	timeout := time.After(s.bounds.finish)
	for {
		select {
		case ev := <-s.events:
			if m, ok := ev.(xproto.ClientMessageEvent); ok && m.Type == s.a.finished && (xproto.Window(m.Data.Data32[0]) == target || xproto.Window(m.Data.Data32[0]) == dest) {
				// Before version 5 XdndFinished says nothing more.
				if s.version >= 5 && m.Data.Data32[1]&1 == 0 {
					return Result{Err: errors.New("the window refused the files")}
				}
				return Result{Dropped: true}
			}
			if s.handle(ev); s.lost {
				if s.handed { // the target has the list: it need not ask again
					return Result{Dropped: true, Unconfirmed: true}
				}
				return Result{Err: errLost}
			}
		case <-timeout:
			if s.handed { // it has the list, and may well be copying still
				return Result{Dropped: true, Unconfirmed: true}
			}
			return Result{Err: fmt.Errorf("the window did not say it finished with the files within %s", s.bounds.finish)}
		}
	}
}

// awaitStatus waits for the status of the position under way, if any,
// within the status bound; without it, the drag leaves the target.
func (s *source) awaitStatus(d *Drag) error {
	timeout := time.After(s.bounds.status)
	for s.waiting {
		select {
		case r := <-d.ready:
			s.setReady(r)
		case ev := <-s.events:
			if s.handle(ev); s.lost {
				s.leave()
				return errLost
			}
		case <-timeout:
			s.leave()
			return errors.New("the window under the pointer did not answer whether it takes the files")
		}
	}
	return nil
}

// moved looks at the window under the pointer: leaves the old target,
// enters a new one, and sends the position.
func (s *source) moved() {
	p, err := xproto.QueryPointer(s.conn, s.root).Reply()
	if err != nil {
		return // the connection is failing: the release reports what follows
	}
	w, dest, version := s.awareUnder(p.Child)
	if w != s.target {
		s.leave()
		if w != 0 {
			s.target, s.dest, s.version = w, dest, version
			if err := s.send(s.a.enter, uint32(s.win), uint32(version)<<24, uint32(s.a.uriList)); err != nil {
				s.target, s.dest = 0, 0 // gone meanwhile
				return
			}
		}
	}
	if s.target == 0 {
		return
	}
	if s.waiting {
		s.again = true // the spec: one position at a time, the next after its status
		return
	}
	if err := s.send(s.a.position, uint32(s.win), 0, uint32(p.RootX)<<16|uint32(uint16(p.RootY)), uint32(s.time), uint32(s.a.copy)); err != nil {
		s.target, s.dest, s.accepted = 0, 0, false
		return
	}
	s.waiting, s.again = true, false
}

// awareUnder finds the window that takes drops along the chain of
// windows under the pointer, from the top-level child of the root down
// (the root itself last: a desktop drawn on it), where its messages go,
// and the version to speak with it; 0 for none, and for our own window.
func (s *source) awareUnder(w xproto.Window) (target, dest xproto.Window, version byte) {
	for depth := 0; w != 0 && depth < 16; depth++ {
		if w == s.self {
			return 0, 0, 0
		}
		if dest, v := s.aware(w); v != 0 {
			return w, dest, v
		}
		p, err := xproto.QueryPointer(s.conn, w).Reply()
		if err != nil {
			return 0, 0, 0
		}
		w = p.Child
	}
	if dest, v := s.aware(s.root); v != 0 {
		return s.root, dest, v
	}
	return 0, 0, 0
}

// aware is the XDND version w speaks (0 for none), and where its messages
// go: to its XdndProxy when that window names itself as proxy too (the
// spec's check against a stale property), which then holds XdndAware.
func (s *source) aware(w xproto.Window) (xproto.Window, byte) {
	dest := w
	if p := s.window(w, s.a.proxy); p != 0 && s.window(p, s.a.proxy) == p {
		dest = p
	}
	r, err := xproto.GetProperty(s.conn, false, dest, s.a.aware, xproto.AtomAtom, 0, 1).Reply()
	if err != nil || r.Format != 32 || len(r.Value) < 4 {
		return 0, 0
	}
	if v := xgb.Get32(r.Value); v >= 3 {
		return dest, byte(min(v, Version))
	}
	return 0, 0
}

// window is the window a WINDOW property of w names, 0 for none.
func (s *source) window(w xproto.Window, prop xproto.Atom) xproto.Window {
	r, err := xproto.GetProperty(s.conn, false, w, prop, xproto.AtomWindow, 0, 1).Reply()
	if err != nil || r.Format != 32 || len(r.Value) < 4 {
		return 0
	}
	return xproto.Window(xgb.Get32(r.Value))
}

func (s *source) leave() {
	if s.target != 0 {
		s.send(s.a.leave, uint32(s.win))
	}
	s.target, s.dest, s.accepted, s.waiting, s.again = 0, 0, false, false, false
}

// send sends the XDND client message typ about the target to its
// destination (the target, or its proxy).
func (s *source) send(typ xproto.Atom, data ...uint32) error {
	d := make([]uint32, 5)
	copy(d, data)
	ev := xproto.ClientMessageEvent{Format: 32, Window: s.target, Type: typ, Data: xproto.ClientMessageDataUnionData32New(d)}
	return xproto.SendEventChecked(s.conn, false, s.dest, xproto.EventMaskNoEvent, string(ev.Bytes())).Check()
}

func (s *source) setReady(r ready) {
	s.files = &r
	pending := s.pending
	s.pending = nil
	for _, req := range pending {
		s.answer(req)
	}
}

func (s *source) handle(ev xgb.Event) {
	switch e := ev.(type) {
	case xproto.ClientMessageEvent:
		if from := xproto.Window(e.Data.Data32[0]); e.Type != s.a.status || s.target == 0 || (from != s.target && from != s.dest) {
			return
		}
		s.accepted = e.Data.Data32[1]&1 != 0
		s.waiting = false
		if s.again && !s.released {
			s.moved()
		}
	case xproto.SelectionRequestEvent:
		s.answer(e)
	case xproto.SelectionClearEvent:
		if e.Owner == s.win && e.Selection == s.a.selection {
			s.lost = true
		}
	}
}

// errLost ends a drag whose XdndSelection another client took: nobody can
// ask it for the files any more.
var errLost = errors.New("another program took over the drag (the XdndSelection): nothing was dropped, drag again")

// answer answers a request for the XdndSelection: the file URIs once the
// files are ready, nothing (property None) if they failed.
func (s *source) answer(r xproto.SelectionRequestEvent) {
	prop := r.Property
	if prop == xproto.AtomNone {
		prop = r.Target // an obsolete requestor (ICCCM 2.2)
	}
	switch {
	case r.Selection != s.a.selection:
		prop = xproto.AtomNone
	case r.Target == s.a.targets:
		list := make([]byte, 12)
		xgb.Put32(list, uint32(s.a.targets))
		xgb.Put32(list[4:], uint32(s.a.timestamp))
		xgb.Put32(list[8:], uint32(s.a.uriList))
		xproto.ChangeProperty(s.conn, xproto.PropModeReplace, r.Requestor, prop, xproto.AtomAtom, 32, 3, list)
	case r.Target == s.a.timestamp: // when the selection was taken (ICCCM 2.6.2)
		t := make([]byte, 4)
		xgb.Put32(t, uint32(s.time))
		xproto.ChangeProperty(s.conn, xproto.PropModeReplace, r.Requestor, prop, xproto.AtomInteger, 32, 1, t)
	case r.Target == s.a.uriList && s.files == nil:
		s.pending = append(s.pending, r) // answered when the download ends
		return
	case r.Target == s.a.uriList && s.files.err == nil:
		list := URIList(s.files.paths)
		xproto.ChangeProperty(s.conn, xproto.PropModeReplace, r.Requestor, prop, s.a.uriList, 8, uint32(len(list)), []byte(list))
		s.handed = true
	default:
		prop = xproto.AtomNone
	}
	n := xproto.SelectionNotifyEvent{Time: r.Time, Requestor: r.Requestor, Selection: r.Selection, Target: r.Target, Property: prop}
	xproto.SendEvent(s.conn, false, r.Requestor, xproto.EventMaskNoEvent, string(n.Bytes()))
}
