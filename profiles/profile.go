// Package profiles holds the Profile type (everything Connect needs for one
// host), its validation, the rules of editing one that the CLI and the app
// share (Edit), and the store that keeps profiles: settings in a file,
// secrets in the OS keyring.
package profiles

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sesame/knock"
	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/rotate"
)

// Limits on a profile's values.
const (
	MaxNameLen = 64
	MaxDelay   = knocker.MaxGap
	MaxWait    = 5 * time.Minute
	// Keepalives: how often (0 means DefaultKeepalive) and how many
	// unanswered end the session (0 means DefaultKeepaliveMax).
	MinKeepalive        = time.Second
	MaxKeepalive        = 10 * time.Minute
	DefaultKeepalive    = 15 * time.Second
	DefaultKeepaliveMax = 3
	MaxKeepaliveMax     = 100
)

// Secrets are the parts of a profile that open the door or log in. They live
// only in the OS keyring: never in the settings file, an export without
// --with-secrets, a log line or an error message.
type Secrets struct {
	// Open is the knock sequence that opens the door.
	Open knocker.Sequence
	// Close is the knock sequence that shuts it again; empty when the door
	// closes by itself.
	Close knocker.Sequence
	// Password is the SSH password, when the user chose to remember it.
	Password string
	// Passphrase unlocks the identity file, when remembered.
	Passphrase string
	// OneTime are the unused one-time sequences of a knockd door with
	// One_Time_Sequences, next first. When any are left, the next one opens
	// the door instead of Open, and is used up by the knock.
	OneTime []knocker.Sequence
	// OneTimeUsed counts the one-time sequences used up so far.
	OneTimeUsed int
	// Rotation, when set, replaces Open: the sequence is derived from a
	// seed shared with a sesamed door, anew for every time window.
	Rotation *Rotation
	// SPA are the keys of an SPA profile (Profile.SPA): one fwknop packet
	// opens its door, instead of a sequence.
	SPA *SPAKeys
}

// Rotation is a rotating sequence (package rotate): the seed shared with
// the door, the door's parameters, and the last window this device knocked
// with. sesamed accepts each window once, so the next knock moves past it.
type Rotation struct {
	Seed   rotate.Seed
	Params rotate.Params
	// LastWindow is the last window knocked with; 0 for none.
	LastWindow int64
}

// RotationStatus is a rotating profile at a moment, for display.
type RotationStatus struct {
	// Window is the current window and Sequence its sequence.
	Window   int64
	Sequence knocker.Sequence
	// Next is when the next window begins.
	Next time.Time
	// KnockWindow is the window a knock now would use (Window, or a later
	// one when this device used it already), after KnockWait.
	KnockWindow int64
	KnockWait   time.Duration
}

// Status describes the rotation at now.
func (r *Rotation) Status(now time.Time) (RotationStatus, error) {
	w := r.Params.WindowAt(now)
	seq, err := rotate.Sequence(r.Seed, r.Params, w)
	if err != nil {
		return RotationStatus{}, err
	}
	kw, wait := r.Params.Choose(r.LastWindow, now)
	return RotationStatus{Window: w, Sequence: seq, Next: r.Params.WindowStart(w + 1), KnockWindow: kw, KnockWait: wait}, nil
}

// DoorSetup is how a rotating profile's seed is shown to the person who
// sets up the door (the CLI prints it after --seed new; the app shows it
// beside the QR code): a comment saying where the lines go, then the
// door's lines, seed included. once says this is the one time it is
// shown unasked.
func (r *Rotation) DoorSetup(name string, once bool) string {
	when := ""
	if once {
		when = ", shown only now"
	}
	return fmt.Sprintf("# The seed of %s%s. On the server, put these lines in the door's section of knockd.conf (sesamed), or the seed alone in a file of mode 0600 named by Rotating_Seed_File:\n%s",
		name, when, knockdconf.RotatingLines(r.Seed, r.Params))
}

// IsZero reports whether no secret is set.
func (s Secrets) IsZero() bool {
	return len(s.Open) == 0 && len(s.Close) == 0 && s.Password == "" && s.Passphrase == "" &&
		len(s.OneTime) == 0 && s.OneTimeUsed == 0 && s.Rotation == nil && s.SPA == nil
}

