package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/rotate"
)

// The form's fields, in order.
const (
	fName     = "name"
	fHost     = "host"
	fPort     = "port"
	fUser     = "user"
	fIdentity = "identity"
	fOpen     = "open"
	fClose    = "close"
	fDelay    = "delay"
	fWait     = "wait"
	fNote     = "note"
	// A rotating sequence's seed and settings (form_rotating.go).
	fSeed   = "seed"
	fLength = "length"
	fPorts  = "ports"
	fWindow = "window"
)

// fKeepalive is the field of the profile's keepalive interval.
const fKeepalive = "keepalive"

// familyChoices are the address families, in knock.Family's order.
func familyChoices() []string { return []string{"Automatic", "IPv4 only", "IPv6 only"} }

// profileForm adds or edits a profile, checking every field as it is
// typed: a field's hint turns into the problem, and Save stays disabled
// until there is none.
type profileForm struct {
	u *UI
	// orig is the name of the profile edited; empty for a new one.
	orig string
	// base is the profile the form started from (with its secrets): what
	// the form does not show — passwords, one-time sequences — is kept.
	base profiles.Profile

	entries map[string]*widget.Entry
	first   *formEntry // the Name field, focused as the form opens
	family  *widget.Select

	autoReconnect *widget.Check
	// kind chooses the kind of knock (kinds: a fixed open sequence or a
	// rotating one); protocols is the rotating sequence's.
	kind      *choiceRow
	protocols *widget.Select
	// newSeed is a seed made in the form, saved when the seed field is
	// left empty.
	newSeed rotate.Seed
	// spa is the SPA kind's state (form_spa.go).
	spa *spaForm
	// fwd is the Forwards and Jump hosts sections (form_forward.go).
	fwd *forwardSection
	// rows are each field's label and field, to hide those of the other
	// kind of sequence.
	rows    map[string][2]fyne.CanvasObject
	grid    *fyne.Container
	scroll  *container.Scroll // the grid's, which a focused field scrolls (form_scroll.go)
	hints   map[string]*widget.Label
	hintFor map[string]string
	errs    map[string]error
	problem *widget.Label // a failure to save
	save    *widget.Button
	cancel  *widget.Button
	dlg     *dialog.CustomDialog
	// saving is set while the profile is written: Save and Cancel wait.
	saving bool
	// onSaved, when set, is told of the profile saved (import_ssh.go).
	onSaved func(*profiles.Profile)
}

// formMode is what the form does with the profile it is given.
type formMode int

const (
	formNew formMode = iota
	formEdit
	formDuplicate
)

// openForm shows the form for base (nil for a new, empty profile).
func (u *UI) openForm(base *profiles.Profile, mode formMode) *profileForm {
	f := &profileForm{u: u, entries: map[string]*widget.Entry{}, hints: map[string]*widget.Label{}, errs: map[string]error{},
		rows: map[string][2]fyne.CanvasObject{}}
	if base != nil {
		f.base = *base
	}
	if mode == formEdit {
		f.orig = base.Name
	}
	if mode == formDuplicate {
		f.base.Name = u.copyName(base.Name)
		f.base.LastUsed = time.Time{}
	}
	f.build(mode)
	u.form = f
	return f
}

// copyName is a free name for a duplicate of name, and an ssh Host
// alias as a new name must be.
func (u *UI) copyName(name string) string {
	for i := 1; ; i++ {
		c := profiles.SuggestName(name) + "-copy"
		if i > 1 {
			c = fmt.Sprintf("%s-copy-%d", profiles.SuggestName(name), i)
		}
		if u.profileNamed(c) == nil {
			return c
		}
	}
}

