package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

func TestKeepOrder(t *testing.T) {
	ps := func(names ...string) []*profiles.Profile {
		var out []*profiles.Profile
		for _, n := range names {
			out = append(out, &profiles.Profile{Name: n})
		}
		return out
	}
	names := func(ps []*profiles.Profile) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name       string
		prev, next []*profiles.Profile
		want       string
	}{
		{"used one goes to the top of next, stays in place", ps("a", "b", "c"), ps("c", "a", "b"), "a b c"},
		{"a new one comes last", ps("a", "b"), ps("new", "b", "a"), "a b new"},
		{"a deleted one goes", ps("a", "b", "c"), ps("c", "a"), "a c"},
		{"first show takes next's order", nil, ps("c", "a"), "c a"},
	} {
		if got := names(keepOrder(tc.prev, tc.next)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The details say whether the door is open and for how long, in words
// that stand out: a running session's door, a door knocked open, shut, or
// a knock that failed. The Delete button looks destructive.
func TestDoorLine(t *testing.T) {
	bare := profile(t, "bare", "bare.example.com", "7000", "")
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"), bare)
	h.ui.list.selectName("web")
	h.settle()
	door := h.ui.detail.door
	if door.Visible() {
		t.Errorf("before any knock the details say %q", door.Text)
	}
	if b := h.button("Delete"); b.Importance != widget.DangerImportance {
		t.Error("the Delete button does not look destructive")
	}

	h.tap("Knock open")
	h.until("the open knock's result", func() bool {
		return strings.HasPrefix(door.Text, "● Door knocked open 0 s ago: open until Knock close")
	})
	if door.Importance != widget.WarningImportance || !door.Visible() {
		t.Errorf("an open door is shown with importance %v, visible %v", door.Importance, door.Visible())
	}
	// A second at a time, as the ticker may not sleep on the clock yet
	// (other timers wait on it too).
	h.until("the door's age to tick past a minute", func() bool {
		h.clock.Advance(time.Second)
		return strings.HasPrefix(door.Text, "● Door knocked open 1 min ")
	})
	h.tap("Knock close")
	h.until("the close knock's result", func() bool { return door.Text == "✓ Door knocked shut 0 s ago" })

	h.ui.list.selectName("bare")
	h.settle()
	h.tap("Knock close")
	h.until("the failed knock in the details", func() bool { return strings.HasPrefix(door.Text, "✗ The close knock failed: ") })
	if door.Importance != widget.DangerImportance {
		t.Errorf("a failed knock is shown with importance %v", door.Importance)
	}
	h.until("the dialog too", func() bool { return h.overlay() != nil })

	// A session's door is open while it runs; the window's title names it.
	h.ui.list.selectName("web")
	h.settle()
	h.ui.connect("web")
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	if !strings.HasPrefix(door.Text, "● Door open for 0 s: a session runs") || door.Importance != widget.SuccessImportance {
		t.Errorf("with a session the details say %q (importance %v)", door.Text, door.Importance)
	}
	if got := h.ui.win.Title(); got != "web — Sesame" {
		t.Errorf("the window's title is %q, want the session's name in it", got)
	}
	s.disconnect()
	h.launcher.release("close")
	h.until("the tab to go", func() bool { return h.tab("web") == nil })
	if got := h.ui.win.Title(); got != "Sesame" {
		t.Errorf("with no session the title is %q", got)
	}
	if door.Text != "✓ Door knocked shut 0 s ago" {
		t.Errorf("after the session the details say %q", door.Text)
	}
}

// Using a profile moves it to the top of the most-recently-used order,
// but not while the list is shown: rows stay where the pointer is until
// the filter changes.
func TestUseDoesNotMoveRows(t *testing.T) {
	a, b := profile(t, "alpha", "a.example.com", "7000", "7001"), profile(t, "bravo", "b.example.com", "7000", "7001")
	a.LastUsed = testNow.Add(-time.Hour)
	b.LastUsed = testNow.Add(-2 * time.Hour)
	h := newHarness(t, a, b)
	order := func() string {
		var out []string
		for _, p := range h.ui.list.shown {
			out = append(out, p.Name)
		}
		return strings.Join(out, " ")
	}
	if got := order(); got != "alpha bravo" {
		t.Fatalf("the list starts %q", got)
	}
	h.ui.list.selectName("bravo")
	h.tap("Knock open")
	h.until("bravo used", func() bool {
		for _, p := range h.ui.all {
			if p.Name == "bravo" && p.LastUsed.Equal(testNow) {
				return true
			}
		}
		return false
	})
	h.settle()
	if got := order(); got != "alpha bravo" {
		t.Errorf("using bravo moved the rows: %q", got)
	}
	h.ui.list.filter.SetText("o")
	if got := order(); got != "bravo alpha" {
		t.Errorf("a new filter shows %q, want the most recently used first", got)
	}
}

// Enter on a profile whose session is open shows that session instead of
// opening a second one; the Connect button still opens a second.
func TestEnterDoesNotOpenASecondSession(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", "7001"))
	h.ui.list.selectName("web")
	enter := &fyne.KeyEvent{Name: fyne.KeyReturn}
	h.ui.list.filter.TypedKey(enter)
	s := h.session("web")
	h.until("the terminal", func() bool { return strings.Contains(h.screen(s), "welcome") })
	h.ui.win.Canvas().Focus(h.ui.list.filter)
	h.ui.list.filter.TypedKey(enter)
	h.ui.list.list.TypedKey(enter)
	h.settle()
	if n := len(h.ui.sessions); n != 1 {
		t.Fatalf("Enter again opened %d sessions, want the one", n)
	}
	if h.ui.win.Canvas().Focused() != s.term {
		t.Error("Enter on an open profile did not bring its terminal up")
	}
	h.tap("Connect")
	if n := len(h.ui.sessions); n != 2 {
		t.Errorf("Connect opened %d sessions in all, want a second", n)
	}
}

// An SPA door is closed by the server's timeout, not a knock: the details
// say so after Knock open, and Knock close (which sends nothing) is no
// failure.
func TestDoorLineSPA(t *testing.T) {
	h := newHarness(t, spaProfile("gate"))
	h.ui.list.selectName("gate")
	h.settle()
	door := h.ui.detail.door
	h.tap("Knock open")
	want := "● SPA packet sent 0 s ago: the door closes by itself after 30 s (SPA has no close packet)"
	h.until("the packet's result", func() bool { return door.Text == want })
	h.tap("Knock close")
	h.until("the dialog", func() bool { return h.overlay() != nil })
	if door.Text != want || door.Importance == widget.DangerImportance {
		t.Errorf("after Knock close the details say %q (importance %v)", door.Text, door.Importance)
	}
}
