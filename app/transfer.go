package app

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/internal/atomicfile"
	"sesame/profiles"
)

// maxImportSize bounds an import file: knockd.conf files and exports are
// kilobytes, and reading a device or a wrong file whole would hang.
const maxImportSize = 16 << 20

// importProfiles asks for a Sesame export, a knockd.conf, a ~/.fwknoprc
// or a ~/.ssh/config and imports it.
func (u *UI) importProfiles() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError("Cannot open the file", err, "")
			return
		}
		if rc == nil {
			return
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxImportSize+1))
		if err == nil && len(data) > maxImportSize {
			err = fmt.Errorf("it is larger than %d MiB: not a knockd.conf or a Sesame export", maxImportSize>>20)
		}
		if err != nil {
			u.showError("Cannot read "+rc.URI().Name(), err, "")
			return
		}
		u.importData(data, rc.URI().Path())
	}, u.win)
	d.SetFilter(importFilter{}) // and ~/.ssh/config (import_ssh.go)
	showFileDialog(d)
}

// importData imports a file's content: a Sesame export, a ~/.fwknoprc
// (whose stanzas name their servers), or a knockd.conf whose host is
// asked for.
func (u *UI) importData(data []byte, file string) {
	if profiles.IsSSHConfig(data) {
		u.importSSHConfig(data, file) // import_ssh.go
		return
	}
	im, err := profiles.ReadImport(data, file)
	switch {
	case err != nil && profiles.IsExport(data):
		u.showError("Cannot import "+file, err, "Is it a file made by Sesame's Export?")
		return
	case err != nil:
		u.showError("Cannot import "+file, err, "Sesame imports its own exports (JSON), knockd.conf files and ~/.fwknoprc files.")
		return
	case im.Knockd == nil:
		offered, skipped := im.Offer("", u.deps.ReadOneTime)
		u.confirmImport(file, offered, skipped)
		return
	}
	u.askHost(file, func(host string) {
		offered, skipped := im.Offer(host, u.deps.ReadOneTime)
		u.confirmImport(file, offered, skipped)
	})
}

// askHost asks which server a knockd.conf's doors are on. Next is
// enabled only for a host the profile would take, and Enter presses it.
func (u *UI) askHost(file string, then func(host string)) {
	host := u.dialogEntry(false)
	host.SetPlaceHolder("server.example.com")
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	msg := widget.NewLabel(fmt.Sprintf("%s is a knockd.conf. Which server are its doors on?", file))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons("Import knockd.conf", container.NewVBox(msg, host, problem), u.win)
	next := widget.NewButtonWithIcon("Next", theme.NavigateNextIcon(), nil)
	next.Importance = widget.HighImportance
	valid := func() bool { return fieldProblem(&profiles.Profile{Host: host.Text}, "host") == nil }
	next.OnTapped = func() {
		if valid() {
			d.Hide()
			then(strings.TrimSpace(host.Text))
		}
	}
	host.OnSubmitted = func(string) { next.OnTapped() }
	host.OnChanged = func(s string) {
		err := fieldProblem(&profiles.Profile{Host: s}, "host")
		switch {
		case strings.TrimSpace(s) == "":
			problem.SetText("") // nothing typed yet is no mistake
		case err != nil:
			problem.SetText(err.Error())
		default:
			problem.SetText("")
		}
		if err != nil {
			next.Disable()
		} else {
			next.Enable()
		}
	}
	host.OnChanged("")
	d.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), d.Hide), next})
	d.Resize(fyne.NewSize(480, 0))
	u.showFocused(d, host)
}

// confirmImport lists what an import would create and saves it when the
// user agrees.
func (u *UI) confirmImport(file string, offered []profiles.Imported, skipped []profiles.Skipped) {
	var lines []string
	for _, imp := range offered {
		l := "• " + imp.Profile.Name
		if imp.From != "" && imp.From != file {
			l += " (from " + imp.From + ")"
		}
		for _, w := range imp.Warnings {
			l += "\n    warning: " + w
		}
		lines = append(lines, l)
	}
	for _, s := range skipped {
		lines = append(lines, fmt.Sprintf("• %s: skipped, %s", s.Name, s.Reason))
	}
	if len(offered) == 0 {
		u.showExplained(explanation{Title: "Nothing to import", Detail: strings.Join(lines, "\n"), Hint: "No profile in " + file + " can be imported."})
		return
	}
	list := widget.NewLabel(strings.Join(lines, "\n"))
	list.Wrapping = fyne.TextWrapWord
	replace := widget.NewCheck("Replace profiles of the same name", nil)
	d := dialog.NewCustomConfirm("Import "+plural(len(offered), "profile")+"?", "Import", "Cancel",
		container.NewBorder(nil, replace, nil, nil, container.NewVScroll(list)), func(ok bool) {
			if ok {
				u.saveImported(offered, replace.Checked)
			}
		}, u.win)
	d.Resize(fyne.NewSize(560, 420))
	d.Show()
}