// profileNamed finds a profile by name, ignoring case, as the store does.
func (u *UI) profileNamed(name string) *profiles.Profile {
	for _, p := range u.all {
		if strings.EqualFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// build makes the form: its sections of rows in order, then the dialog
// around them, then the first check of every field. Each section adds its
// own rows, with their hints and first values, so a new kind of knock is
// one more entry in kinds (form_kind.go) and nothing else here.
func (f *profileForm) build(mode formMode) {
	f.hintFor = map[string]string{}
	f.grid = container.New(layout.NewFormLayout())
	for _, section := range []func(){
		f.identityRows, // name, host
		f.kindRows,     // the kind of knock and each kind's rows
		f.knockRows,    // close knocks, delay
		f.sshRows,      // user, port, identity file, address family
		f.timingRows,   // wait, keepalive, reconnect
		f.forwardRows,  // port forwards, jump hosts (form_forward.go)
		f.noteRows,
	} {
		section()
	}
	f.buildDialog(mode)
	f.checkAll(mode)
	f.dlg.Resize(fyne.NewSize(640, 660))
	f.u.showFocused(f.dlg, f.first)
}

// addRow adds a row to the form: a bold label, the field w and under it
// the field's hint (which turns into its problem).
func (f *profileForm) addRow(label, key, hint string, w fyne.CanvasObject) {
	f.hintFor[key] = hint
	h := widget.NewLabel(hint)
	h.Wrapping = fyne.TextWrapWord
	h.Importance = widget.LowImportance
	h.SizeName = theme.SizeNameCaptionText
	f.hints[key] = h
	field := container.NewVBox(w)
	if hint != "" || key != fNote {
		field.Add(h)
	}
	l := widget.NewLabel(label)
	l.TextStyle.Bold = true
	f.grid.Add(l)
	f.grid.Add(field)
	f.rows[key] = [2]fyne.CanvasObject{l, field}
}

// entry makes the text field of key, holding value, checked as it is
// typed.
func (f *profileForm) entry(key, place, value string) *formEntry {
	e := newFormEntry(f) // Esc in it cancels the form (form_esc.go)
	f.bindEntry(&e.Entry, key, place, value)
	if key == fName {
		f.first = e
	}
	return e
}

// bindEntry makes e the text field of key (for entries other than
// widget.NewEntry's: password, multi-line).
func (f *profileForm) bindEntry(e *widget.Entry, key, place, value string) *widget.Entry {
	e.SetPlaceHolder(place)
	e.SetText(value)
	e.OnChanged = func(string) { f.check(key) }
	f.entries[key] = e
	return e
}

// secretEntry makes the field of a secret of key: its text hidden, with
// the eye that shows it; empty, since a secret kept in the keyring is
// only ever replaced.
func (f *profileForm) secretEntry(key, place string) *formEntry {
	e := newFormEntry(f)
	e.Password = true
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	f.bindEntry(&e.Entry, key, place, "")
	return e
}

// durationText is a duration's field text: empty for none.
func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// identityRows: what the profile is called and which server it knocks.
func (f *profileForm) identityRows() {
	b := &f.base
	f.addRow("Name", fName, "How the profile is listed (and sesame connect NAME).", f.entry(fName, "web", b.Name))
	f.hostPortRow() // form_hostport.go
}

// knockRows: the knocking that every kind of knock shares.
func (f *profileForm) knockRows() {
	b := &f.base
	f.addRow("Close knocks", fClose, "The knocks that shut it again (optional), e.g. 9000,8000,7000.",
		f.entry(fClose, "e.g. 9000,8000,7000", b.Secrets.Close.String()))
	f.addRow("Delay", fDelay, "Between knocks, e.g. 200ms; empty for none.", f.entry(fDelay, "e.g. 200ms", durationText(b.Delay)))
}

// sshRows: how to log in once the door is open.
func (f *profileForm) sshRows() {
	b := &f.base
	f.addRow("User", fUser, "SSH user; empty for ~/.ssh/config's, else your login name.", f.entry(fUser, "your login name", b.User))
	browse := widget.NewButtonWithIcon("Choose", theme.FolderOpenIcon(), f.chooseIdentity)
	identity := f.entry(fIdentity, "~/.ssh/id_ed25519", b.IdentityFile)
	f.addRow("Identity file", fIdentity, "A private key to try first (optional).", container.NewBorder(nil, nil, nil, browse, identity))
	f.family = widget.NewSelect(familyChoices(), nil)
	f.family.SetSelectedIndex(int(b.Family))
	f.addRow("Address family", "family", "", f.family)
}

// timingRows: the waits and the session's keepalive and reconnection.
func (f *profileForm) timingRows() {
	b := &f.base
	f.addRow("Wait", fWait, "After the last knock, before connecting, e.g. 1s; empty for none.", f.entry(fWait, "e.g. 1s", durationText(b.Wait)))
	f.addRow("Keepalive", fKeepalive, "How often to ask the server whether it is still there, e.g. 15s; 3 unanswered end the session. Empty for 15s.",
		f.entry(fKeepalive, "15s", durationText(b.Keepalive)))
	f.autoReconnect = widget.NewCheck("Reconnect by itself when the connection is lost", nil)
	f.autoReconnect.SetChecked(b.AutoReconnect)
	f.addRow("", "auto-reconnect", "", f.autoReconnect)
}

// noteRows: the user's own note, free text.
func (f *profileForm) noteRows() {
	note := newFormEntry(f)
	note.MultiLine = true
	note.Wrapping = fyne.TextWrapWord
	note.SetMinRowsVisible(2)
	f.bindEntry(&note.Entry, fNote, "", f.base.Note)
	f.addRow("Note", fNote, "", note)
}

// buildDialog puts the rows in the dialog, under the line that says why
// a save failed, with Cancel and Save.
func (f *profileForm) buildDialog(mode formMode) {
	f.problem = widget.NewLabel("")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.problem.Hide()

	f.scroll = container.NewVScroll(f.grid)
	title := map[formMode]string{formNew: "New profile", formEdit: "Edit " + f.base.Name, formDuplicate: "New profile from a copy"}[mode]
	f.dlg = dialog.NewCustomWithoutButtons(title, container.NewBorder(f.problem, nil, nil, nil, f.scroll), f.u.win)
	f.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), f.dlg.Hide)
	f.dlg.SetOnClosed(func() {
		if f.u.form == f {
			f.u.form = nil
		}
	})
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.submit)
	f.save.Importance = widget.HighImportance
	f.dlg.SetButtons([]fyne.CanvasObject{f.cancel, f.save})
}

