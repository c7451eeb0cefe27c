package winend

import (
	"testing"
	"time"
)

// fakeEnder records Begin calls; its doors close when the test says so.
type fakeEnder struct {
	begun  chan struct{}
	closed chan struct{}
}

func newFakeEnder() *fakeEnder {
	return &fakeEnder{begun: make(chan struct{}, 10), closed: make(chan struct{})}
}

func (f *fakeEnder) Begin()                  { f.begun <- struct{}{} }
func (f *fakeEnder) Closed() <-chan struct{} { return f.closed }

func TestFromCtrlType(t *testing.T) {
	for _, tc := range []struct {
		ctrl uint32
		want Event
		ok   bool
	}{
		{0, CtrlC, true}, {1, CtrlBreak, true}, {2, CtrlClose, true},
		{5, CtrlLogoff, true}, {6, CtrlShutdown, true},
		{3, 0, false}, {4, 0, false}, {7, 0, false},
	} {
		got, ok := FromCtrlType(tc.ctrl)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("FromCtrlType(%d) = %v, %v; want %v, %v", tc.ctrl, got, ok, tc.want, tc.ok)
		}
	}
}

// TestHandleBeginsAndWaits: every event but WM_QUERYENDSESSION begins the
// close; those after which Windows kills the program hold the handler
// until the doors are closed.
func TestHandleBeginsAndWaits(t *testing.T) {
	for _, tc := range []struct {
		e     Event
		begin bool
		waits bool
	}{
		{CtrlC, true, false},
		{CtrlBreak, true, false},
		{CtrlClose, true, true},
		{CtrlLogoff, true, true},
		{CtrlShutdown, true, true},
		{QueryEndSession, false, false},
		{EndSession, true, true},
	} {
		t.Run(tc.e.String(), func(t *testing.T) {
			end := newFakeEnder()
			never := make(chan time.Time)
			var asked time.Duration
			h := Handler{End: end, After: func(d time.Duration) <-chan time.Time { asked = d; return never }}
			ret := make(chan bool, 1)
			go func() { ret <- h.Handle(tc.e) }()
			if tc.waits {
				<-end.begun
				select {
				case <-ret:
					t.Fatal("the handler returned before the doors were closed: Windows would end the program first")
				case <-time.After(50 * time.Millisecond):
				}
				close(end.closed)
			}
			if !<-ret {
				t.Fatal("Handle returned false; Windows would run the next handler (the default ends the program at once)")
			}
			if !tc.waits {
				select {
				case <-end.begun:
					if !tc.begin {
						t.Fatal("began the close on an event that does not end the program")
					}
				default:
					if tc.begin {
						t.Fatal("did not begin the close")
					}
				}
			}
			if tc.waits && (asked <= 0 || asked >= 5*time.Second) {
				t.Fatalf("waited up to %v; want less than the 5 s Windows allows", asked)
			}
		})
	}
}

// TestHandleGivesUpInTime: doors that never close do not hold the handler
// past the budget (Windows would kill the program anyway, mid-handler).
func TestHandleGivesUpInTime(t *testing.T) {
	end := newFakeEnder()
	fire := make(chan time.Time, 1)
	h := Handler{End: end, After: func(time.Duration) <-chan time.Time { return fire }}
	ret := make(chan bool, 1)
	go func() { ret <- h.Handle(CtrlClose) }()
	<-end.begun
	fire <- time.Time{}
	if !<-ret {
		t.Fatal("Handle returned false")
	}
}

func TestFuncRunsOnce(t *testing.T) {
	calls := make(chan struct{}, 3)
	release := make(chan struct{})
	f := NewFunc(func() { calls <- struct{}{}; <-release })
	f.Begin()
	f.Begin()
	select {
	case <-f.Closed():
		t.Fatal("closed before the function returned")
	default:
	}
	close(release)
	<-f.Closed()
	if len(calls) != 1 {
		t.Fatalf("the function ran %d times, want once", len(calls))
	}
}
