// Package winend decides what Sesame does when Windows ends it: the
// console's Ctrl+C, Ctrl+Break and close button, logoff and shutdown
// (SetConsoleCtrlHandler's events), and the session end a window is told
// of (WM_QUERYENDSESSION, WM_ENDSESSION). Each of them must let the close
// knock go out. The decisions are plain Go, tested on every platform; the
// Windows files of package main only translate Windows' callbacks into
// Events.
package winend

import (
	"sync"
	"time"
)

// Event is one of Windows' ways of ending a program.
type Event int

// The events, by the Windows name they stand for.
const (
	CtrlC           Event = iota // CTRL_C_EVENT
	CtrlBreak                    // CTRL_BREAK_EVENT
	CtrlClose                    // CTRL_CLOSE_EVENT: the console window's X
	CtrlLogoff                   // CTRL_LOGOFF_EVENT
	CtrlShutdown                 // CTRL_SHUTDOWN_EVENT
	QueryEndSession              // WM_QUERYENDSESSION: may the session end?
	EndSession                   // WM_ENDSESSION with wParam TRUE: it ends
)

var names = [...]string{"CTRL_C_EVENT", "CTRL_BREAK_EVENT", "CTRL_CLOSE_EVENT", "CTRL_LOGOFF_EVENT",
	"CTRL_SHUTDOWN_EVENT", "WM_QUERYENDSESSION", "WM_ENDSESSION"}

func (e Event) String() string {
	if e < 0 || int(e) >= len(names) {
		return "unknown event"
	}
	return names[e]
}

// FromCtrlType maps SetConsoleCtrlHandler's dwCtrlType to an Event; false
// for a type Sesame leaves to the next handler.
func FromCtrlType(t uint32) (Event, bool) {
	switch t {
	case 0:
		return CtrlC, true
	case 1:
		return CtrlBreak, true
	case 2:
		return CtrlClose, true
	case 5:
		return CtrlLogoff, true
	case 6:
		return CtrlShutdown, true
	}
	return 0, false
}

// Budget is how long Windows lets a program run after the event before it
// ends the program: 5 s after CTRL_CLOSE_EVENT, and about as long after
// logoff, shutdown and WM_ENDSESSION before it kills it or says the
// program is blocking the shutdown. The handler waits a little less, so
// that it returns to Windows rather than being cut off. Zero: Windows
// does not end the program; the program ends itself.
func Budget(e Event) time.Duration {
	switch e {
	case CtrlClose, CtrlLogoff, CtrlShutdown, EndSession:
		return 4500 * time.Millisecond
	}
	return 0
}

// Ender is the program's side: start closing every open door and ending
// the program, and say when the doors are closed.
type Ender interface {
	// Begin starts closing the doors and ending the program, and returns
	// at once. It may be called more than once.
	Begin()
	// Closed is closed when every door the program opened is closed.
	Closed() <-chan struct{}
}

// Handler answers Windows' events for an Ender.
type Handler struct {
	End Ender
	// After is time.After, or a test's clock.
	After func(time.Duration) <-chan time.Time
}

// Handle answers one event, as SetConsoleCtrlHandler's routine and the
// window procedure do: true means handled (TRUE to Windows; for
// WM_QUERYENDSESSION, the session may end). Ctrl+C and Ctrl+Break begin
// the end and return at once, since the program goes on until it ends
// itself. After the others Windows ends the program as soon as the
// handler returns, so Handle waits until the doors are closed, or the
// time Windows allows is nearly up. WM_QUERYENDSESSION begins nothing:
// another program may still cancel the shutdown.
func (h Handler) Handle(e Event) bool {
	if e == QueryEndSession {
		return true
	}
	h.End.Begin()
	budget := Budget(e)
	if budget == 0 {
		return true
	}
	after := h.After
	if after == nil {
		after = time.After
	}
	select {
	case <-h.End.Closed():
	case <-after(budget):
	}
	return true
}

// Func is an Ender made of a function that closes the doors and returns
// when they are closed (the app's CloseDoors); Begin runs it once, on a
// goroutine of its own.
type Func struct {
	once   sync.Once
	closed chan struct{}
	fn     func()
}

// NewFunc returns the Ender that runs fn.
func NewFunc(fn func()) *Func { return &Func{closed: make(chan struct{}), fn: fn} }

// Begin runs the function once.
func (f *Func) Begin() {
	f.once.Do(func() {
		go func() {
			defer close(f.closed)
			f.fn()
		}()
	})
}

// Closed is closed when the function has returned.
func (f *Func) Closed() <-chan struct{} { return f.closed }

// Cancel is the command line's Ender: Begin cancels the command's
// context, which sends the close knock, and Done is closed by the program
// when the command has returned.
type Cancel struct {
	Cancel func()
	Done   <-chan struct{}
}

// Begin cancels the command.
func (c Cancel) Begin() { c.Cancel() }

// Closed is Done.
func (c Cancel) Closed() <-chan struct{} { return c.Done }
