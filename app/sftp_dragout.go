package app

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sesame/app/internal/dragstage"
	"sesame/app/internal/sftpcopy"
)

// desktopDrag is a drag of files out of the window onto another program
// (xdnd.Drag on X11). Its methods never block.
type desktopDrag interface {
	Move()                           // the pointer moved
	Ready(paths []string, err error) // the local files to drop, or why there are none
	Release()                        // the button went up
	Cancel()                         // end it before the release: nothing is dropped
}

// dragEnd is how a drag out ended.
type dragEnd struct {
	dropped     bool  // a program took the files
	unconfirmed bool  // with dropped: it never said it finished with them
	cancelled   bool  // Cancel ended it
	err         error // why it failed
}

// dragStarter starts a drag out of the window; done gets how it ended,
// on a goroutine of the drag's. Nil where the desktop offers none the
// app can drive.
type dragStarter func(done func(dragEnd)) desktopDrag

// dragOut is the pane's state for a press-and-drag on one of its
// entries: once the pointer leaves the window, the entry is downloaded
// into a private folder and dropped where the button goes up.
type dragOut struct {
	starter dragStarter // nil where there is no drag source
	// A drag started and not ended: after the release, its target may
	// still be taking the files. Its source owns the one XdndSelection
	// until then, so no other drag starts meanwhile.
	inFlight bool
	gesture  bool        // the pointer left the window in this gesture: decided once
	d        desktopDrag // the drag under way, nil when none
	// The entry the gesture began on and its folder, taken at its first
	// move: the listing may change before the pointer leaves (a cd, the
	// refresh after a transfer), and the row's id with it.
	picked bool
	entry  *sftpcopy.Entry // nil when the row had none
	dir    string
}

// rowPressed starts a gesture on a row. A drag still under way is stale:
// its button went up where the window never heard (a screen locker or
// the window manager took the pointer), so it is cancelled.
func (f *filesPane) rowPressed() {
	if f.out.d != nil {
		f.out.d.Cancel()
	}
	f.out.reset()
}

// reset forgets the gesture, keeping what outlives it.
func (o *dragOut) reset() { *o = dragOut{starter: o.starter, inFlight: o.inFlight} }

// rowDragged follows a drag begun on the entry id.
func (f *filesPane) rowDragged(id int, ev *fyne.DragEvent) {
	o := &f.out
	if o.d != nil {
		o.d.Move()
		return
	}
	if !o.picked {
		o.picked, o.dir = true, f.dir
		if id >= 0 && id < len(f.items) {
			e := f.items[id]
			o.entry = &e
		}
	}
	size := f.u.win.Canvas().Size()
	p := ev.AbsolutePosition
	if o.gesture || (p.X >= 0 && p.Y >= 0 && p.X < size.Width && p.Y < size.Height) {
		return
	}
	o.gesture = true
	if o.starter == nil || o.entry == nil {
		return // no drag source here: nothing happens, as before there was one
	}
	f.startDragOut(o.dir, *o.entry)
}

// rowDragEnded ends the gesture: the files go where the button went up.
func (f *filesPane) rowDragEnded() {
	if f.out.d != nil {
		f.out.d.Release()
	}
	f.out.reset()
}