// saveImported saves the profiles offered, on a goroutine of its own: the
// keyring may first ask to be unlocked.
func (u *UI) saveImported(offered []profiles.Imported, replace bool) {
	ps := make([]*profiles.Profile, len(offered))
	for i, imp := range offered {
		ps[i] = imp.Profile
	}
	u.setStatus("Importing " + plural(len(ps), "profile") + "…")
	go func() {
		res, err := u.deps.Store.SaveAll(ps, replace)
		u.do(func() { u.imported(res, err) })
	}()
}

// imported reports what an import saved.
func (u *UI) imported(res *profiles.SaveResult, err error) {
	if err != nil {
		u.setStatus("")
		u.showError("The import failed; nothing was saved", err, "")
		return
	}
	u.reload()
	msg := "Imported " + plural(len(res.Created)+len(res.Replaced), "profile")
	if len(res.Skipped) > 0 {
		var names []string
		for _, s := range res.Skipped {
			names = append(names, s.Name)
		}
		msg += fmt.Sprintf("; kept the existing %s (tick Replace to overwrite)", strings.Join(names, ", "))
	}
	u.setStatus(msg)
	u.selectImported(append(append([]string(nil), res.Created...), res.Replaced...))
}

// exportProfiles writes every profile to a JSON file, with the secrets
// only when asked.
func (u *UI) exportProfiles() {
	secrets := widget.NewCheck("Include knock sequences and saved passwords", nil)
	warn := widget.NewLabel("Without them the file lists hosts and settings only. With them, anyone who reads the file can open your doors: keep it safe.")
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.LowImportance
	d := dialog.NewCustomConfirm("Export "+plural(len(u.all), "profile"), "Choose file…", "Cancel", container.NewVBox(secrets, warn), func(ok bool) {
		if !ok {
			return
		}
		save := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
			if err != nil {
				u.showError("Cannot write the file", err, "")
				return
			}
			if wc == nil {
				return
			}
			u.exportFile(wc, secrets.Checked)
		}, u.win)
		save.SetFileName("sesame-profiles.json")
		showFileDialog(save)
	}, u.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// exportFile writes the export to the file the save dialog picked. The
// dialog's writer creates the file 0644; the export, which may hold the
// secrets, is written instead as the CLI writes it: to a temporary file
// made 0600 and renamed over it, so no other user can read it, and a
// failure leaves no half-written export. The secrets are read from the
// keyring, and the file written, off the UI goroutine: the keyring may ask
// to be unlocked.
func (u *UI) exportFile(wc fyne.URIWriteCloser, withSecrets bool) {
	uri := wc.URI()
	// Closed before anything is written: the file stays empty until the
	// export replaces it.
	if err := wc.Close(); err != nil {
		u.showError("Cannot write "+uri.Path(), err, "")
		return
	}
	if uri.Scheme() != "file" {
		u.showError("Cannot write "+uri.String(), fmt.Errorf("%s is not a local file", uri), "Choose a file on this computer.")
		return
	}
	path := uri.Path()
	ps := append([]*profiles.Profile(nil), u.all...)
	u.setStatus("Exporting " + plural(len(ps), "profile") + "…")
	go func() {
		err := exportTo(u.deps.Store, path, ps, withSecrets)
		u.do(func() {
			if err != nil {
				u.setStatus("The export failed")
				u.showError("The export failed", err, "")
				return
			}
			u.setStatus(fmt.Sprintf("Exported %s to %s", plural(len(ps), "profile"), path))
		})
	}()
}

// exportTo writes the export of ps to path, 0600, atomically. When it
// fails, the empty file the save dialog created is removed.
func exportTo(store *profiles.Store, path string, ps []*profiles.Profile, withSecrets bool) error {
	var buf bytes.Buffer
	err := writeExport(store, &buf, ps, withSecrets)
	if err == nil {
		err = atomicfile.Write(path, buf.Bytes(), 0o600)
	}
	if err != nil {
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			os.Remove(path)
		}
	}
	return err
}

// writeExport writes the export of ps; their secrets are read from the
// store's keyring only when they are included.
func writeExport(store *profiles.Store, w io.Writer, ps []*profiles.Profile, withSecrets bool) error {
	if withSecrets {
		full := make([]*profiles.Profile, 0, len(ps))
		for _, p := range ps {
			q, err := store.Get(p.Name)
			if err != nil {
				return err
			}
			full = append(full, q)
		}
		ps = full
	}
	return profiles.Export(w, ps, withSecrets)
}
