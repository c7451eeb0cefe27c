package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/rotate"
)

// Imported is a profile an import offers, with where it came from and what
// the user should know about it. Nothing in it quotes a secret.
type Imported struct {
	Profile *Profile
	// From says where the profile came from: "doors openSSH and closeSSH".
	From string
	// Warnings are things to know: a door the knocks cannot open, one-time
	// sequences left out.
	Warnings []string
	// Doors are the knockd.conf doors it came from (open door first).
	Doors []string
}

// Is reports whether name names the imported profile or one of its doors,
// as --door takes them (case does not matter).
func (imp Imported) Is(name string) bool {
	if strings.EqualFold(imp.Profile.Name, name) {
		return true
	}
	for _, d := range imp.Doors {
		if strings.EqualFold(d, name) {
			return true
		}
	}
	return false
}

// Skipped is a door or profile an import leaves out, and why.
type Skipped struct {
	Name   string
	Reason string
	// NoSecrets marks an exported profile skipped for want of its secrets.
	NoSecrets bool
}

// OneTimeReader reads the unused sequences of a One_Time_Sequences file;
// knockdconf.ReadOneTimeSequencesFile is the real one.
type OneTimeReader func(path string) ([]knockdconf.OneTimeSequence, error)

// FromKnockd turns the doors of a knockd.conf into profiles for host:
//
//   - an open door and its close door become one profile with both
//     sequences: by name (openSSH and closeSSH, ssh-open and ssh-close,
//     named SSH), or else by mirrored sequences (7000,8000,9000 and
//     9000,8000,7000, named after the open door);
//   - every other door becomes a profile named after the door;
//   - a door with One_Time_Sequences gets the unused sequences of its file
//     (read with readOneTime), as many as fit in a keyring entry;
//   - a rotating door (sesamed's Rotating_ keys) gets its seed, from the
//     config or its seed file, and its parameters;
//   - a door with sesamed's Close_Sequence gets it as the close sequence.
//
// Doors that cannot become a profile are returned in skipped, with why.
func FromKnockd(cfg *knockdconf.Config, host string, readOneTime OneTimeReader) (profiles []Imported, skipped []Skipped) {
	doors := cfg.Doors
	closeOf := pairDoors(doors)
	isClose := map[*knockdconf.Door]bool{}
	for _, c := range closeOf {
		isClose[c] = true
	}
	for _, d := range doors {
		if isClose[d] {
			continue
		}
		name, from := d.Name, "door "+d.Name
		c := closeOf[d]
		if c != nil {
			name, from = pairName(d, c), fmt.Sprintf("doors %s and %s", d.Name, c.Name)
		}
		name = sanitizeName(name)
		if err := ValidateName(name); err != nil {
			skipped = append(skipped, Skipped{Name: d.Name, Reason: fmt.Sprintf("%s:%d: the door's name cannot be a profile name: %v", cfg.File, d.Line, err)})
			continue
		}
		imp := Imported{Profile: &Profile{Name: name, Host: host}, From: from, Doors: []string{d.Name}}
		if c != nil {
			imp.Doors = append(imp.Doors, c.Name)
		}
		p := imp.Profile
		reason := ""
		switch {
		case d.IsRotating():
			reason = addRotation(p, d)
		case d.OneTimeSequences != "":
			reason = addOneTime(&imp, d, readOneTime)
		default:
			p.Secrets.Open = d.Sequence
		}
		if reason != "" {
			skipped = append(skipped, Skipped{Name: name, Reason: fmt.Sprintf("%s:%d: door %s: %s", cfg.File, d.Line, d.Name, reason)})
			continue
		}
		imp.Warnings = append(imp.Warnings, flagWarning(d)...)
		if c != nil {
			p.Secrets.Close = c.Sequence
			imp.Warnings = append(imp.Warnings, flagWarning(c)...)
		} else if len(d.CloseSequence) > 0 {
			// sesamed's Close_Sequence: the door's own close door.
			p.Secrets.Close = d.CloseSequence
		} else if d.StopCommand != "" {
			imp.Warnings = append(imp.Warnings, fmt.Sprintf("door %s closes by itself %s after opening (its Stop_Command)", d.Name, d.CmdTimeout))
		}
		if err := p.Validate(); err != nil {
			skipped = append(skipped, Skipped{Name: name, Reason: oneLine(err)})
			continue
		}
		profiles = append(profiles, imp)
	}
	return profiles, skipped
}