// checkAll checks every field once the form is built, and enables Save
// if they are right. A new profile shows its problems as they are typed,
// not all at once; an edited one shows them now.
func (f *profileForm) checkAll(mode formMode) {
	f.showKind()
	for key := range f.entries {
		f.validate(key)
	}
	f.update()
	if mode != formNew {
		for key := range f.entries {
			f.showHint(key)
		}
	}
}

// check validates a field after an edit and shows the result. The
// rotating length and port range are checked together: the range must
// hold that many ports.
func (f *profileForm) check(key string) {
	keys := []string{key}
	if key == fLength || key == fPorts {
		keys = []string{fLength, fPorts}
	}
	for _, k := range keys {
		f.validate(k)
		f.showHint(k)
	}
	if key == fName {
		f.fwd.check() // a profile is not its own jump host
	}
	f.update()
}

func (f *profileForm) showHint(key string) {
	h := f.hints[key]
	if err := f.errs[key]; err != nil {
		h.SetText(err.Error())
		h.Importance = widget.DangerImportance
	} else {
		h.SetText(f.hintFor[key])
		h.Importance = widget.LowImportance
	}
	h.Refresh()
}

// update enables Save when every field is right.
func (f *profileForm) update() {
	if f.valid() && !f.saving {
		f.save.Enable()
	} else {
		f.save.Disable()
	}
}

func (f *profileForm) valid() bool {
	for _, err := range f.errs {
		if err != nil {
			return false
		}
	}
	return true
}

// problemWith returns the problem the form shows for a field, or "".
func (f *profileForm) problemWith(key string) string {
	if err := f.errs[key]; err != nil {
		return err.Error()
	}
	return ""
}

