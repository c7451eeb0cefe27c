//go:build linux

package xdnd

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"sesame/internal/xvfb"
)

func TestURIList(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{nil, ""},
		{[]string{"/tmp/a.txt"}, "file:///tmp/a.txt\r\n"},
		{[]string{"/tmp/with space/100%.txt", "/tmp/q?#x"}, "file:///tmp/with%20space/100%25.txt\r\nfile:///tmp/q%3F%23x\r\n"},
		{[]string{"/tmp/été\r\nx"}, "file:///tmp/%C3%A9t%C3%A9%0D%0Ax\r\n"},
	} {
		got := URIList(tc.paths)
		if got != tc.want {
			t.Errorf("URIList(%q) = %q, want %q", tc.paths, got, tc.want)
		}
		// What a target decodes is the path again.
		for i, line := range splitCRLF(got) {
			u, err := url.Parse(line)
			if err != nil || u.Path != tc.paths[i] {
				t.Errorf("%q decodes to %q, %v; want %q", line, u.Path, err, tc.paths[i])
			}
		}
	}
}

func splitCRLF(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i+1 < len(s) && s[i:i+2] != "\r\n" {
			i++
		}
		out = append(out, s[:i])
		s = s[min(i+2, len(s)):]
	}
	return out
}

// await is done's result, failing the test if it never comes.
func await(t testing.TB, results <-chan Result) Result {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(2 * finishWait):
		t.Fatal("the drag never ended")
	}
	return Result{}
}

// A drag against a real target window on Xvfb: moved over it, released,
// the files handed over when ready; over nothing, or with files that
// failed, or over our own window, nothing is dropped.
func TestDrag(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp, target, file := scene(t, "a b.txt", "dragged\n")
	proxied(t, disp.Name, target.Window, 50, 300, 100, 100)
	old := xvfb.NewDropTarget(t, disp.Name, 300, 350, 200, 100)
	setAware(t, disp.Name, old.Window, 4)
	failed := errors.New("the download failed")
	for _, tc := range []struct {
		name        string
		x, y        int
		self        uint32
		err         error
		readyLate   bool // Ready comes after the release, as a slow download's does
		wantDropped bool
		into        *xvfb.DropTarget // the target that gets the drop, when not target
		version     int              // the XDND version the drop should be in, when not 5
	}{
		{name: "dropped", x: 400, y: 200, wantDropped: true},
		{name: "files ready after the release", x: 400, y: 200, readyLate: true, wantDropped: true},
		{name: "over nothing", x: 50, y: 50},
		{name: "through an XdndProxy", x: 100, y: 350, wantDropped: true},
		{name: "version 4 target", x: 400, y: 400, wantDropped: true, into: old, version: 4},
		{name: "files failed", x: 400, y: 200, err: failed},
		{name: "over our own window", x: 400, y: 200, self: target.Window},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []<-chan struct{}{target.Over(), old.Over()} { // the drags before
				for len(c) > 0 {
					<-c
				}
			}
			disp.Xdotool(t, "mousemove", "--sync", "5", "5")
			results := make(chan Result, 1)
			d := Start(disp.Name, tc.self, func(r Result) { results <- r })
			d.Move()
			disp.Xdotool(t, "mousemove", "--sync", fmt.Sprint(tc.x), fmt.Sprint(tc.y))
			d.Move()
			var paths []string
			if tc.err == nil {
				paths = []string{file}
			}
			if tc.readyLate {
				// Over the target, released, and still nothing to drop: the
				// drop waits for the files.
				awaitSignal(t, target.Over(), "the drag over the target")
				d.Release()
				select {
				case drop := <-target.Drops():
					t.Fatalf("dropped before the files were ready: %+v", drop)
				default:
				}
				d.Ready(paths, tc.err)
			} else {
				d.Ready(paths, tc.err)
				d.Release()
			}
			r := await(t, results)
			if r.Dropped != tc.wantDropped || (tc.err != nil && !errors.Is(r.Err, tc.err)) || (tc.wantDropped && r.Err != nil) {
				t.Fatalf("result %+v, want dropped %v with error %v", r, tc.wantDropped, tc.err)
			}
			into := target
			if tc.into != nil {
				into = tc.into
			}
			drops := into.Drops()
			select {
			case drop := <-drops:
				if !tc.wantDropped {
					t.Fatalf("the target got a drop: %+v", drop)
				}
				if drop.Err != nil || len(drop.URIs) != 1 || string(drop.Files[file]) != "dragged\n" {
					t.Fatalf("the target got %+v, want %s with its content", drop, file)
				}
				if want := cmp.Or(tc.version, Version); drop.Version != want {
					t.Errorf("the source spoke XDND version %d, want %d", drop.Version, want)
				}
			default:
				if tc.wantDropped {
					t.Fatal("the drag says dropped, the target got nothing")
				}
			}
		})
	}
}

