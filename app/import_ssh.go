package app

import (
	"fmt"
	"os"
	"path"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

// importFilter is the Import dialog's filter: exports (.json),
// knockd.conf files, ~/.fwknoprc, and files without an extension, as
// ~/.ssh/config is.
type importFilter struct{}

func (importFilter) Matches(u fyne.URI) bool {
	switch strings.ToLower(u.Extension()) {
	case ".json", ".conf", ".fwknoprc":
		return true
	}
	// "config", and ".fwknoprc", whose dot starts the name.
	return !strings.Contains(strings.TrimPrefix(path.Base(u.Path()), "."), ".")
}

// sshImport is an ssh_config import being reviewed: the profiles its
// hosts update, and the hosts that need a knock first.
type sshImport struct {
	u       *UI
	file    string
	updates []profiles.SSHUpdate
	need    []profiles.SSHHost
	// adds are the need rows' buttons, which open the form on the host.
	adds []*widget.Button
	dlg  *dialog.CustomDialog
}

// importSSHConfig imports an ssh_config as `sesame profile import` does
// (profiles.PlanSSHImport): each Host updates the profile of its name, or
// of the same host and port, and keeps its knock, so importing again
// updates rather than duplicates; a host with neither is listed with what
// it lacks, a knock, and opens the form to give it.
func (u *UI) importSSHConfig(data []byte, file string) {
	home, _ := os.UserHomeDir()
	cfg, err := profiles.ReadSSHConfig(data, file, home)
	if err != nil {
		u.showError("Cannot import "+file, err, "Fix the line named, or import another file.")
		return
	}
	updates, need := profiles.PlanSSHImport(cfg, u.all)
	if len(updates) == 0 && len(need) == 0 {
		u.showExplained(explanation{Title: "Nothing to import", Detail: strings.Join(cfg.Notes, "\n"),
			Hint: file + " has no Host without wildcards."})
		return
	}
	im := &sshImport{u: u, file: file, updates: updates, need: need}
	im.show(cfg.Notes)
}

// show lists what the import does (each host by its file's name and
// line: the folder is the user's own), with Update for the profiles found and
// an Add button per host that needs a knock.
func (im *sshImport) show(notes []string) {
	u := im.u
	box := container.NewVBox()
	if len(im.updates) > 0 {
		var lines []string
		for _, up := range im.updates {
			l := fmt.Sprintf("• %s from Host %s (%s)", up.Profile, up.Host.Alias, path.Base(up.Host.Where))
			if up.ByHost {
				l += fmt.Sprintf(", found by its host %s: it keeps its knock", up.Host.Settings.Host)
			}
			for _, w := range up.Host.Warnings {
				l += "\n    warning: " + w
			}
			lines = append(lines, l)
		}
		box.Add(boldLabel(plural(len(im.updates), "profile") + " to update (their knocks stay):"))
		box.Add(wrapped(strings.Join(lines, "\n")))
	}
	if len(im.need) > 0 {
		need := " need a knock before they can be profiles:"
		if len(im.need) == 1 {
			need = " needs a knock before it can be a profile:"
		}
		box.Add(boldLabel(plural(len(im.need), "host") + need))
		for i, h := range im.need {
			s := h.Settings
			what := fmt.Sprintf("%s (%s): %s", h.Alias, path.Base(h.Where), s.Host)
			if s.Port != 0 {
				what += fmt.Sprintf(" port %d", s.Port)
			}
			if len(s.Jump) > 0 {
				what += " through " + strings.Join(s.Jump, ", ")
			}
			for _, w := range h.Warnings {
				what += "\n    warning: " + w
			}
			add := widget.NewButtonWithIcon("Add with its knock…", theme.ContentAddIcon(), func() { im.add(i) })
			im.adds = append(im.adds, add)
			box.Add(container.NewBorder(nil, nil, nil, add, wrapped(what)))
		}
	}
	for _, n := range notes {
		l := wrapped("note: " + n)
		l.Importance = widget.LowImportance
		box.Add(l)
	}
	im.dlg = dialog.NewCustomWithoutButtons("Import "+path.Base(im.file), container.NewVScroll(box), u.win)
	buttons := []fyne.CanvasObject{widget.NewButtonWithIcon("Close", theme.CancelIcon(), im.dlg.Hide)}
	if len(im.updates) > 0 {
		update := widget.NewButtonWithIcon("Update "+plural(len(im.updates), "profile"), theme.ConfirmIcon(), nil)
		update.Importance = widget.HighImportance
		update.OnTapped = func() {
			update.Disable()
			im.update()
		}
		buttons = append(buttons, update)
	}
	im.dlg.SetButtons(buttons)
	im.dlg.Resize(fyne.NewSize(600, 440))
	im.dlg.Show()
}

// add opens the form on the host i, named as an ssh Host alias may be,
// with its settings; the user gives the knock, and Save creates it.
func (im *sshImport) add(i int) {
	if im.u.form != nil {
		return
	}
	h := im.need[i]
	base := profiles.Profile{Name: profiles.SuggestName(h.Alias)}
	h.Apply(&base)
	f := im.u.openForm(&base, formNew)
	f.onSaved = func(p *profiles.Profile) {
		im.adds[i].SetText("Added as " + p.Name)
		im.adds[i].Disable()
	}
}

// update writes the hosts' settings on the profiles found, off the UI
// goroutine (the keyring may ask to be unlocked). One that cannot be
// updated does not stop the others.
func (im *sshImport) update() {
	u := im.u
	u.setStatus("Updating " + plural(len(im.updates), "profile") + "…")
	go func() {
		var done, failed []string
		for _, up := range im.updates {
			if _, err := u.deps.Store.Update(up.Profile, func(p *profiles.Profile) error {
				up.Host.Apply(p)
				return nil
			}); err != nil {
				failed = append(failed, fmt.Sprintf("%s (Host %s, %s): %v", up.Profile, up.Host.Alias, up.Host.Where, err))
				continue
			}
			done = append(done, up.Profile)
		}
		u.do(func() { im.updated(done, failed) })
	}()
}

func (im *sshImport) updated(done, failed []string) {
	u := im.u
	u.reload()
	u.setStatus(fmt.Sprintf("Updated %s from %s", plural(len(done), "profile"), path.Base(im.file)))
	if len(im.need) == 0 {
		im.dlg.Hide()
	}
	if len(failed) > 0 {
		u.showExplained(explanation{Title: plural(len(failed), "profile") + " not updated", Detail: strings.Join(failed, "\n"),
			Hint: "Fix these hosts in " + im.file + " and import it again; the others were updated."})
		return
	}
	u.selectImported(done)
}

func boldLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.TextStyle.Bold = true
	return l
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}
