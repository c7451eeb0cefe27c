package app

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

// ordered returns the profiles most recently used first; never-used ones
// follow in name order.
func ordered(ps []*profiles.Profile) []*profiles.Profile {
	out := append([]*profiles.Profile(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].LastUsed, out[j].LastUsed
		if !a.Equal(b) {
			return a.After(b)
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// matches reports whether every word of the query appears, ignoring case,
// in the profile's name, host, user or note.
func matches(p *profiles.Profile, query string) bool {
	hay := strings.ToLower(strings.Join([]string{p.Name, p.Host, p.User, p.Note}, "\x00"))
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// filtered is ordered(ps) narrowed to the profiles matching query.
func filtered(ps []*profiles.Profile, query string) []*profiles.Profile {
	var out []*profiles.Profile
	for _, p := range ordered(ps) {
		if matches(p, query) {
			out = append(out, p)
		}
	}
	return out
}

// ago says how long ago t was, in the words a list shows.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never used"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
	return t.Local().Format("2 Jan 2006")
}

// address is how a profile's login reads: user@host:port, with the parts it
// leaves to ~/.ssh/config left out.
func address(p *profiles.Profile) string {
	s := p.Host
	if p.User != "" {
		s = p.User + "@" + s
	}
	if p.Port != 0 && p.Port != 22 {
		s += fmt.Sprintf(":%d", p.Port)
	}
	return s
}

// profileList is the filter box with the + and ⋮ buttons beside it, and
// the list under them.
type profileList struct {
	u       *UI
	filter  *filterEntry
	list    *keyList
	shown   []*profiles.Profile
	current string // the selected profile's name
	// newBtn and menuBtn are the + (new profile) and ⋮ (new, import,
	// export) buttons.
	newBtn, menuBtn *widget.Button
	// onSelect is told the selected profile (nil when none).
	onSelect func(*profiles.Profile)
}

func newProfileList(u *UI) *profileList {
	l := &profileList{u: u}
	l.filter = newFilterEntry(u)
	l.filter.SetPlaceHolder("Filter profiles")
	l.filter.OnChanged = func(string) { l.refilter() }
	l.filter.onMove = l.move
	l.list = newKeyList(
		func() int { return len(l.shown) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("profile name")
			name.TextStyle.Bold = true
			name.Truncation = fyne.TextTruncateEllipsis
			// Smaller rather than dimmer: dim text is lost on the selection.
			addr := widget.NewLabel("user@host")
			addr.SizeName = theme.SizeNameCaptionText
			addr.Truncation = fyne.TextTruncateEllipsis
			when := widget.NewLabel("never used")
			when.SizeName = theme.SizeNameCaptionText
			// Name and address sit close together, as one entry.
			lines := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), name, addr)
			return container.NewBorder(nil, nil, nil, when, lines)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(l.shown) {
				return
			}
			p := l.shown[id]
			row := o.(*fyne.Container)
			texts := row.Objects[0].(*fyne.Container).Objects
			texts[0].(*widget.Label).SetText(p.Name)
			texts[1].(*widget.Label).SetText(address(p))
			row.Objects[1].(*widget.Label).SetText(ago(u.deps.Clock.Now(), p.LastUsed))
		})
	l.list.OnSelected = func(id widget.ListItemID) {
		if id < len(l.shown) {
			l.current = l.shown[id].Name
			l.notify()
		}
	}
	l.list.onEnter = u.enterSelected
	l.newBtn = widget.NewButtonWithIcon("", theme.ContentAddIcon(), u.newProfile)
	l.menuBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), l.showMenu)
	return l
}

// bar is the filter box with the + and ⋮ buttons beside it.
func (l *profileList) bar() fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, container.NewHBox(l.newBtn, l.menuBtn), l.filter)
}

// showMenu opens the ⋮ menu under its button.
func (l *profileList) showMenu() {
	u := l.u
	menu := fyne.NewMenu("",
		fyne.NewMenuItem("New profile…", u.newProfile),
		fyne.NewMenuItem("Import profiles…", u.importProfiles),
		fyne.NewMenuItem("Export profiles…", u.exportProfiles),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Terminal font…", u.chooseTermFont),
		fyne.NewMenuItem("Bundled terminal font", func() { u.setTermFont("") }),
	)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(l.menuBtn)
	widget.ShowPopUpMenuAtPosition(menu, u.win.Canvas(), pos.Add(fyne.NewPos(0, l.menuBtn.Size().Height)))
}

// selected is the selected profile, or nil.
func (l *profileList) selected() *profiles.Profile {
	for _, p := range l.shown {
		if p.Name == l.current {
			return p
		}
	}
	return nil
}

// refilter shows the profiles matching the filter, keeping the selection
// when it is still shown and selecting the first one otherwise.
func (l *profileList) refilter() { l.showRows(filtered(l.u.all, l.filter.Text)) }

// refresh shows the profiles again (one was used, saved, added), keeping
// the rows where they were (keepOrder): the most-recently-used order does
// not move a row under the pointer.
func (l *profileList) refresh() { l.showRows(keepOrder(l.shown, filtered(l.u.all, l.filter.Text))) }

