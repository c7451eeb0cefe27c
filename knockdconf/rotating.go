package knockdconf

// sesamed's rotating doors: extension keys for a door whose sequence is
// derived, window by window, from a seed shared with the client (package
// rotate), so that a knock captured on the wire is worth nothing once its
// window is used.
//
//	[options]
//	    StateDir           = /var/lib/sesamed   where sesamed remembers spent windows
//	[door]
//	    Rotating_Seed      = BASE32             the shared seed (or:)
//	    Rotating_Seed_File = /etc/sesamed/ssh.seed   a file holding it, mode 0600 or stricter
//	    Rotating_Length    = 4                  knocks per sequence
//	    Rotating_Ports     = 10000-60000        the range the ports are drawn from
//	    Rotating_Protocols = tcp                tcp, udp or mixed
//	    Rotating_Window    = 30                 seconds each sequence lasts

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"sesame/rotate"
)

// DefaultStateDir is where sesamed keeps its state (spent windows) when
// StateDir is not set; `sesamed install` makes it writable for the unit.
const DefaultStateDir = "/var/lib/sesamed"

// Rotating is a door's rotating sequence.
type Rotating struct {
	// Seed is Rotating_Seed; nil when SeedFile names a file instead.
	Seed rotate.Seed
	// SeedFile is Rotating_Seed_File, read by LoadSeed.
	SeedFile string
	Params   rotate.Params
}

// LoadSeed returns the door's seed: Seed, or the content of SeedFile.
func (r *Rotating) LoadSeed() (rotate.Seed, error) {
	if r.SeedFile == "" {
		return r.Seed, nil
	}
	return ReadSeedFile(r.SeedFile)
}

// ReadSeedFile reads a seed file: the seed in base32 (as `sesame profile
// add --seed new` prints it), optionally with spaces and a line end. Like
// ssh with a private key, it refuses a file that others may read, or that
// is not a regular file. Errors never quote the content.
func ReadSeedFile(path string) (rotate.Seed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("seed file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("seed file %s has mode %04o, so others may read the seed: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("seed file %s is empty: put the base32 seed in it", path)
	}
	seed, err := rotate.ParseSeed(string(b))
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %v", path, err)
	}
	return seed, nil
}

// rotatingKeys are the door keys of a rotating sequence.
var rotatingKeys = []string{"ROTATING_SEED", "ROTATING_SEED_FILE", "ROTATING_LENGTH", "ROTATING_PORTS", "ROTATING_PROTOCOLS", "ROTATING_WINDOW"}

func (p *parser) setRotatingKey(key, raw, value string) error {
	d := p.door
	if d.Rotating == nil {
		d.Rotating = &Rotating{Params: rotate.DefaultParams()}
	}
	r := d.Rotating
	switch key {
	case "ROTATING_SEED":
		seed, err := rotate.ParseSeed(value)
		if err != nil {
			return p.errorf("%s: %v; make one with sesame profile add NAME --seed new", raw, err)
		}
		r.Seed = seed
	case "ROTATING_SEED_FILE":
		if value == "" {
			return p.errorf("%s is empty: give the path of the file holding the seed", raw)
		}
		r.SeedFile = value
	case "ROTATING_LENGTH":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > MaxSequence {
			return p.errorf("%s = %q: give the number of knocks, 1 to %d", raw, value, MaxSequence)
		}
		r.Params.Length = n
	case "ROTATING_PORTS":
		lo, hi, err := rotate.ParsePortRange(value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		r.Params.PortMin, r.Params.PortMax = lo, hi
	case "ROTATING_PROTOCOLS":
		protos, err := rotate.ParseProtocols(value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		r.Params.Protocols = protos
	case "ROTATING_WINDOW":
		t, err := seconds(value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		if t < 5*time.Second || t > 24*time.Hour {
			return p.errorf("%s = %s: give seconds from 5 to 86400, e.g. %s = 30", raw, value, raw)
		}
		r.Params.Window = t
	}
	return nil
}

// finishRotating checks a rotating door once it is read whole.
func (p *parser) finishRotating(d *Door) error {
	r := d.Rotating
	if r == nil {
		return nil
	}
	keyLine := func(key string) int { return p.keyLine(d, key) }
	fail := func(line int, format string, args ...any) error {
		if line == 0 {
			line = d.Line
		}
		return &Error{File: p.cfg.File, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case r.Seed == nil && r.SeedFile == "":
		for _, k := range rotatingKeys {
			if line := keyLine(k); line > 0 {
				return fail(line, "%s in door [%s] needs Rotating_Seed or Rotating_Seed_File: the seed the sequences are derived from", displayKey(k), d.Name)
			}
		}
	case r.Seed != nil && r.SeedFile != "":
		return fail(keyLine("ROTATING_SEED_FILE"), "door [%s] has both Rotating_Seed and Rotating_Seed_File: keep one", d.Name)
	case len(d.Sequence) > 0:
		return fail(keyLine("SEQUENCE"), "door [%s] has both Sequence and a rotating seed: a door knocks one way, so remove Sequence (or make a second door)", d.Name)
	case d.OneTimeSequences != "":
		return fail(keyLine("ONE_TIME_SEQUENCES"), "door [%s] has both One_Time_Sequences and a rotating seed: a door knocks one way, so keep one", d.Name)
	}
	if err := r.Params.Validate(); err != nil {
		return fail(d.Line, "door [%s]: rotating %v", d.Name, err)
	}
	return nil
}

// IsRotating reports whether the door's sequence rotates.
func (d *Door) IsRotating() bool { return d.Rotating != nil }

// RotatingLines are the keys of a rotating door with seed and p, a
// tab-indented line each, as Parse reads them: what to paste into the
// door's section. They hold the seed.
func RotatingLines(seed rotate.Seed, p rotate.Params) string {
	return fmt.Sprintf("\tRotating_Seed      = %s\n\tRotating_Length    = %d\n\tRotating_Ports     = %d-%d\n\tRotating_Protocols = %s\n\tRotating_Window    = %d\n",
		seed, p.Length, p.PortMin, p.PortMax, p.Protocols, int(p.Window/time.Second))
}