// proxied maps a window at x, y (w×h) whose drops go to proxy (its
// XdndProxy, which names itself too, as the spec has it).
func proxied(t *testing.T, display string, proxy uint32, x, y, w, h int) {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	r, err := xproto.InternAtom(conn, false, uint16(len("XdndProxy")), "XdndProxy").Reply()
	if err != nil {
		t.Fatal(err)
	}
	screen := xproto.Setup(conn).DefaultScreen(conn)
	win, _ := xproto.NewWindowId(conn)
	if err := xproto.CreateWindowChecked(conn, 0, win, screen.Root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOnly, 0, xproto.CwOverrideRedirect, []uint32{1}).Check(); err != nil {
		t.Fatal(err)
	}
	v := make([]byte, 4)
	xgb.Put32(v, proxy)
	for _, on := range []xproto.Window{win, xproto.Window(proxy)} {
		if err := xproto.ChangePropertyChecked(conn, xproto.PropModeReplace, on, r.Atom, xproto.AtomWindow, 32, 1, v).Check(); err != nil {
			t.Fatal(err)
		}
	}
	if err := xproto.MapWindowChecked(conn, win).Check(); err != nil {
		t.Fatal(err)
	}
}

// setAware makes win say it speaks XDND version v.
func setAware(t *testing.T, display string, win uint32, v uint32) {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := xproto.InternAtom(conn, false, uint16(len("XdndAware")), "XdndAware").Reply()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	xgb.Put32(b, v)
	if err := xproto.ChangePropertyChecked(conn, xproto.PropModeReplace, xproto.Window(win), r.Atom, xproto.AtomAtom, 32, 1, b).Check(); err != nil {
		t.Fatal(err)
	}
}

// scene is a display with a drop target at (300, 100), 200×200, and a
// file to drag, named name and holding content.
func scene(t *testing.T, name, content string) (*xvfb.Display, *xvfb.DropTarget, string) {
	t.Helper()
	xvfb.Require(t, "Xvfb", "xdotool")
	disp := xvfb.Start(t, 640, 480)
	target := xvfb.NewDropTarget(t, disp.Name, 300, 100, 200, 200)
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return disp, target, file
}

// At the release, a target slow to answer a position gets no other until
// it has answered (one at a time), and the answer to the position sent
// from where the button went up decides: here the target refuses the
// first and takes the last.
func TestReleaseAwaitsStatus(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp, target, file := scene(t, "slow.txt", "slow\n")
	target.Hold()
	disp.Xdotool(t, "mousemove", "--sync", "400", "200")
	results := make(chan Result, 1)
	d := Start(disp.Name, 0, func(r Result) { results <- r })
	d.Ready([]string{file}, nil)
	d.Move()
	awaitSignal(t, target.Over(), "the first position")
	d.Release()
	target.Answer(t, false)
	awaitSignal(t, target.Positions(), "the position from the release")
	awaitSignal(t, target.Positions(), "the position from the release")
	target.Answer(t, true)
	if r := await(t, results); !r.Dropped || r.Err != nil {
		t.Errorf("result %+v, want dropped (the last position's status accepts)", r)
	}
	if f := target.Faults(); len(f) > 0 {
		t.Errorf("the target saw: %q", f)
	}
}

// awaitSignal waits for a value on c, failing the test if it never comes.
func awaitSignal(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(2 * finishWait):
		t.Fatalf("%s never came", what)
	}
}

// xconn is a connection of the test's own to the display, closed when
// the test ends, and the atoms of names on it.
func xconn(t *testing.T, display string, names ...string) (*xgb.Conn, map[string]xproto.Atom) {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	atom := map[string]xproto.Atom{}
	for _, n := range names {
		r, err := xproto.InternAtom(conn, false, uint16(len(n)), n).Reply()
		if err != nil {
			t.Fatal(err)
		}
		atom[n] = r.Atom
	}
	return conn, atom
}

// A drag whose release never comes (a screen locker broke the grab) ends
// at its bound, and one cancelled ends at once: each leaves the target,
// drops nothing and lets go of the XdndSelection (its connection closed).
func TestDragNeverReleased(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp := xvfb.Start(t, 640, 480)
	target := xvfb.NewDropTarget(t, disp.Name, 300, 100, 200, 200)
	conn, atom := xconn(t, disp.Name, "XdndSelection")
	for _, tc := range []struct {
		name   string
		hold   time.Duration
		cancel bool
	}{
		{name: "bound", hold: 100 * time.Millisecond},
		{name: "cancelled", hold: time.Hour, cancel: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disp.Xdotool(t, "mousemove", "--sync", "5", "5") // --sync waits for a move: from elsewhere
			disp.Xdotool(t, "mousemove", "--sync", "400", "200")
			results := make(chan Result, 1)
			b := defaultBounds()
			b.hold = tc.hold
			d := start(disp.Name, 0, b, func(r Result) { results <- r })
			d.Move()
			awaitSignal(t, target.Over(), "the drag over the target")
			if tc.cancel {
				d.Cancel()
			}
			r := await(t, results)
			if r.Dropped || r.Cancelled != tc.cancel || (!tc.cancel && r.Err == nil) {
				t.Errorf("result %+v, want not dropped, cancelled %v, an error if not", r, tc.cancel)
			}
			d.Ready(nil, nil)
			d.Release() // late: nothing follows
			owner, err := xproto.GetSelectionOwner(conn, atom["XdndSelection"]).Reply()
			if err != nil || owner.Owner != 0 {
				t.Errorf("XdndSelection owned by %d (%v) after the drag ended, want nobody", owner.Owner, err)
			}
			select {
			case drop := <-target.Drops():
				t.Errorf("the target got a drop: %+v", drop)
			default:
			}
		})
	}
}

