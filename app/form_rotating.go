package app

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
	"sesame/rotate"
)

// The profile form's choice of sequence: fixed knocks, or a rotating
// sequence from a seed shared with a sesamed door (sesame profile add
// --open or --seed).
const (
	kindFixed    = "Fixed sequence"
	kindRotating = "Rotating sequence (seed)"
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

// rotatingRows adds the rotating kind's rows: the seed and the settings.
func (f *profileForm) rotatingRows() {
	values := f.rotatingValues()
	seed := f.secretEntry(fSeed, "")
	seed.OnChanged = func(string) { f.seedChanged() }
	newSeed := widget.NewButtonWithIcon("New seed", theme.ViewRefreshIcon(), f.makeSeed)
	f.addRow("Seed", fSeed, "", container.NewBorder(nil, nil, nil, newSeed, seed))
	f.addRow("Length", fLength, "Knocks per sequence, 1 to 32: the door's Rotating_Length.",
		f.entry(fLength, strconv.Itoa(rotate.DefaultLength), values[fLength]))
	f.addRow("Port range", fPorts, "The range the knocks' ports are drawn from, LOW-HIGH: the door's Rotating_Ports.",
		f.entry(fPorts, "10000-60000", values[fPorts]))
	f.protocols = widget.NewSelect([]string{"tcp", "udp", "mixed"}, nil)
	f.protocols.SetSelected(rotate.TCPOnly.String())
	if r := f.base.Secrets.Rotation; r != nil {
		f.protocols.SetSelected(r.Params.Protocols.String())
	}
	f.addRow("Protocols", fProtocols, "tcp, udp or mixed (each knock's protocol derived too): the door's Rotating_Protocols.", f.protocols)
	f.addRow("Window", fWindow, "How long each sequence lasts: seconds or a duration (the door's Rotating_Window).",
		f.entry(fWindow, "30", values[fWindow]))
}

// rotating reports whether the form describes a rotating sequence.
func (f *profileForm) rotating() bool { return f.kind.Selected == kindRotating }

// rotatingShown follows a change of kind: a profile turned rotating gets
// a new seed unless one is pasted, and the seed's hint says which.
func (f *profileForm) rotatingShown(on bool) {
	if on && f.newSeed == nil && f.base.Secrets.Rotation == nil {
		f.makeSeed()
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

// editRotation puts the seed and the settings in the edit.
func (f *profileForm) editRotation(e *profiles.Edit) { e.Seed, e.Params = f.rotation() }

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
