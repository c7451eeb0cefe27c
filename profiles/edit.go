package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sesame/knock"
	"sesame/knocker"
	"sesame/rotate"
)

// Edit is a change a person makes to a profile, with the CLI's flags
// (sesame profile add and edit) or the app's form. What replaces what is
// decided here, once, for both. A nil field leaves the profile's value as
// it is.
type Edit struct {
	Host, User, IdentityFile, Note *string
	Port                           *int
	Family                         *knock.Family
	Delay, Wait                    *time.Duration
	Keepalive                      *time.Duration
	KeepaliveMax                   *int
	AutoReconnect                  *bool
	// Forwards and Jump, when not nil, replace the profile's; empty
	// removes them.
	Forwards *[]Forward
	Jump     *[]string

	// Open, when not empty, is a fixed open sequence. It replaces a seed
	// and one-time sequences: a profile knocks one way.
	Open knocker.Sequence
	// Close, when not nil, replaces the close sequence; empty removes it.
	Close *knocker.Sequence
	// Seed and Params, when either is set, make the profile rotating. A
	// seed replaces the open sequence and one-time sequences. Without a
	// Seed the profile keeps its own; without Params, its settings (or
	// the defaults).
	Seed   rotate.Seed
	Params *rotate.Params
	// SPAKeys and SPA, when either is set, make the profile an SPA one.
	// Keys replace the sequences (open, close, seed, one-time: SPA has no
	// close packet), as a seed or an open sequence replaces them in turn.
	// Without SPAKeys the profile keeps its own (ErrNoSPAKeys when it has
	// none); without SPA, its settings (or the defaults).
	SPAKeys *SPAKeys
	SPA     *SPA

	// Password and Passphrase, when not nil, replace the remembered ones;
	// "" forgets them.
	Password, Passphrase *string
}

// ErrNoSeed refuses rotating settings for a profile that has no seed and
// is given none.
var ErrNoSeed = errors.New("the settings of a rotating sequence need a seed: give the door's seed, or make a new one")

// ErrNoSPAKeys refuses SPA settings for a profile that has no SPA keys and
// is given none.
var ErrNoSPAKeys = errors.New("the SPA settings need the door's keys: give KEY_BASE64 and HMAC_KEY_BASE64, or make new ones")