// A target that takes the file list but never says it finished has the
// files as far as the drag can tell: dropped, unconfirmed, not failed.
func TestDropUnconfirmed(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp, target, file := scene(t, "kept.txt", "kept\n")
	target.Unfinished()
	disp.Xdotool(t, "mousemove", "--sync", "400", "200")
	results := make(chan Result, 1)
	b := defaultBounds()
	b.finish = 100 * time.Millisecond
	d := start(disp.Name, 0, b, func(r Result) { results <- r })
	d.Move()
	d.Ready([]string{file}, nil)
	d.Release()
	if r := await(t, results); !r.Dropped || !r.Unconfirmed || r.Err != nil {
		t.Errorf("result %+v, want dropped and unconfirmed, no error", r)
	}
	select {
	case drop := <-target.Drops():
		if drop.Err != nil || string(drop.Files[file]) != "kept\n" {
			t.Errorf("the target got %+v, want %s", drop, file)
		}
	default:
		t.Error("the target got no drop")
	}
}

// The drag's selection answers TARGETS with TIMESTAMP among them and
// TIMESTAMP with the time it was taken (ICCCM); another client taking it
// ends the drag, nothing dropped.
func TestSelection(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp := xvfb.Start(t, 640, 480)
	target := xvfb.NewDropTarget(t, disp.Name, 300, 100, 200, 200)
	conn, atom := xconn(t, disp.Name, "XdndSelection", "TARGETS", "TIMESTAMP", "text/uri-list", "SESAME_TEST")
	win, _ := xproto.NewWindowId(conn)
	root := xproto.Setup(conn).DefaultScreen(conn).Root
	if err := xproto.CreateWindowChecked(conn, 0, win, root, 0, 0, 1, 1, 0, xproto.WindowClassInputOnly, 0, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	// convert asks the selection for target and returns the reply's
	// 32-bit values.
	convert := func(target string) []uint32 {
		t.Helper()
		xproto.ConvertSelection(conn, win, atom["XdndSelection"], atom[target], atom["SESAME_TEST"], xproto.TimeCurrentTime)
		for {
			ev, err := conn.WaitForEvent()
			if ev == nil {
				t.Fatalf("no answer to %s: %v", target, err)
			}
			if n, ok := ev.(xproto.SelectionNotifyEvent); ok {
				if n.Property == xproto.AtomNone {
					t.Fatalf("%s refused", target)
				}
				r, err := xproto.GetProperty(conn, true, win, n.Property, xproto.GetPropertyTypeAny, 0, 64).Reply()
				if err != nil || r.Format != 32 {
					t.Fatalf("read %s: %v (format %d)", target, err, r.Format)
				}
				var out []uint32
				for i := 0; i+4 <= len(r.Value); i += 4 {
					out = append(out, xgb.Get32(r.Value[i:]))
				}
				return out
			}
		}
	}

	disp.Xdotool(t, "mousemove", "--sync", "400", "200")
	results := make(chan Result, 1)
	d := Start(disp.Name, 0, func(r Result) { results <- r })
	d.Move()
	awaitSignal(t, target.Over(), "the drag over the target")
	targets := convert("TARGETS")
	for _, want := range []string{"TARGETS", "TIMESTAMP", "text/uri-list"} {
		if !containsAtom(targets, atom[want]) {
			t.Errorf("TARGETS %v lacks %s", targets, want)
		}
	}
	if ts := convert("TIMESTAMP"); len(ts) != 1 || ts[0] == 0 {
		t.Errorf("TIMESTAMP = %v, want the time the selection was taken", ts)
	}
	if err := xproto.SetSelectionOwnerChecked(conn, win, atom["XdndSelection"], xproto.TimeCurrentTime).Check(); err != nil {
		t.Fatal(err)
	}
	r := await(t, results)
	if r.Dropped || r.Err == nil {
		t.Errorf("result %+v, want an error: the selection was taken", r)
	}
	d.Release()
}

func containsAtom(list []uint32, a xproto.Atom) bool {
	for _, v := range list {
		if v == uint32(a) {
			return true
		}
	}
	return false
}
