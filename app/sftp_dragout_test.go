//go:build linux

package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sesame/app/internal/sftpcopy"
	"sesame/internal/xvfb"
)

// The pane's side of drags out, with the real XDND source on Xvfb over a
// drop target slow to answer (its statuses held), and no server (each
// download fails at once, naming its entry): the entry dragged is the one
// pressed though the listing changed before the pointer left; no second
// drag starts while the first one's target has not answered; a drag whose
// release never came is cancelled by the next press.
func TestDragOutGestures(t *testing.T) {
	xvfb.Require(t, "Xvfb", "xdotool")
	disp := xvfb.Start(t, 640, 480)
	target := xvfb.NewDropTarget(t, disp.Name, 300, 100, 200, 200)
	target.Hold()
	disp.Xdotool(t, "mousemove", "--sync", "400", "200")

	h := newHarness(t)
	f := newFilesPane(&session{u: h.ui, name: "lab"})
	f.out.starter = xdndStarter(disp.Name, 0)
	f.dir, f.items = "/srv", []sftpcopy.Entry{{Name: "a.txt"}, {Name: "b.txt"}}
	at := func(x, y float32) *fyne.DragEvent {
		return &fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: fyne.NewPos(x, y)}}
	}
	inside, outside := at(10, 10), at(-5, -5)
	await := func(c <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(time.Minute):
			t.Fatalf("%s never came", what)
		}
	}

	// Pressed on a.txt; the listing changes (a refresh) before the pointer
	// leaves: a.txt is still what comes down.
	f.rowPressed()
	f.rowDragged(0, inside)
	f.items = []sftpcopy.Entry{{Name: "0new.txt"}, {Name: "a.txt"}, {Name: "b.txt"}}
	f.rowDragged(0, outside)
	h.until("the pane saying a.txt was not dropped", func() bool {
		return strings.HasPrefix(f.result.Text, "a.txt was not dropped")
	})
	await(target.Over(), "the drag over the target")
	await(target.Positions(), "the first position")
	f.rowDragEnded() // released over the target, which has not answered yet

	// A second drag meanwhile is refused, and says why.
	f.rowPressed()
	f.rowDragged(2, inside)
	f.rowDragged(2, outside)
	h.settle()
	if !strings.HasPrefix(f.result.Text, "Not dragged out: the program the last drag went to") {
		t.Errorf("a drag while the last one is in flight: the pane says %q", f.result.Text)
	}
	target.Answer(t, true)
	await(target.Positions(), "the position at the release")
	target.Answer(t, true)
	h.until("the first drag to end", func() bool { return !f.out.inFlight })

	// Pressed and dragged out, and the release never comes: the next
	// press cancels it, and the drag ends.
	f.rowPressed()
	f.rowDragged(2, inside)
	f.rowDragged(2, outside)
	h.until("the pane saying b.txt was not dropped", func() bool {
		return strings.HasPrefix(f.result.Text, "b.txt was not dropped")
	})
	if !f.out.inFlight || f.out.d == nil {
		t.Fatal("no drag of b.txt under way")
	}
	f.rowPressed()
	h.until("the stale drag to end", func() bool { return !f.out.inFlight && f.out.d == nil })
}