// Profile is one host Sesame knocks on and connects to.
type Profile struct {
	Name string
	// Host is the name or address that is knocked and connected to; it is
	// resolved once per connect.
	Host string
	// Port is the SSH port; 0 means 22 (or Port from ~/.ssh/config).
	Port int
	// User is the SSH user; empty means User from ~/.ssh/config, else the
	// local user name.
	User string
	// IdentityFile is a private key to try first.
	IdentityFile string
	// Family restricts resolution to IPv4 or IPv6.
	Family knock.Family
	// Delay is the gap between knocks, unless a step sets its own.
	Delay time.Duration
	// Wait is how long to wait after the last knock before dialling SSH,
	// for servers that run a slow command to open the door.
	Wait time.Duration
	// Keepalive is how often the session asks the server whether it is
	// still there, and KeepaliveMax how many unanswered questions end it
	// (as ssh's ServerAliveInterval and ServerAliveCountMax); 0 means the
	// defaults, 15 s and 3: a dead link is noticed within a minute.
	Keepalive    time.Duration
	KeepaliveMax int
	// AutoReconnect makes the app knock and connect again, in the same
	// tab, when a session's connection is lost.
	AutoReconnect bool
	// SPA, when set, makes this an SPA profile (Kind): these settings and
	// Secrets.SPA's keys send one fwknop packet instead of a knock
	// sequence.
	SPA *SPA
	// Forwards are the port forwards every connection makes (ssh's -L,
	// -R, -D and LocalForward, RemoteForward, DynamicForward).
	Forwards []Forward
	// Jump names the profiles of the jump hosts to go through, first hop
	// first (ssh's ProxyJump, each hop with its own door).
	Jump []string
	// Note is free text for the user.
	Note string
	// LastUsed is when the profile was last knocked or connected with; the
	// app lists recent profiles first.
	LastUsed time.Time

	Secrets Secrets
}

// FieldError names the field of a profile that is wrong and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidateName checks a profile name: it is used as a keyring account and
// on the command line, so it is kept short and free of control characters
// and slashes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return &FieldError{"name", "is empty: give the profile a name"}
	case strings.TrimSpace(name) != name:
		return &FieldError{"name", "has leading or trailing spaces"}
	case len(name) > MaxNameLen:
		return &FieldError{"name", fmt.Sprintf("is %d bytes long: at most %d", len(name), MaxNameLen)}
	case strings.ContainsAny(name, "/\\"):
		return &FieldError{"name", "must not contain / or \\"}
	case strings.HasPrefix(name, "-"):
		return &FieldError{"name", "must not start with - (it would read as a flag)"}
	}
	if _, err := knocker.ParseArgs([]string{name}); err == nil {
		return &FieldError{"name", "must not be a port list (sesame knock would read it as ports)"}
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return &FieldError{"name", "must not contain control characters"}
		}
	}
	return nil
}

