package app

import (
	"errors"
	"strings"

	"sesame/profiles"
)

// fKind is the row of the choice of kind of knock.
const fKind = "kind"

// knockKind is one kind of knock the profile form offers (fixed knocks,
// a rotating sequence): its rows, shown only while it is chosen, and how
// they are checked and put in the profile. A new kind is one more entry
// in kinds.
type knockKind struct {
	choice string   // the label of its choice
	hint   string   // the choice's hint while it is chosen
	keys   []string // its rows, in the form's order
	// holds reports whether a profile has this kind of knock; nil for the
	// first kind, the default.
	holds func(*profiles.Profile) bool
	// rows adds its rows to the form.
	rows func()
	// check checks one of its fields while it is chosen (a hidden kind's
	// fields have no problems).
	check func(key string) error
	// shown runs after the choice changed and the fields were checked,
	// with whether this kind is the one chosen now; may be nil.
	shown func(on bool)
	// edit puts its fields, once valid, in the profile's edit.
	edit func(*profiles.Edit)
}

// kinds are the kinds of knock, in the order the form offers them.
func (f *profileForm) kinds() []knockKind {
	return []knockKind{
		{
			choice: kindFixed,
			hint:   "The same knocks every time (knockd and sesamed).",
			keys:   []string{fOpen},
			rows:   f.fixedRows,
			check:  f.validateOpen,
			edit:   f.editOpen,
		},
		{
			choice: kindRotating,
			hint:   "Changes every window, derived from a seed shared with a sesamed door, which takes each window's sequence once: a knock seen on the network cannot be replayed.",
			keys:   rotatingKeys,
			holds:  func(p *profiles.Profile) bool { return p.Secrets.Rotation != nil },
			rows:   f.rotatingRows,
			check:  f.validateRotating,
			shown:  f.rotatingShown,
			edit:   f.editRotation,
		},
		f.spaKind(),
	}
}

// chosenKind is the kind of knock chosen in the form.
func (f *profileForm) chosenKind() knockKind {
	kinds := f.kinds()
	for _, k := range kinds {
		if k.choice == f.kind.Selected {
			return k
		}
	}
	return kinds[0]
}

// kindOf is the kind of knock whose row key is, if any.
func (f *profileForm) kindOf(key string) (knockKind, bool) {
	for _, k := range f.kinds() {
		for _, kk := range k.keys {
			if kk == key {
				return k, true
			}
		}
	}
	return knockKind{}, false
}

// kindRows adds the choice of kind of knock, then every kind's rows;
// showKind shows those of the chosen one. The profile's own kind is
// chosen first.
func (f *profileForm) kindRows() {
	kinds := f.kinds()
	choices := make([]string, len(kinds))
	for i, k := range kinds {
		choices[i] = k.choice
	}
	f.kind = newChoiceRow(choices, nil)
	f.kind.onFocus = func() { f.scrollTo(f.kind) }
	f.kind.onEscape = f.escape
	f.kind.SetSelected(kinds[0].choice)
	for _, k := range kinds[1:] {
		if k.holds(&f.base) {
			f.kind.SetSelected(k.choice)
			break
		}
	}
	f.kind.OnChanged = func(string) {
		f.showKind()
		f.update()
	}
	f.addRow("Knocks", fKind, "", f.kind)
	for _, k := range kinds {
		k.rows()
	}
}

// showKind shows the rows of the chosen kind of knock, hides the others'
// and checks them all.
func (f *profileForm) showKind() {
	chosen := f.chosenKind()
	kinds := f.kinds()
	for _, k := range kinds {
		for _, key := range k.keys {
			for _, o := range f.rows[key] {
				if k.choice == chosen.choice {
					o.Show()
				} else {
					o.Hide()
				}
			}
		}
	}
	f.grid.Refresh() // lays the rows out again
	f.hintFor[fKind] = chosen.hint
	f.showHint(fKind)
	for _, k := range kinds {
		for _, key := range k.keys {
			if _, ok := f.entries[key]; ok {
				f.validate(key)
			}
		}
	}
	for _, k := range kinds {
		if k.shown != nil {
			k.shown(k.choice == chosen.choice)
		}
	}
}

// fixedRows adds the fixed kind's row: the open knocks.
func (f *profileForm) fixedRows() {
	f.addRow("Open knocks", fOpen, "The knocks that open the door: PORT[:tcp|udp][@GAP], e.g. 7000,8000:udp,9000.",
		f.entry(fOpen, "e.g. 7000,8000,9000", f.base.Secrets.Open.String()))
}

// validateOpen checks the open knocks, needed unless the profile has
// one-time sequences left.
func (f *profileForm) validateOpen(string) error {
	text := strings.TrimSpace(f.entries[fOpen].Text)
	switch {
	case text == "" && len(f.base.Secrets.OneTime) == 0:
		return errors.New("give the knocks that open the door, e.g. 7000,8000,9000")
	case text != "":
		_, err := parseSeq(text)
		return err
	}
	return nil
}

// editOpen sets the open sequence only when its knocks were changed:
// left as they were, they keep one-time sequences.
func (f *profileForm) editOpen(e *profiles.Edit) {
	s := strings.TrimSpace(f.entries[fOpen].Text)
	if s == "" {
		return
	}
	open, _ := parseSeq(s)
	if b := f.base.Secrets; b.Rotation != nil || open.String() != b.Open.String() {
		e.Open = open
	}
}
