package app

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/rotate"
)

// The profile form's choice of sequence: fixed knocks, or a rotating
// sequence from a seed shared with a sesamed door (sesame profile add
// --open or --seed).
const (
	kindFixed    = "Fixed sequence"
	kindRotating = "Rotating sequence (seed)"
	fKind        = "kind"
	fProtocols   = "protocols"
)

// rotatingKeys are the fields of a rotating sequence, in the form's order.
var rotatingKeys = []string{fSeed, fLength, fPorts, fProtocols, fWindow}

// rotatingValues are the rotating fields' first values: the profile's
// settings, else the defaults. The seed field starts empty: it is never
// shown, only replaced.
func (f *profileForm) rotatingValues() map[string]string {
	p := rotate.DefaultParams()
	if r := f.base.Secrets.Rotation; r != nil {
		p = r.Params
	}
	return map[string]string{
		fLength: strconv.Itoa(p.Length),
		fPorts:  strconv.Itoa(int(p.PortMin)) + "-" + strconv.Itoa(int(p.PortMax)),
		fWindow: strconv.Itoa(int(p.Window / time.Second)),
	}
}

// buildKind adds the choice of sequence and the fields of both kinds;
// showKind shows those of the chosen one.
func (f *profileForm) buildKind(add func(label, key string, w fyne.CanvasObject), entry func(key, place string) *widget.Entry) {
	f.hintFor[fSeed] = ""
	f.hintFor[fLength] = "Knocks per sequence, 1 to 32: the door's Rotating_Length."
	f.hintFor[fPorts] = "The range the knocks' ports are drawn from, LOW-HIGH: the door's Rotating_Ports."
	f.hintFor[fProtocols] = "tcp, udp or mixed (each knock's protocol derived too): the door's Rotating_Protocols."
	f.hintFor[fWindow] = "How long each sequence lasts: seconds or a duration (the door's Rotating_Window)."

	f.kind = widget.NewRadioGroup([]string{kindFixed, kindRotating}, nil)
	f.kind.Horizontal = true
	f.kind.Required = true
	f.kind.SetSelected(kindFixed)
	if f.base.Secrets.Rotation != nil {
		f.kind.SetSelected(kindRotating)
	}
	f.kind.OnChanged = func(string) {
		f.showKind()
		f.update()
	}
	add("Knocks", fKind, f.kind)
	add("Open knocks", fOpen, entry(fOpen, "e.g. 7000,8000,9000"))

	seed := entry(fSeed, "")
	seed.OnChanged = func(string) { f.seedChanged() }
	newSeed := widget.NewButtonWithIcon("New seed", theme.ViewRefreshIcon(), f.makeSeed)
	add("Seed", fSeed, container.NewBorder(nil, nil, nil, newSeed, seed))
	add("Length", fLength, entry(fLength, strconv.Itoa(rotate.DefaultLength)))
	add("Port range", fPorts, entry(fPorts, "10000-60000"))
	f.protocols = widget.NewSelect([]string{"tcp", "udp", "mixed"}, nil)
	f.protocols.SetSelected(rotate.TCPOnly.String())
	if r := f.base.Secrets.Rotation; r != nil {
		f.protocols.SetSelected(r.Params.Protocols.String())
	}
	add("Protocols", fProtocols, f.protocols)
	add("Window", fWindow, entry(fWindow, "30"))
}

// rotating reports whether the form describes a rotating sequence.
func (f *profileForm) rotating() bool { return f.kind.Selected == kindRotating }

// showKind shows the fields of the chosen kind of sequence and checks
// them. A profile turned rotating gets a new seed unless one is pasted.
func (f *profileForm) showKind() {
	rot := f.rotating()
	show := func(key string, on bool) {
		for _, o := range f.rows[key] {
			if on {
				o.Show()
			} else {
				o.Hide()
			}
		}
	}
	show(fOpen, !rot)
	for _, key := range rotatingKeys {
		show(key, rot)
	}
	f.grid.Refresh() // lays the rows out again
	if rot && f.newSeed == nil && f.base.Secrets.Rotation == nil {
		f.makeSeed()
	}
	f.hintFor[fKind] = "The same knocks every time (knockd and sesamed)."
	if rot {
		f.hintFor[fKind] = "Changes every window, derived from a seed shared with a sesamed door, which takes each window's sequence once: a knock seen on the network cannot be replayed."
	}
	f.showHint(fKind)
	f.validate(fOpen)
	for _, key := range rotatingKeys {
		if _, ok := f.entries[key]; ok {
			f.validate(key)
		}
	}
	f.showHint(fSeed)
}

