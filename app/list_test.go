package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sesame/profiles"
)

func names(ps []*profiles.Profile) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return strings.Join(out, ",")
}

func TestOrderAndFilter(t *testing.T) {
	at := func(h int) time.Time { return testNow.Add(-time.Duration(h) * time.Hour) }
	ps := []*profiles.Profile{
		{Name: "zeta", Host: "z.example.com", User: "deploy"},
		{Name: "alpha", Host: "a.example.com", Note: "backups"},
		{Name: "web", Host: "192.0.2.1", User: "root", LastUsed: at(5)},
		{Name: "db", Host: "db.example.com", User: "postgres", LastUsed: at(1)},
		{Name: "Beta", Host: "b.example.com"},
	}
	tests := []struct {
		query string
		want  string
	}{
		{"", "db,web,alpha,Beta,zeta"},
		{"example", "db,alpha,Beta,zeta"},
		{"DEPLOY", "zeta"},
		{"backup", "alpha"},
		{"192.0.2", "web"},
		{"root web", "web"},
		{"root db", ""},
		{"  ", "db,web,alpha,Beta,zeta"},
	}
	for _, tt := range tests {
		if got := names(filtered(ps, tt.query)); got != tt.want {
			t.Errorf("filter %q: %s, want %s", tt.query, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{5 * time.Minute, "5 min ago"},
		{3 * time.Hour, "3 h ago"},
		{30 * time.Hour, "yesterday"},
		{4 * 24 * time.Hour, "4 days ago"},
	}
	for _, tt := range tests {
		if got := ago(testNow, testNow.Add(-tt.d)); got != tt.want {
			t.Errorf("ago(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := ago(testNow, time.Time{}); got != "never used" {
		t.Errorf("ago(zero) = %q", got)
	}
}

// The list in the window: recent first, narrowed as the filter is typed,
// the selection following, and the detail pane showing the selection.
func TestListFiltersAsYouType(t *testing.T) {
	var ps []*profiles.Profile
	for i, n := range []string{"web", "db", "backup", "mail"} {
		p := profile(t, n, n+".example.com", "7000,8000", "")
		if n != "mail" {
			p.LastUsed = testNow.Add(-time.Duration(i+1) * time.Hour)
		}
		ps = append(ps, p)
	}
	h := newHarness(t, ps...)
	l := h.ui.list
	if got := names(l.shown); got != "web,db,backup,mail" {
		t.Fatalf("list %s, want the most recent first", got)
	}
	if l.selected().Name != "web" || h.ui.detail.title.Text != "web" {
		t.Fatalf("selected %v, detail %q: want the first profile", l.selected(), h.ui.detail.title.Text)
	}
	steps := []struct {
		typed, shown, selected string
	}{
		{"b", "web,db,backup", "web"}, // web.example.com has a b
		{"a", "backup", "backup"},
		{"z", "", ""},
	}
	for _, st := range steps {
		test.Type(l.filter, st.typed)
		if got := names(l.shown); got != st.shown {
			t.Errorf("after typing %q: list %s, want %s", l.filter.Text, got, st.shown)
		}
		sel := ""
		if p := l.selected(); p != nil {
			sel = p.Name
		}
		if sel != st.selected {
			t.Errorf("after typing %q: selected %q, want %q", l.filter.Text, sel, st.selected)
		}
	}
	if h.ui.detail.box.Visible() {
		t.Error("the detail pane shows a profile while none is listed")
	}
	l.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if got := names(l.shown); got != "web,db,backup,mail" {
		t.Errorf("Escape left the list %s", got)
	}
	l.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	l.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	if got := l.selected().Name; got != "backup" || h.ui.detail.title.Text != "backup" {
		t.Errorf("two Downs selected %s (detail %q), want backup", got, h.ui.detail.title.Text)
	}
	if !strings.Contains(h.ui.detail.lines.Text, "Last used 3 h ago") {
		t.Errorf("detail says %q", h.ui.detail.lines.Text)
	}
}

func TestDescribeKeepsSecretsOut(t *testing.T) {
	p := profile(t, "web", "web.example.com", "7111,8222:udp", "9333")
	p.Port, p.Delay, p.Wait, p.IdentityFile = 2222, 200*time.Millisecond, time.Second, "~/.ssh/id_web"
	got := strings.Join(describe(p, testNow), "\n")
	for _, want := range []string{"root@web.example.com:2222", "Key ~/.ssh/id_web", "Knocks 200ms apart, waits 1s before connecting", "Never used"} {
		if !strings.Contains(got, want) {
			t.Errorf("describe: %q lacks %q", got, want)
		}
	}
	for _, port := range []string{"7111", "8222", "9333"} {
		if strings.Contains(got, port) {
			t.Errorf("describe shows the knock port %s: %q", port, got)
		}
	}
}

// The filter box rests its blinking cursor (which redraws the window on
// every frame of its fade) when no key came for a while, yet keeps the
// window's focus: the next key still filters, and wakes it.
func TestFilterRestsAndWakes(t *testing.T) {
	h := newHarness(t, profile(t, "web", "web.example.com", "7000", ""), profile(t, "db", "db.example.com", "7000", ""))
	c := h.ui.win.Canvas()
	f := h.ui.list.filter
	f.restAfter = 10 * time.Millisecond
	c.Unfocus()
	c.Focus(f)
	h.until("the filter box to rest", func() bool { return f.resting })
	if c.Focused() != f {
		t.Fatalf("the resting filter box lost the window's focus to %T", c.Focused())
	}
	f.restAfter = time.Hour // no rest while the test looks
	// As the driver delivers keys: to the object with the window's focus.
	for _, r := range "db" {
		c.Focused().TypedRune(r)
	}
	if f.resting {
		t.Error("a key did not wake the filter box")
	}
	if got := names(h.ui.list.shown); got != "db" {
		t.Errorf("typed db into the resting filter box: the list shows %q", got)
	}
}