// validate checks one field.
func (f *profileForm) validate(key string) {
	text := f.entries[key].Text
	var err error
	switch key {
	case fName:
		err = fieldProblem(&profiles.Profile{Name: text}, "name")
		// A new name must be an ssh Host alias, as on the command line;
		// a profile named before that rule keeps its name.
		if err == nil && text != f.orig {
			var fe *profiles.FieldError
			if errors.As(profiles.ValidateAlias(text), &fe) {
				err = errors.New(fe.Reason)
			}
		}
		if err == nil {
			if other := f.u.profileNamed(text); other != nil && !strings.EqualFold(other.Name, f.orig) {
				err = fmt.Errorf("a profile named %s exists: choose another name", other.Name)
			}
		}
	case fHost:
		err = fieldProblem(&profiles.Profile{Host: text}, "host")
	case fUser:
		err = fieldProblem(&profiles.Profile{User: text}, "user")
	case fPort:
		_, err = profiles.ParsePort(text)
	case fClose:
		if strings.TrimSpace(text) != "" {
			_, err = parseSeq(text)
		}
	case fDelay:
		_, err = profiles.ParseDelay(text)
	case fWait:
		_, err = profiles.ParseWait(text)
	case fKeepalive:
		_, err = profiles.ParseKeepalive(text)
	case fIdentity:
		err = checkIdentity(text)
	default:
		// A kind of knock's field, checked while that kind is chosen.
		if k, ok := f.kindOf(key); ok && k.choice == f.kind.Selected {
			err = k.check(key)
		}
	}
	f.errs[key] = err
}

// fieldProblem validates p and returns the problem with one field.
func fieldProblem(p *profiles.Profile, field string) error {
	var fe *profiles.FieldError
	err := p.Validate()
	for _, e := range unjoin(err) {
		if errors.As(e, &fe) && fe.Field == field {
			return errors.New(fe.Reason)
		}
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// checkIdentity checks that an identity file, when given, is a private key
// SSH can use (profiles.CheckIdentityFile, as the CLI checks it).
func checkIdentity(path string) error {
	if strings.TrimSpace(path) == "" {
		return nil
	}
	home, _ := os.UserHomeDir()
	return profiles.CheckIdentityFile(path, home)
}

// profile is the profile the form describes, and the edit that makes it
// from the one the form started with.
func (f *profileForm) profile() (*profiles.Profile, *profiles.Edit, error) {
	for key := range f.entries {
		f.validate(key)
	}
	if !f.valid() {
		return nil, nil, errors.New("the form has problems")
	}
	e := f.edit()
	p := f.base
	p.Name = f.entries[fName].Text
	if err := e.Apply(&p); err != nil {
		return nil, nil, err
	}
	return &p, e, p.Validate()
}

// edit is the change the form describes, once its fields are valid:
// profiles.Edit, whose rules of what replaces what are the CLI's too.
// Every field is set; the chosen kind of knock sets its own (the fixed
// kind's open sequence only when its knocks were changed: left as they
// were, they keep one-time sequences).
func (f *profileForm) edit() *profiles.Edit {
	v := func(k string) string { return f.entries[k].Text }
	host, user, identity, note := v(fHost), strings.TrimSpace(v(fUser)), strings.TrimSpace(v(fIdentity)), v(fNote)
	// A copy: the edit is made off the UI goroutine, the check stays.
	reconnect := f.autoReconnect.Checked
	e := &profiles.Edit{Host: &host, User: &user, IdentityFile: &identity, Note: &note,
		Port: new(int), Family: new(knock.Family), Delay: new(time.Duration), Wait: new(time.Duration),
		Keepalive: new(time.Duration), AutoReconnect: &reconnect, Close: &knocker.Sequence{}}
	*e.Port, _ = profiles.ParsePort(v(fPort))
	*e.Delay, _ = profiles.ParseDelay(v(fDelay))
	*e.Wait, _ = profiles.ParseWait(v(fWait))
	*e.Keepalive, _ = profiles.ParseKeepalive(v(fKeepalive))
	*e.Family = knock.Family(max(f.family.SelectedIndex(), 0))
	if s := strings.TrimSpace(v(fClose)); s != "" {
		*e.Close, _ = parseSeq(s)
	}
	f.chosenKind().edit(e)
	f.fwd.edit(e)
	return e
}

// submit saves the profile and closes the form, or shows why it cannot.
// The keyring may first ask to be unlocked, so the profile is written on
// a goroutine of its own and the window stays alive meanwhile; the form
// stays open, its buttons disabled, until the save has answered.
func (f *profileForm) submit() {
	if f.saving {
		return
	}
	p, e, err := f.profile()
	if err != nil {
		f.fail(err)
		return
	}
	f.saving = true
	f.save.Disable()
	f.cancel.Disable()
	f.u.setStatus(p.Name + ": saving…")
	go func() {
		err := f.store(p, e)
		f.u.do(func() {
			f.saving = false
			f.cancel.Enable()
			f.update()
			if err != nil {
				f.u.setStatus("")
				f.fail(err)
				return
			}
			f.saved(p)
		})
	}()
}

// fail shows why the profile could not be saved, at the top of the form.
func (f *profileForm) fail(err error) {
	f.problem.SetText(err.Error())
	f.problem.Show()
}

// saved closes the form on the profile just saved.
func (f *profileForm) saved(p *profiles.Profile) {
	f.dlg.Hide()
	f.u.reload()
	f.u.list.selectName(p.Name)
	f.u.setStatus(fmt.Sprintf("%s: saved", p.Name))
	if f.madeSeed() {
		f.u.showSeed(p.Name, p.Secrets.Rotation, true)
	}
	if f.madeSPAKeys() {
		f.u.showSPAKeys(p, true)
	}
	if f.onSaved != nil {
		f.onSaved(p)
	}
}

// store writes p: a new profile, or the edited one, renamed first when
// its name changed, with the edit e made on it as stored now. It runs off
// the UI goroutine and touches no widget.
func (f *profileForm) store(p *profiles.Profile, e *profiles.Edit) error {
	st := f.u.deps.Store
	if f.orig == "" {
		return st.Create(p)
	}
	if p.Name != f.orig {
		if err := st.Rename(f.orig, p.Name); err != nil {
			return err
		}
	}
	// Made on the profile as stored now, the edit keeps a password
	// remembered, a window or a one-time sequence used while the form was
	// open.
	_, err := st.Update(p.Name, e.Apply)
	return err
}

// chooseIdentity picks the identity file with a file dialog, starting in
// ~/.ssh.
func (f *profileForm) chooseIdentity() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		rc.Close()
		f.identityPicked(rc.URI().Path())
	}, f.u.win)
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(filepath.Join(home, ".ssh"))); err == nil {
			d.SetLocation(l)
		}
	}
	showFileDialog(d)
}