// startDragOut starts the drag of e (in the server's folder dir) and its download into a fresh staging
// folder, with the pane's usual progress; the drop waits for it.
func (f *filesPane) startDragOut(dir string, e sftpcopy.Entry) {
	name := e.Name
	if f.cancel != nil {
		f.showResult(fmt.Sprintf("Not dragged out: a transfer is under way. Wait for it to end (or Cancel it), then drag %s again.", name), widget.WarningImportance)
		return
	}
	if f.out.inFlight {
		f.showResult(fmt.Sprintf("Not dragged out: the program the last drag went to has not said it took the files (it may take up to a minute). Drag %s again once the pane says how that drag ended.", name), widget.WarningImportance)
		return
	}
	// The name came from the server: refuse it before it reaches a local
	// path, as Download does.
	if err := sftpcopy.CheckName(name); err != nil {
		f.showResult(fmt.Sprintf("Not dragged out: %v", err), widget.DangerImportance)
		return
	}
	root, err := dragstage.Root()
	if err != nil {
		f.showResult(fmt.Sprintf("Not dragged out: %v", err), widget.DangerImportance)
		return
	}
	src := path.Join(dir, name)
	job := &outJob{name: name}
	stop := func() {}
	var d desktopDrag
	d = f.out.starter(func(end dragEnd) {
		f.u.do(func() {
			if f.out.d == d { // ended before the release, by its bound: the rest of the gesture starts none
				f.out.reset()
				f.out.gesture, f.out.picked = true, true
			}
			f.out.inFlight = false
			f.droppedOut(job, stop, end)
		})
	})
	f.out.d, f.out.inFlight = d, true
	d.Move()
	f.transfer("Downloading", name, func(ctx context.Context, cp sftpcopy.Copier) error {
		stage, err := dragstage.Open(root)
		if err != nil {
			return err
		}
		defer stage.Close()
		// Old copies left behind block no drag: the pane says so at the end.
		job.cleanErr = stage.Clean(time.Now())
		dir, err := stage.New()
		if err != nil {
			return err
		}
		job.staged = filepath.Join(dir, name)
		return cp.Download(ctx, src, dir)
	}, func(err error) {
		job.done, job.err = true, err
		if err == nil {
			d.Ready([]string{job.staged}, nil)
		} else {
			d.Ready(nil, fmt.Errorf("the download of %s failed: %w", name, err))
			if job.after == "" && !errors.Is(err, context.Canceled) {
				f.showResult(job.noted(fmt.Sprintf("%s was not dropped: %v", name, err)), widget.DangerImportance)
			}
		}
		if job.after != "" { // the drag ended first, and said how
			f.showResult(job.noted(job.after), job.imp)
		}
	})
	stop = f.cancel
}

// outJob is a drag out's download, seen from the UI goroutine.
type outJob struct {
	name, staged string
	cleanErr     error // removing older drags' copies failed (set before the download)
	done         bool  // the download ended
	err          error // how
	// after is what the pane says when the download ends, the drag having
	// ended first (released over nothing, say); imp is its importance.
	after string
	imp   widget.Importance
}

// noted is msg, with the failure to remove older copies after it.
func (j *outJob) noted(msg string) string {
	if j.cleanErr == nil {
		return msg
	}
	return fmt.Sprintf("%s Older copies were not all removed: %v", msg, j.cleanErr)
}

// droppedOut says how a drag out ended. A failed download has said so
// already, in the pane and a dialog. Released where nothing takes it,
// the download still under way is cancelled: nobody waits for it.
func (f *filesPane) droppedOut(job *outJob, cancel func(), end dragEnd) {
	var msg string
	imp := widget.WarningImportance
	switch err := end.err; {
	case job.err != nil:
		return
	case end.cancelled:
		msg = fmt.Sprintf("%s was not dropped: the drag was cancelled.", job.name)
	case end.dropped && end.unconfirmed:
		msg = fmt.Sprintf("Dragged %s out, but the program did not confirm it finished copying it: check the copy there (the files are kept in %s for a day).", job.name, filepath.Dir(job.staged))
	case end.dropped:
		msg, imp = fmt.Sprintf("Dragged %s out (a copy is kept in %s for a day).", job.name, filepath.Dir(job.staged)), widget.SuccessImportance
		f.u.setStatus(fmt.Sprintf("%s: dragged %s out", f.s.name, job.name))
	case err != nil:
		msg, imp = fmt.Sprintf("Dragging %s out failed: %v", job.name, err), widget.DangerImportance
	default:
		msg = fmt.Sprintf("%s was not dropped: release it over a window that takes files, such as a file manager.", job.name)
	}
	if job.done {
		f.showResult(job.noted(msg), imp)
		return
	}
	job.after, job.imp = msg, imp
	cancel()
}
