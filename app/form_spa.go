package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sesame/profiles"
)

// The profile form's SPA kind: one fwknop Single Packet Authorization
// packet opens the door (sesame profile add --spa), with the keys shared
// with the server's fwknopd (or sesamed's Fwknop_Access) and the
// settings of the packet.
const (
	kindSPA = "SPA (fwknop)"

	fSPAKey     = "spa-key"
	fSPAHMAC    = "spa-hmac"
	fSPAPort    = "spa-port"
	fSPAProto   = "spa-proto"
	fSPAAccess  = "spa-access"
	fSPAAllow   = "spa-allow"
	fSPATimeout = "spa-timeout"
	fSPAUser    = "spa-user"
)

// spaKeys are the SPA kind's rows, in the form's order.
var spaKeys = []string{fSPAKey, fSPAHMAC, fSPAPort, fSPAProto, fSPAAccess, fSPAAllow, fSPATimeout, fSPAUser}

// spaForm is the SPA kind's state in the form.
type spaForm struct {
	proto *widget.Select
	// newKeys are keys made in the form, saved when the key fields are
	// left empty (and then shown once).
	newKeys *profiles.SPAKeys
}

// spaKind is the SPA entry of the form's kinds.
func (f *profileForm) spaKind() knockKind {
	return knockKind{
		choice: kindSPA,
		hint:   "One encrypted, authenticated packet opens the door (fwknop's Single Packet Authorization, for fwknopd or sesamed's Fwknop_Access); it cannot be replayed. SPA has no close packet: the door closes by itself when its timeout ends.",
		keys:   spaKeys,
		holds:  func(p *profiles.Profile) bool { return p.SPA != nil },
		rows:   f.spaRows,
		check:  f.validateSPA,
		shown:  f.spaShown,
		edit:   f.editSPA,
	}
}

// spaRows adds the SPA kind's rows: the keys, then the packet's settings,
// with the profile's values (the keys are never shown, only replaced).
func (f *profileForm) spaRows() {
	f.spa = &spaForm{}
	s := profiles.SPA{}
	if f.base.SPA != nil {
		s = *f.base.SPA
	}
	key := f.secretEntry(fSPAKey, "KEY_BASE64")
	key.OnChanged = func(string) { f.spaKeyChanged() }
	newKeys := widget.NewButtonWithIcon("New keys", theme.ViewRefreshIcon(), f.makeSPAKeys)
	scan := widget.NewButtonWithIcon("Scan QR…", theme.FileImageIcon(), f.scanSPAKeys)
	buttons := container.NewHBox(newKeys, scan)
	if f.base.Secrets.SPA != nil {
		buttons.Add(widget.NewButtonWithIcon("Show keys…", theme.VisibilityIcon(), f.confirmShowSPAKeys))
	}
	f.addRow("Key", fSPAKey, "", container.NewBorder(nil, nil, nil, buttons, key))
	hmac := f.secretEntry(fSPAHMAC, "HMAC_KEY_BASE64")
	// The keys are checked together: both are given, or neither.
	hmac.OnChanged = func(string) {
		f.check(fSPAHMAC)
		f.check(fSPAKey)
	}
	f.addRow("HMAC key", fSPAHMAC, "The door's HMAC_KEY_BASE64, which authenticates the packet.", hmac)
	port := ""
	if s.Port != 0 {
		port = strconv.Itoa(s.Port)
	}
	f.addRow("SPA port", fSPAPort, fmt.Sprintf("Where the server listens for SPA packets; empty for %d.", profiles.DefaultSPAPort),
		f.entry(fSPAPort, strconv.Itoa(profiles.DefaultSPAPort), port))
	f.spa.proto = widget.NewSelect([]string{"udp", "tcp"}, nil)
	f.spa.proto.SetSelected(profiles.DefaultSPAProto)
	if s.Proto != "" {
		f.spa.proto.SetSelected(s.Proto)
	}
	f.addRow("SPA protocol", fSPAProto, "udp, as fwknop sends by default, or tcp for a server that listens for SPA on TCP.", f.spa.proto)
	f.addRow("Open ports", fSPAAccess, "The ports the packet opens, as fwknop -A: tcp/22,udp/53. Empty for tcp/ and the SSH port.",
		f.entry(fSPAAccess, "tcp/22", s.Access))
	f.addRow("Allow IP", fSPAAllow, "Empty: the address this computer sends from (right without NAT). source: the address the server sees (behind NAT; fwknop -s). Or a fixed IPv4 address.",
		f.entry(fSPAAllow, "this computer's address", s.AllowIP))
	timeout := ""
	if s.Timeout != 0 {
		timeout = strconv.Itoa(s.Timeout)
	}
	f.addRow("Door timeout", fSPATimeout, "Seconds the door stays open (fwknop -f); empty for the server's FW_ACCESS_TIMEOUT.",
		f.entry(fSPATimeout, "the server's", timeout))
	f.addRow("SPA user", fSPAUser, "The user name in the packet, which the server's REQUIRE_USERNAME checks; empty for your login name.",
		f.entry(fSPAUser, "your login name", s.User))
}