// identityPicked puts the file picked in the identity field, where it is
// checked as if typed: a public key is refused there.
func (f *profileForm) identityPicked(path string) {
	f.entries[fIdentity].SetText(path)
}

// newProfile, editProfile, duplicateProfile and deleteProfile are the
// list's actions.
func (u *UI) newProfile() { u.openForm(nil, formNew) }

func (u *UI) editProfile(p *profiles.Profile) { u.openStored(p, formEdit) }

func (u *UI) duplicateProfile(p *profiles.Profile) { u.openStored(p, formDuplicate) }

// openStored opens the form on p as stored, with its secrets, once they
// are read from the keyring (which may first ask to be unlocked).
func (u *UI) openStored(p *profiles.Profile, mode formMode) {
	if p == nil {
		return
	}
	name := p.Name
	u.setStatus(name + ": reading the keyring…")
	u.loadProfile(name, func(full *profiles.Profile, err error) {
		if err != nil && !errors.Is(err, profiles.ErrSecretsMissing) {
			u.setStatus("")
			u.showError("Cannot open "+name, err, "")
			return
		}
		if u.form != nil {
			return // a second click while the keyring was read
		}
		u.setStatus("")
		u.openForm(full, mode)
	})
}

func (u *UI) deleteProfile(p *profiles.Profile) {
	if p == nil {
		return
	}
	name := p.Name
	msg := widget.NewLabel(fmt.Sprintf("Delete the profile %s and its knock sequences and saved passwords from the keyring?\nThis cannot be undone (export the profile first to keep a copy).", name))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Delete "+name+"?", "Delete", "Cancel", msg, func(ok bool) {
		if !ok {
			return
		}
		u.setStatus(name + ": deleting…")
		// The keyring may ask to be unlocked: not on the UI goroutine.
		go func() {
			err := u.deps.Store.Delete(name)
			u.do(func() {
				if err != nil {
					u.setStatus("")
					u.showError("Cannot delete "+name, err, "")
					return
				}
				u.reload()
				u.setStatus(name + ": deleted")
			})
		}()
	}, u.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