// makeSeed makes a new seed for the profile, saved (and shown once) when
// the form is.
func (f *profileForm) makeSeed() {
	seed, err := rotate.NewSeed()
	f.newSeed = seed
	if err != nil {
		f.errs[fSeed] = err
		f.showHint(fSeed)
		return
	}
	if f.entries[fSeed].Text != "" {
		f.entries[fSeed].SetText("") // checks it
		return
	}
	f.check(fSeed)
}

// seedChanged checks the seed field after an edit. A seed URI pasted
// there brings its settings along (sesame profile add --seed URI).
func (f *profileForm) seedChanged() {
	if _, p, err := rotate.ParseSeedOrURI(f.entries[fSeed].Text); err == nil && p != nil {
		f.entries[fLength].SetText(strconv.Itoa(p.Length))
		f.entries[fPorts].SetText(strconv.Itoa(int(p.PortMin)) + "-" + strconv.Itoa(int(p.PortMax)))
		f.protocols.SetSelected(p.Protocols.String())
		f.entries[fWindow].SetText(strconv.Itoa(int(p.Window / time.Second)))
	}
	f.check(fSeed)
}

// validateRotating checks a rotating field, with rotate's own words. The
// seed field's hint says which seed is saved.
func (f *profileForm) validateRotating(key string) error {
	if !f.rotating() {
		return nil
	}
	text := strings.TrimSpace(f.entries[key].Text)
	switch key {
	case fSeed:
		var err error
		switch {
		case text == "" && f.newSeed != nil:
			f.hintFor[fSeed] = "A new random seed (160 bits), shown once with the lines for the door when you save. Or paste the door's seed (base32) or a sesame://rotating URI from another device."
		case text == "" && f.base.Secrets.Rotation != nil:
			f.hintFor[fSeed] = "The seed in the keyring is kept. Paste another (base32, or a sesame://rotating URI), or press New seed."
		case text == "":
			err = errors.New("press New seed, or paste the door's seed (base32) or a sesame://rotating URI")
		default:
			_, _, err = rotate.ParseSeedOrURI(text)
			f.hintFor[fSeed] = "The seed you pasted: the door's, or another device's."
			if rotate.IsURI(text) {
				f.hintFor[fSeed] = "A seed URI from another device: the seed, and the settings below."
			}
		}
		return err
	case fLength:
		_, err := f.length()
		return err
	case fPorts:
		lo, hi, err := rotate.ParsePortRange(text)
		if err != nil {
			return err
		}
		p := rotate.DefaultParams()
		p.PortMin, p.PortMax = lo, hi
		// Checked against the length too, when that is right.
		if n, err := f.length(); err == nil {
			p.Length = n
		}
		return p.Validate()
	case fWindow:
		w, err := rotate.ParseWindow(text)
		if err != nil {
			return err
		}
		p := rotate.DefaultParams()
		p.Window = w
		return p.Validate()
	}
	return nil
}

// length reads the length field.
func (f *profileForm) length() (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(f.entries[fLength].Text))
	if err != nil {
		return 0, errors.New("give the number of knocks, 1 to 32")
	}
	p := rotate.DefaultParams()
	p.Length = n
	return n, p.Validate()
}

// rotation is the seed and the settings the form describes, once its
// fields are valid: the pasted seed, else the one made in the form, else
// nil for the profile's own.
func (f *profileForm) rotation() (rotate.Seed, *rotate.Params) {
	seed := f.newSeed
	if text := strings.TrimSpace(f.entries[fSeed].Text); text != "" {
		seed, _, _ = rotate.ParseSeedOrURI(text)
	}
	p := rotate.DefaultParams()
	p.Length, _ = f.length()
	p.PortMin, p.PortMax, _ = rotate.ParsePortRange(f.entries[fPorts].Text)
	p.Protocols, _ = rotate.ParseProtocols(f.protocols.Selected)
	p.Window, _ = rotate.ParseWindow(f.entries[fWindow].Text)
	return seed, &p
}

// madeSeed reports whether the profile saved gets the seed the form made,
// which is then shown once.
func (f *profileForm) madeSeed() bool {
	return f.rotating() && strings.TrimSpace(f.entries[fSeed].Text) == "" && f.newSeed != nil
}