// pairDoors finds each open door's close door: by name first, then by
// mirrored sequence. Only doors with a fixed sequence close others.
func pairDoors(doors []*knockdconf.Door) map[*knockdconf.Door]*knockdconf.Door {
	closeOf := map[*knockdconf.Door]*knockdconf.Door{}
	used := map[*knockdconf.Door]bool{}
	pair := func(open, close *knockdconf.Door) {
		closeOf[open] = close
		used[open], used[close] = true, true
	}
	for _, o := range doors {
		stem, ok := doorStem(o.Name, "open")
		if !ok || used[o] {
			continue
		}
		for _, c := range doors {
			if cs, ok := doorStem(c.Name, "close"); ok && !used[c] && c != o &&
				strings.EqualFold(cs, stem) && len(c.Sequence) > 0 {
				pair(o, c)
				break
			}
		}
	}
	for i, a := range doors {
		if used[a] || len(a.Sequence) < 2 {
			continue
		}
		for _, b := range doors[i+1:] {
			if used[b] || !mirrored(a.Sequence, b.Sequence) {
				continue
			}
			// The one named like a close door closes; else the first opens.
			if _, ok := doorStem(a.Name, "close"); ok {
				pair(b, a)
			} else {
				pair(a, b)
			}
			break
		}
	}
	return closeOf
}

// doorStem reports whether name has word ("open", "close") as a prefix or
// suffix, ignoring case, and returns the rest without separators.
func doorStem(name, word string) (string, bool) {
	l := strings.ToLower(name)
	switch {
	case strings.HasPrefix(l, word):
		return strings.Trim(name[len(word):], " -_."), true
	case strings.HasSuffix(l, word):
		return strings.Trim(name[:len(name)-len(word)], " -_."), true
	}
	return "", false
}

// pairName names the profile of an open/close pair: the shared stem of the
// names (SSH for openSSH and closeSSH), else the open door's name.
func pairName(open, close *knockdconf.Door) string {
	ostem, ok1 := doorStem(open.Name, "open")
	cs, ok2 := doorStem(close.Name, "close")
	if ok1 && ok2 && ostem != "" && strings.EqualFold(ostem, cs) {
		return ostem
	}
	return open.Name
}

// mirrored reports whether b knocks a's ports and protocols in reverse.
func mirrored(a, b knocker.Sequence) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[len(b)-1-i]
		if x.Port != y.Port || x.Proto != y.Proto {
			return false
		}
	}
	return true
}

// sanitizeName makes a door name usable as a profile name, which is an
// ssh Host alias too.
func sanitizeName(name string) string {
	if strings.Trim(name, "-/\\ \t") == "" {
		return "" // nothing of a name: the door is skipped
	}
	return SuggestName(name)
}

// addOneTime reads a door's one-time sequences into the profile, as many as
// fit in a keyring entry, or returns why it cannot.
func addOneTime(imp *Imported, d *knockdconf.Door, read OneTimeReader) (reason string) {
	if read == nil {
		return "it uses One_Time_Sequences and no file reader was given"
	}
	list, err := read(d.OneTimeSequences)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Sprintf("cannot read its One_Time_Sequences file %s: %v (import as a user who can read it, or copy the file and point the door at the copy)", d.OneTimeSequences, err)
	}
	if len(list) == 0 {
		return fmt.Sprintf("every sequence in its One_Time_Sequences file %s is used", d.OneTimeSequences)
	}
	seqs := make([]knocker.Sequence, len(list))
	for i, o := range list {
		seqs[i] = o.Sequence
	}
	n := OneTimeFit(imp.Profile.Secrets, seqs)
	imp.Profile.Secrets.OneTime = seqs[:n]
	if n < len(seqs) {
		imp.Warnings = append(imp.Warnings, fmt.Sprintf(
			"only the first %d of the %d unused one-time sequences fit in a keyring entry (%d bytes): import the door again when they run low (sesame profile import FILE --host HOST --door %s)",
			n, len(seqs), MaxSecretBytes, d.Name))
	}
	return ""
}

// addRotation gives the profile the rotating door's seed and parameters
// (reading its seed file), or returns why it cannot.
func addRotation(p *Profile, d *knockdconf.Door) (reason string) {
	seed, err := d.Rotating.LoadSeed()
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Sprintf("cannot read its Rotating_Seed_File %s: %v (import as a user who can read it, or copy the seed with sesame profile add --seed)", d.Rotating.SeedFile, err)
	}
	p.Secrets.Rotation = &Rotation{Seed: seed, Params: d.Rotating.Params}
	return ""
}

// flagWarning warns when a door only counts TCP packets that a knock (a
// plain SYN, as knock(1) sends) is not.
func flagWarning(d *knockdconf.Door) []string {
	if d.TCPFlags.IsZero() || d.TCPFlags.Match(knockdconf.FlagSYN) {
		return nil
	}
	hasTCP := len(d.Sequence) == 0 // one-time sequences: assume TCP knocks
	if d.IsRotating() {
		hasTCP = d.Rotating.Params.Protocols != rotate.UDPOnly
	}
	for _, st := range d.Sequence {
		hasTCP = hasTCP || st.Proto == knocker.TCP
	}
	if !hasTCP {
		return nil
	}
	return []string{fmt.Sprintf("door %s only counts TCP packets with flags %s, and a TCP knock is a plain SYN (as with knock(1)): knockd will ignore its TCP knocks unless TCPFlags allows syn", d.Name, d.TCPFlags)}
}