// spaShown follows a change of kind: a profile turned SPA gets new keys
// unless they are pasted, and the close knocks and the delay, which SPA
// has no use for, are hidden.
func (f *profileForm) spaShown(on bool) {
	for _, key := range []string{fClose, fDelay} {
		for _, o := range f.rows[key] {
			if on {
				o.Hide()
			} else {
				o.Show()
			}
		}
	}
	if on && f.spa.newKeys == nil && f.base.Secrets.SPA == nil {
		f.makeSPAKeys()
	}
	f.showHint(fSPAKey)
}

// makeSPAKeys makes new keys for the profile, saved (and shown once)
// when the form is.
func (f *profileForm) makeSPAKeys() {
	keys, err := profiles.NewSPAKeys(nil)
	if err != nil {
		f.errs[fSPAKey] = err
		f.showHint(fSPAKey)
		return
	}
	f.spa.newKeys = keys
	if f.entries[fSPAKey].Text != "" || f.entries[fSPAHMAC].Text != "" {
		f.entries[fSPAHMAC].SetText("")
		f.entries[fSPAKey].SetText("") // checks both
		return
	}
	f.check(fSPAKey)
}

// spaKeyChanged checks the key fields after an edit of the first.
// fwknop --key-gen's two lines pasted there (or their QR code's text)
// fill both fields.
func (f *profileForm) spaKeyChanged() {
	text := f.entries[fSPAKey].Text
	if strings.Contains(text, "HMAC_KEY_BASE64") {
		// A single-line field may have turned the line break into a space.
		text = strings.Replace(text, " HMAC_KEY_BASE64", "\nHMAC_KEY_BASE64", 1)
		if keys, err := profiles.ParseSPAKeys(text); err == nil {
			f.setSPAKeys(keys)
			return
		}
	}
	f.check(fSPAKey)
	f.check(fSPAHMAC)
}

// setSPAKeys puts keys in the key fields, as if typed.
func (f *profileForm) setSPAKeys(keys *profiles.SPAKeys) {
	f.entries[fSPAHMAC].SetText(base64.StdEncoding.EncodeToString(keys.HMACKey))
	f.entries[fSPAKey].SetText(base64.StdEncoding.EncodeToString(keys.Key))
	f.check(fSPAHMAC)
}

// validateSPA checks an SPA field, with the profile's own words. The key
// field's hint says which keys are saved.
func (f *profileForm) validateSPA(key string) error {
	text := strings.TrimSpace(f.entries[key].Text)
	switch key {
	case fSPAKey, fSPAHMAC:
		return f.validateSPAKey(key, text)
	case fSPAPort:
		if text == "" {
			return nil
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s is not a port: give a number from 1 to 65535 (empty for %d)", text, profiles.DefaultSPAPort)
		}
	case fSPAAccess:
		if text != "" {
			return profiles.CheckSPAAccess(text)
		}
	case fSPAAllow:
		return profiles.CheckAllowIP(text)
	case fSPATimeout:
		if text == "" {
			return nil
		}
		if n, err := strconv.Atoi(text); err != nil || n < 0 || n > profiles.MaxSPATimeout {
			return fmt.Errorf("give the seconds, 1 to %d, or nothing for the server's timeout", profiles.MaxSPATimeout)
		}
	case fSPAUser:
		return fieldProblem(&profiles.Profile{SPA: &profiles.SPA{User: text}}, "spa-user")
	}
	return nil
}

