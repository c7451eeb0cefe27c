package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

// The form's keys of the Forwards and Jump hosts sections: the whole
// section's problem is kept under them, so that Save waits for it.
const (
	fForwards = "forwards"
	fJump     = "jump"
)

// forwardKinds are the kinds a forward row offers, as ssh's flags.
var forwardKinds = []string{"L", "R", "D"}

// forwardRow is one port forward in the form: its kind and its spec, as
// ssh's -L/-R/-D take it, read by profiles.ParseForwardSpec (the CLI's
// --forward parser, so both say the same of the same text).
type forwardRow struct {
	kind   *widget.Select
	spec   *formEntry
	hint   *widget.Label
	remove *widget.Button
	box    *fyne.Container
}

// forwardSection is the form's list of forwards and of jump hosts.
type forwardSection struct {
	f    *profileForm
	rows []*forwardRow
	list *fyne.Container // the forward rows
	add  *widget.Button

	jump     []string // the jump hosts' profile names, first hop first
	jumpList *fyne.Container
	jumpPick *widget.Select
}

// forwardHint is what a forward row says while its spec is right.
const forwardHint = "L: [bind:]port:host:hostport listens here, e.g. 8080:localhost:80; R: the same on the server; D: [bind:]port, a SOCKS proxy here."

// forwardRows: the port forwards and jump hosts every connection makes.
func (f *profileForm) forwardRows() {
	s := &forwardSection{f: f, list: container.NewVBox(), jumpList: container.NewVBox()}
	f.fwd = s
	for _, fw := range f.base.Forwards {
		s.addForward(string(fw.Kind), fw.Spec())
	}
	s.add = widget.NewButtonWithIcon("Add a forward", theme.ContentAddIcon(), func() { s.addForward("L", "") })
	f.addRow("Forwards", fForwards, "Port forwards every connection makes, as ssh's -L, -R, -D; the door closes when the last forwarded connection ends.",
		container.NewVBox(s.list, container.NewHBox(s.add)))

	s.jump = slices.Clone(f.base.Jump)
	s.jumpPick = widget.NewSelect(nil, s.addJump)
	s.jumpPick.PlaceHolder = "Add a jump host…"
	s.showJump()
	f.addRow("Jump hosts", fJump, "Profiles to go through, first hop first, each knocked from the one before (ssh's ProxyJump).",
		container.NewVBox(s.jumpList, s.jumpPick))
	s.check()
}

// addForward adds a forward row holding kind and spec.
func (s *forwardSection) addForward(kind, spec string) {
	r := &forwardRow{}
	r.kind = widget.NewSelect(forwardKinds, func(string) { s.check() })
	r.spec = newFormEntry(s.f) // Esc in it cancels the form
	r.spec.SetPlaceHolder("e.g. 8080:localhost:80")
	r.spec.SetText(spec)
	r.spec.OnChanged = func(string) { s.check() }
	r.hint = widget.NewLabel("")
	r.hint.Wrapping = fyne.TextWrapWord
	r.hint.SizeName = theme.SizeNameCaptionText
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { s.removeForward(r) })
	r.box = container.NewVBox(container.NewBorder(nil, nil, r.kind, r.remove, r.spec), r.hint)
	r.kind.SetSelected(kind)
	s.rows = append(s.rows, r)
	s.list.Add(r.box)
	s.check()
}

func (s *forwardSection) removeForward(r *forwardRow) {
	s.rows = slices.DeleteFunc(s.rows, func(x *forwardRow) bool { return x == r })
	s.list.Remove(r.box)
	s.check()
}

// parse reads a row; an empty spec is no forward.
func (r *forwardRow) parse() (profiles.Forward, bool, error) {
	spec := strings.TrimSpace(r.spec.Text)
	if spec == "" {
		return profiles.Forward{}, false, nil
	}
	if r.kind.Selected == "" {
		return profiles.Forward{}, false, errors.New("choose L, R or D")
	}
	kind := profiles.ForwardKind(r.kind.Selected[0])
	fw, err := profiles.ParseForwardSpec(kind, spec)
	return fw, err == nil, err
}

// forwards are the rows' forwards, once they are right.
func (s *forwardSection) forwards() []profiles.Forward {
	fws := []profiles.Forward{}
	for _, r := range s.rows {
		if fw, ok, _ := r.parse(); ok {
			fws = append(fws, fw)
		}
	}
	return fws
}

// check reads every row, shows each one's problem under it and keeps the
// first as the section's, so that Save waits until they are right.
func (s *forwardSection) check() {
	if s.f.errs == nil || s.jumpPick == nil {
		return // still being built
	}
	var first error
	for i, r := range s.rows {
		_, _, err := r.parse()
		if err != nil {
			r.hint.SetText(err.Error())
			r.hint.Importance = widget.DangerImportance
			if first == nil {
				first = fmt.Errorf("forward %d: %w", i+1, err)
			}
		} else {
			r.hint.SetText(forwardHint)
			r.hint.Importance = widget.LowImportance
		}
		r.hint.Refresh()
	}
	s.f.errs[fForwards] = first
	s.f.errs[fJump] = s.jumpProblem()
	s.f.showHint(fJump)
	if s.f.save != nil {
		s.f.update()
	}
}

// jumpProblem is what is wrong with the jump hosts: the profile's own
// checks (not itself, names), and each must be a profile.
func (s *forwardSection) jumpProblem() error {
	p := profiles.Profile{Name: s.f.entries[fName].Text, Jump: s.jump}
	if err := fieldProblem(&p, "jump"); err != nil {
		return err
	}
	for _, n := range s.jump {
		if s.f.u.profileNamed(n) == nil {
			return fmt.Errorf("there is no profile %s: add the jump host as a profile first, or remove it here", n)
		}
	}
	return nil
}

// addJump adds the profile picked as the last hop.
func (s *forwardSection) addJump(name string) {
	if name == "" {
		return
	}
	if !slices.ContainsFunc(s.jump, func(n string) bool { return strings.EqualFold(n, name) }) {
		s.jump = append(s.jump, name)
	}
	s.showJump()
	s.check()
}

func (s *forwardSection) removeJump(i int) {
	s.jump = slices.Delete(s.jump, i, i+1)
	s.showJump()
	s.check()
}

// showJump lists the hops in order, each with its remove button, and
// offers the other profiles to add.
func (s *forwardSection) showJump() {
	s.jumpList.RemoveAll()
	for i, n := range s.jump {
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { s.removeJump(i) })
		s.jumpList.Add(container.NewBorder(nil, nil, nil, rm, widget.NewLabel(fmt.Sprintf("%d. %s", i+1, n))))
	}
	var names []string
	for _, p := range s.f.u.all {
		chosen := slices.ContainsFunc(s.jump, func(n string) bool { return strings.EqualFold(n, p.Name) })
		if !chosen && !strings.EqualFold(p.Name, s.f.orig) {
			names = append(names, p.Name)
		}
	}
	s.jumpPick.Options = names
	s.jumpPick.ClearSelected()
	if len(names) == 0 {
		s.jumpPick.Disable()
	} else {
		s.jumpPick.Enable()
	}
}

// edit sets the forwards and jump hosts of e, as the CLI's --forward and
// --jump do.
func (s *forwardSection) edit(e *profiles.Edit) {
	fws := s.forwards()
	jump := slices.Clone(s.jump)
	if jump == nil {
		jump = []string{}
	}
	e.Forwards, e.Jump = &fws, &jump
}