// Apply makes the edit on p. It fails, changing nothing, when the
// rotating settings are wrong or have no seed (ErrNoSeed), or SPA settings
// have no keys (ErrNoSPAKeys); every other problem is left to p.Validate,
// which sees the whole profile.
func (e *Edit) Apply(p *Profile) error {
	secrets := p.Secrets
	spa := p.SPA
	if len(e.Open) > 0 {
		secrets.setOpen(e.Open)
		spa = nil
	}
	if e.Seed != nil || e.Params != nil {
		if err := secrets.setRotation(e.Seed, e.Params); err != nil {
			return err
		}
		spa = nil
	}
	if e.SPAKeys != nil || e.SPA != nil {
		keys := e.SPAKeys
		if keys == nil && spa != nil {
			keys = secrets.SPA
		}
		if keys == nil {
			return ErrNoSPAKeys
		}
		secrets.setSPA(keys)
		switch {
		case e.SPA != nil:
			spa = new(SPA)
			*spa = *e.SPA
		case spa == nil:
			spa = &SPA{}
		}
	}
	if spa == nil {
		secrets.SPA = nil
	}
	p.SPA = spa
	if e.Close != nil {
		secrets.Close = *e.Close
	}
	set(&secrets.Password, e.Password)
	set(&secrets.Passphrase, e.Passphrase)
	p.Secrets = secrets
	set(&p.Host, e.Host)
	set(&p.User, e.User)
	set(&p.IdentityFile, e.IdentityFile)
	set(&p.Note, e.Note)
	set(&p.Port, e.Port)
	set(&p.Family, e.Family)
	set(&p.Delay, e.Delay)
	set(&p.Wait, e.Wait)
	set(&p.Keepalive, e.Keepalive)
	set(&p.KeepaliveMax, e.KeepaliveMax)
	set(&p.AutoReconnect, e.AutoReconnect)
	set(&p.Forwards, e.Forwards)
	set(&p.Jump, e.Jump)
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setOpen makes seq the fixed open sequence. It replaces a seed and
// one-time sequences: a profile knocks one way.
func (s *Secrets) setOpen(seq knocker.Sequence) {
	s.Open = seq
	s.Rotation = nil
	s.OneTime, s.OneTimeUsed = nil, 0
}

// setSPA makes keys the profile's SPA keys, replacing every sequence:
// SPA has no close packet either.
func (s *Secrets) setSPA(keys *SPAKeys) {
	s.SPA = keys
	s.Open, s.Close, s.Rotation, s.OneTime, s.OneTimeUsed = nil, nil, nil, nil, 0
}

// RotatingParams are the settings a rotating sequence starts from: the
// profile's own, else the defaults.
func (s *Secrets) RotatingParams() rotate.Params {
	if s.Rotation != nil {
		return s.Rotation.Params
	}
	return rotate.DefaultParams()
}

// setRotation makes the profile rotating with seed (nil: its own) and
// params (nil: its own, else the defaults), replacing the open sequence
// and one-time sequences.
func (s *Secrets) setRotation(seed rotate.Seed, params *rotate.Params) error {
	old := s.Rotation
	r := &Rotation{Seed: seed, Params: s.RotatingParams()}
	if seed == nil && old != nil {
		r.Seed = old.Seed
	}
	if r.Seed == nil {
		return ErrNoSeed
	}
	if params != nil {
		r.Params = *params
	}
	if err := r.Params.Validate(); err != nil {
		return fmt.Errorf("rotating sequence: %w", err)
	}
	// The windows this device used stay used while the seed and settings
	// are the same (sesamed took them); with others they count anew.
	if old != nil && bytes.Equal(old.Seed, r.Seed) && old.Params == r.Params {
		r.LastWindow = old.LastWindow
	}
	s.Rotation = r
	s.Open, s.OneTime, s.OneTimeUsed = nil, nil, 0
	return nil
}

// ParsePort reads an SSH port as a person types it: empty is 0, the
// default (22).
func ParsePort(text string) (int, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New(portReason(text))
	}
	return n, nil
}

// portReason says why text is not an SSH port.
func portReason(text string) string {
	return text + " is not a port: give a number from 1 to 65535 (empty for 22)"
}

// ParseDelay reads the wait between knocks as a person types it:
// milliseconds or a duration, empty for none, at most MaxDelay.
func ParseDelay(text string) (time.Duration, error) { return parseDuration(text, MaxDelay) }

// ParseWait reads the wait after the last knock as a person types it:
// milliseconds or a duration, empty for none, at most MaxWait.
func ParseWait(text string) (time.Duration, error) { return parseDuration(text, MaxWait) }

func parseDuration(text string, most time.Duration) (time.Duration, error) {
	if strings.TrimSpace(text) == "" {
		return 0, nil
	}
	d, err := knocker.ParseDelay(text)
	if err != nil {
		return 0, err
	}
	if d > most {
		return 0, fmt.Errorf("%s: give at most %s, or nothing for none", rangeReason(most), shortDuration(most))
	}
	return d, nil
}

// ParseKeepalive reads how often a session asks the server whether it is
// there, as a person types it: a duration, empty for the default.
func ParseKeepalive(text string) (time.Duration, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: use e.g. 15s", text)
	}
	if d < MinKeepalive || d > MaxKeepalive {
		return 0, errors.New(keepaliveReason)
	}
	return d, nil
}

// keepaliveReason says that a keepalive interval is out of its range.
var keepaliveReason = fmt.Sprintf("must be between %s and %s (or empty for %s)",
	shortDuration(MinKeepalive), shortDuration(MaxKeepalive), shortDuration(DefaultKeepalive))

// rangeReason says that a wait is out of its range.
func rangeReason(most time.Duration) string {
	return "must be between 0 and " + shortDuration(most)
}

// shortDuration writes a limit as people do: 1h, 5m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