// validateSPAKey checks a key field: both keys are given, or neither (the
// profile's own keys, or the new ones, are kept).
func (f *profileForm) validateSPAKey(key, text string) error {
	other := fSPAHMAC
	if key == fSPAHMAC {
		other = fSPAKey
	}
	if text == "" {
		if strings.TrimSpace(f.entries[other].Text) != "" {
			return errors.New("give both keys, or neither to keep the ones saved")
		}
		if key == fSPAKey {
			switch {
			case f.spa.newKeys != nil:
				f.hintFor[fSPAKey] = "New random keys, shown once with a QR code and the lines for the server's access.conf when you save. Or paste the door's KEY_BASE64 (or fwknop --key-gen's two lines), or Scan QR… a picture of them."
			case f.base.Secrets.SPA != nil:
				f.hintFor[fSPAKey] = "The keys in the keyring are kept. Paste others, press New keys, or Scan QR…."
			default:
				return errors.New("press New keys, or paste the door's KEY_BASE64 (or fwknop --key-gen's two lines)")
			}
		}
		return nil
	}
	b, err := keyFromText(text)
	most := profiles.MaxSPAKeyBytes
	if key == fSPAHMAC {
		most = profiles.MaxSPAHMACKeyBytes
	}
	switch {
	case err != nil || len(b) == 0:
		return errors.New("not base64: copy the key whole from fwknop --key-gen or the server's access.conf")
	case len(b) > most:
		return fmt.Errorf("the key has %d bytes: at most %d", len(b), most)
	}
	if key == fSPAKey {
		f.hintFor[fSPAKey] = "The key you pasted: the door's KEY_BASE64."
	}
	return nil
}

// typedSPAKeys are the keys typed or pasted in the fields, or nil when
// they are empty.
func (f *profileForm) typedSPAKeys() *profiles.SPAKeys {
	key, err1 := keyFromText(f.entries[fSPAKey].Text)
	hmac, err2 := keyFromText(f.entries[fSPAHMAC].Text)
	if err1 != nil || err2 != nil || len(key) == 0 || len(hmac) == 0 {
		return nil
	}
	return &profiles.SPAKeys{Key: key, HMACKey: hmac}
}

// keyFromText reads a key as pasted: base64, with or without its padding
// and its "KEY_BASE64:" name.
func keyFromText(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	for _, name := range []string{"HMAC_KEY_BASE64", "KEY_BASE64"} {
		if rest, ok := strings.CutPrefix(text, name); ok {
			text = strings.TrimSpace(strings.TrimLeft(rest, ":= \t"))
			break
		}
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "="))
}

// editSPA puts the keys (typed, else the new ones, else nil for the
// profile's own) and the settings in the edit.
func (f *profileForm) editSPA(e *profiles.Edit) {
	e.SPAKeys = f.typedSPAKeys()
	if e.SPAKeys == nil {
		e.SPAKeys = f.spa.newKeys
	}
	v := func(k string) string { return strings.TrimSpace(f.entries[k].Text) }
	s := &profiles.SPA{Access: v(fSPAAccess), AllowIP: v(fSPAAllow), User: v(fSPAUser)}
	s.Port, _ = strconv.Atoi(v(fSPAPort))
	s.Timeout, _ = strconv.Atoi(v(fSPATimeout))
	if p := f.spa.proto.Selected; p != profiles.DefaultSPAProto {
		s.Proto = p
	}
	e.SPA = s
}

// madeSPAKeys reports whether the profile saved gets the keys the form
// made, which are then shown once.
func (f *profileForm) madeSPAKeys() bool {
	return f.kind.Selected == kindSPA && f.spa.newKeys != nil && f.typedSPAKeys() == nil
}