// showRows shows ps, keeping the selection when it is still shown and
// selecting the first one otherwise.
func (l *profileList) showRows(ps []*profiles.Profile) {
	l.shown = ps
	l.list.Refresh()
	idx := -1
	for i, p := range l.shown {
		if strings.EqualFold(p.Name, l.current) {
			idx = i
		}
	}
	if idx < 0 && len(l.shown) > 0 {
		idx = 0
	}
	if idx < 0 {
		l.current = ""
		l.list.UnselectAll()
		l.notify()
		return
	}
	l.current = l.shown[idx].Name
	l.list.Select(idx)
	l.list.ScrollTo(idx)
	l.notify()
}

func (l *profileList) notify() {
	if l.onSelect != nil {
		l.onSelect(l.selected())
	}
}

// selectName selects the named profile (after a save), clearing a filter
// that hides it.
func (l *profileList) selectName(name string) {
	l.current = name
	for _, p := range filtered(l.u.all, l.filter.Text) {
		if p.Name == name {
			l.refilter()
			return
		}
	}
	l.filter.SetText("") // refilters
}

// move moves the selection by delta rows (arrow keys in the filter box).
func (l *profileList) move(delta int) {
	if len(l.shown) == 0 {
		return
	}
	i := 0
	for j, p := range l.shown {
		if p.Name == l.current {
			i = j + delta
		}
	}
	i = max(0, min(i, len(l.shown)-1))
	l.list.Select(i)
	l.list.ScrollTo(i)
}

// filterRestAfter is how long the filter box's cursor blinks after the last key
// (GTK stops its cursor after 10 s the same way).
const filterRestAfter = 5 * time.Second

// filterEntry is the filter box: arrows move the list's selection, Enter
// connects, and the app's shortcuts work while typing.
//
// It keeps the focus the whole time the window is idle, so that typing
// filters at once; but Fyne's blinking cursor redraws the window on every
// frame of its fade, which cost an idle window (and the dialogs over it)
// a good part of a core under software rendering. So filterRestAfter the last
// key the box rests: it keeps the window's focus, and so gets the next
// key, but tells the Entry it lost it, which stops the cursor; that key
// wakes it first.
type filterEntry struct {
	widget.Entry
	u      *UI
	onMove func(int)
	// restAfter is filterRestAfter, shorter in tests.
	restAfter time.Duration
	// resting says the Entry was told it lost the focus it still has;
	// timer rests it, and wakes counts the wakes so that a timer a later
	// key replaced does nothing.
	resting bool
	timer   *time.Timer
	wakes   int
}

func newFilterEntry(u *UI) *filterEntry {
	e := &filterEntry{u: u, restAfter: filterRestAfter}
	e.ExtendBaseWidget(e)
	return e
}

// FocusGained is part of fyne.Focusable.
func (e *filterEntry) FocusGained() {
	e.resting = false
	e.Entry.FocusGained()
	e.restLater()
}

// FocusLost is part of fyne.Focusable.
func (e *filterEntry) FocusLost() {
	e.wakes++
	if e.timer != nil {
		e.timer.Stop()
	}
	e.resting = false
	e.Entry.FocusLost()
}

// restLater rests the box e.restAfter from now, unless a key comes first.
func (e *filterEntry) restLater() {
	e.wakes++
	n := e.wakes
	if e.timer != nil {
		e.timer.Stop()
	}
	e.timer = time.AfterFunc(e.restAfter, func() {
		e.u.do(func() {
			if n == e.wakes && !e.resting {
				e.resting = true
				e.Entry.FocusLost()
			}
		})
	})
}

// wake shows the cursor again before a key is handled.
func (e *filterEntry) wake() {
	if e.resting {
		e.resting = false
		e.Entry.FocusGained()
	}
	e.restLater()
}

// TypedRune is part of fyne.Focusable.
func (e *filterEntry) TypedRune(r rune) {
	e.wake()
	e.Entry.TypedRune(r)
}

// TypedKey is part of fyne.Focusable.
func (e *filterEntry) TypedKey(ev *fyne.KeyEvent) {
	e.wake()
	switch ev.Name {
	case fyne.KeyDown:
		e.onMove(1)
	case fyne.KeyUp:
		e.onMove(-1)
	case fyne.KeyReturn, fyne.KeyEnter:
		e.u.enterSelected()
	case fyne.KeyEscape:
		e.SetText("")
	default:
		e.Entry.TypedKey(ev)
	}
}

// TypedShortcut is part of fyne.Shortcutable.
func (e *filterEntry) TypedShortcut(s fyne.Shortcut) {
	e.wake()
	if !e.u.shortcut(s, false) {
		e.Entry.TypedShortcut(s)
	}
}

// keyList is a list where Enter connects the selected profile.
type keyList struct {
	widget.List
	onEnter func()
}

func newKeyList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject)) *keyList {
	l := &keyList{}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

// TypedKey is part of fyne.Focusable.
func (l *keyList) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		l.onEnter()
		return
	}
	l.List.TypedKey(ev)
}