// Validate checks every field and returns all problems found, joined; each
// is a *FieldError. Error messages never quote a secret.
func (p *Profile) Validate() error {
	var errs []error
	add := func(field, reason string) { errs = append(errs, &FieldError{field, reason}) }
	if err := ValidateName(p.Name); err != nil {
		errs = append(errs, err)
	}
	host := strings.TrimSpace(p.Host)
	switch {
	case host == "":
		add("host", "is empty: give a host name or address")
	case host != p.Host:
		add("host", "has leading or trailing spaces")
	case strings.ContainsAny(host, " \t/@\"") || strings.ContainsFunc(host, unicode.IsControl):
		add("host", "must be a host name or address, without spaces, user@ or a path")
	}
	if p.Port < 0 || p.Port > 65535 {
		add("port", portReason(strconv.Itoa(p.Port)))
	}
	if strings.ContainsAny(p.User, " \t\n@:\"") || strings.ContainsFunc(p.User, unicode.IsControl) {
		add("user", "must not contain spaces, @, : or control characters")
	}
	// The identity file is written into ssh_config by sesame ssh-config: a
	// line break would start a line of its own.
	if strings.ContainsFunc(p.IdentityFile, unicode.IsControl) || strings.ContainsRune(p.IdentityFile, '"') {
		add("identity", "must not contain control characters or double quotes")
	}
	if p.Family < knock.FamilyAuto || p.Family > knock.Family6 {
		add("family", "must be auto, 4 or 6")
	}
	if p.Delay < 0 || p.Delay > MaxDelay {
		add("delay", rangeReason(MaxDelay))
	}
	if p.Wait < 0 || p.Wait > MaxWait {
		add("wait", rangeReason(MaxWait))
	}
	if p.Keepalive != 0 && (p.Keepalive < MinKeepalive || p.Keepalive > MaxKeepalive) {
		add("keepalive", keepaliveReason)
	}
	if p.KeepaliveMax < 0 || p.KeepaliveMax > MaxKeepaliveMax {
		add("keepalive-max", "must be between 1 and 100 (or empty for 3)")
	}
	for _, f := range p.Forwards {
		if err := f.validate(); err != nil {
			add("forward", fmt.Sprintf("%s: %v", f, err))
		}
	}
	for _, j := range p.Jump {
		if strings.EqualFold(j, p.Name) {
			add("jump", "a profile cannot be its own jump host")
		} else if err := ValidateName(j); err != nil {
			add("jump", fmt.Sprintf("%q is not a profile name", j))
		}
	}
	rot := p.Secrets.Rotation
	switch {
	case p.SPA != nil || p.Secrets.SPA != nil:
		p.validateSPA(add)
	case rot != nil && len(p.Secrets.Open) > 0:
		add("seed", "the profile has an open sequence too: a profile knocks one way, with a seed or a fixed sequence")
	case rot != nil && (len(p.Secrets.OneTime) > 0 || p.Secrets.OneTimeUsed > 0):
		add("seed", "the profile has one-time sequences too: a profile knocks one way, with a seed or one-time sequences")
	case rot != nil:
		if len(rot.Seed) < rotate.MinSeedBytes || len(rot.Seed) > rotate.MaxSeedBytes {
			add("seed", fmt.Sprintf("has %d bits: use %d to %d", len(rot.Seed)*8, rotate.MinSeedBytes*8, rotate.MaxSeedBytes*8))
		}
		if err := rot.Params.Validate(); err != nil {
			add("rotating", err.Error())
		}
	case len(p.Secrets.Open) > 0:
		if err := p.Secrets.Open.Validate(); err != nil {
			add("open", redactSequenceError(err))
		}
	case len(p.Secrets.OneTime) == 0 && p.Secrets.OneTimeUsed == 0:
		// A profile that has used up its one-time sequences stays valid:
		// it says so when knocked, and more can be imported.
		add("open", "is empty: give the knock sequence that opens the door, e.g. 7000,8000,9000, a rotating sequence's seed, or SPA keys")
	}
	for i, seq := range p.Secrets.OneTime {
		if err := seq.Validate(); err != nil {
			add("one-time", fmt.Sprintf("sequence %d %s", i+1, redactSequenceError(err)))
			break
		}
	}
	if p.Secrets.OneTimeUsed < 0 {
		add("one-time", "the used count is negative")
	}
	if len(p.Secrets.Close) > 0 {
		if err := p.Secrets.Close.Validate(); err != nil {
			add("close", redactSequenceError(err))
		}
	}
	return errors.Join(errs...)
}

// validateSPA checks an SPA profile: its settings, its keys, and that it
// has no sequence (a profile knocks one way; SPA has no close packet).
func (p *Profile) validateSPA(add func(field, reason string)) {
	s := p.Secrets
	switch {
	case p.SPA == nil:
		add("spa", "the profile has SPA keys but no SPA settings (changed outside Sesame?): set them again with SPA keys")
	case s.SPA == nil:
		add("spa-keys", "are missing: give the door's KEY_BASE64 and HMAC_KEY_BASE64 (from fwknop --key-gen or the server's access.conf)")
	}
	if p.SPA != nil {
		p.SPA.validate(add)
	}
	if s.SPA != nil {
		s.SPA.validate(add)
	}
	if len(s.Open) > 0 || s.Rotation != nil || len(s.OneTime) > 0 || s.OneTimeUsed > 0 {
		add("spa", "the profile has a knock sequence too: a profile knocks one way, with SPA keys or a sequence")
	}
	if len(s.Close) > 0 {
		add("close", "an SPA door closes by itself when its timeout ends (SPA has no close packet): remove the close sequence")
	}
}

// redactSequenceError explains a bad sequence without quoting it: the
// sequence is a secret.
func redactSequenceError(err error) string {
	var te *knocker.TokenError
	if errors.As(err, &te) {
		return "has a bad knock: " + te.Reason
	}
	return err.Error()
}

// SSHPort is the port to connect to: Port, or 22.
func (p *Profile) SSHPort() int {
	if p.Port == 0 {
		return 22
	}
	return p.Port
}

// KeepaliveSettings are the profile's keepalive interval and count, the
// defaults filled in.
func (p *Profile) KeepaliveSettings() (time.Duration, int) {
	d, n := p.Keepalive, p.KeepaliveMax
	if d == 0 {
		d = DefaultKeepalive
	}
	if n == 0 {
		n = DefaultKeepaliveMax
	}
	return d, n
}

// KnockOptions are the sender's options for this profile's knocks.
func (p *Profile) KnockOptions() knock.Options {
	return knock.Options{Family: p.Family, Delay: p.Delay}
}
