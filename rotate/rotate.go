// Package rotate derives time-based rotating knock sequences from a shared
// seed, identically for the Sesame client and sesamed: the sequence for a
// time window is a function of HMAC-SHA256(seed, window number), so a
// sequence captured on the wire is worth nothing once its window is spent.
package rotate

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sesame/knocker"
)

// MinSeedBytes is the shortest seed accepted: 160 bits, as for TOTP.
const MinSeedBytes = 20

// MaxSeedBytes bounds a seed; longer adds nothing to HMAC-SHA256.
const MaxSeedBytes = 64

// Defaults for a door or profile that names only its seed.
const (
	DefaultLength  = 4
	DefaultPortMin = 10000
	DefaultPortMax = 60000
	DefaultWindow  = 30 * time.Second
)

// Protocols says which protocols the derived knocks use.
type Protocols int

// The protocol choices.
const (
	TCPOnly Protocols = iota
	UDPOnly
	Mixed // each knock's protocol is derived too
)

func (p Protocols) String() string {
	switch p {
	case UDPOnly:
		return "udp"
	case Mixed:
		return "mixed"
	}
	return "tcp"
}

// ParseProtocols reads "tcp", "udp" or "mixed".
func ParseProtocols(s string) (Protocols, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "tcp":
		return TCPOnly, nil
	case "udp":
		return UDPOnly, nil
	case "mixed", "tcp,udp", "udp,tcp":
		return Mixed, nil
	}
	return 0, fmt.Errorf("unknown protocols %q: use tcp, udp or mixed", s)
}

// Params are the settings client and door must share besides the seed.
type Params struct {
	Length    int // knocks per sequence, 1-32
	PortMin   uint16
	PortMax   uint16
	Protocols Protocols
	Window    time.Duration // whole seconds, at least 5 s
}

// DefaultParams are the parameters of a seed given alone.
func DefaultParams() Params {
	return Params{Length: DefaultLength, PortMin: DefaultPortMin, PortMax: DefaultPortMax, Protocols: TCPOnly, Window: DefaultWindow}
}

// Validate checks the parameters; errors name the setting.
func (p Params) Validate() error {
	switch {
	case p.Length < 1 || p.Length > 32:
		return fmt.Errorf("length %d: a rotating sequence has 1 to 32 knocks", p.Length)
	case p.PortMin == 0 || p.PortMax < p.PortMin:
		return fmt.Errorf("port range %d-%d: give LOW-HIGH within 1-65535", p.PortMin, p.PortMax)
	case int(p.PortMax-p.PortMin)+1 < p.Length:
		return fmt.Errorf("port range %d-%d is smaller than the %d distinct ports a sequence needs", p.PortMin, p.PortMax, p.Length)
	case p.Window < 5*time.Second || p.Window%time.Second != 0 || p.Window > 24*time.Hour:
		return fmt.Errorf("window %s: use whole seconds from 5s to 24h", p.Window)
	case p.Protocols < TCPOnly || p.Protocols > Mixed:
		return errors.New("protocols must be tcp, udp or mixed")
	}
	return nil
}

// Describe is the parameters in words, for showing a rotating profile
// without its seed: "4 knocks (tcp) on ports 10000-60000, a new sequence
// every 30s".
func (p Params) Describe() string {
	return fmt.Sprintf("%d knocks (%s) on ports %d-%d, a new sequence every %s", p.Length, p.Protocols, p.PortMin, p.PortMax, p.Window)
}

// ParseWindow reads a window length as people give it: seconds ("30", as
// the door's Rotating_Window) or a duration ("30s", "1m"). Validate checks
// its range.
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not seconds (30) or a duration (30s)", s)
	}
	return d, nil
}

// ParsePortRange reads "LOW-HIGH".
func ParsePortRange(s string) (uint16, uint16, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("port range %q: write LOW-HIGH, e.g. 10000-60000", s)
	}
	l, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	h, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return 0, 0, fmt.Errorf("port range %q: write LOW-HIGH within 1-65535, e.g. 10000-60000", s)
	}
	return uint16(l), uint16(h), nil
}

// Seed is the shared secret.
type Seed []byte

// NewSeed makes a random 160-bit seed.
func NewSeed() (Seed, error) {
	s := make(Seed, MinSeedBytes)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("make a seed: %w", err)
	}
	return s, nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// String is the seed in base32 without padding, the form users copy
// between devices (as TOTP apps do).
func (s Seed) String() string { return b32.EncodeToString(s) }

// ParseSeed reads a base32 seed, ignoring case, spaces, dashes, padding and
// line ends (a seed file written on Windows ends in CR LF). The error never
// quotes the input: it is a secret.
func ParseSeed(text string) (Seed, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(text))
	s, err := b32.DecodeString(clean)
	if err != nil {
		return nil, errors.New("the seed is not valid base32 (letters A-Z and digits 2-7)")
	}
	if len(s) < MinSeedBytes {
		return nil, fmt.Errorf("the seed has %d bits: at least %d are needed", len(s)*8, MinSeedBytes*8)
	}
	if len(s) > MaxSeedBytes {
		return nil, fmt.Errorf("the seed has %d bits: at most %d", len(s)*8, MaxSeedBytes*8)
	}
	return Seed(s), nil
}

// WindowAt is the number of the window that holds t.
func (p Params) WindowAt(t time.Time) int64 {
	return t.Unix() / int64(p.Window/time.Second)
}

// WindowStart is when window w begins.
func (p Params) WindowStart(w int64) time.Time {
	return time.Unix(w*int64(p.Window/time.Second), 0)
}

// domain separates this derivation from any other use of the seed.
const domain = "sesame rotate v1"

// idDomain separates ID from the derivation.
const idDomain = "sesame rotate id v1"

// ID names a seed and its parameters without revealing either: the first
// 64 bits of an HMAC under the seed, in hex. sesamed keys its record of
// spent windows by it, so that a renamed door keeps its record and a new
// seed starts a fresh one.
func ID(seed Seed, p Params) string {
	mac := hmac.New(sha256.New, seed)
	mac.Write([]byte(idDomain))
	var b [2 + 2 + 1 + 1 + 4]byte
	binary.BigEndian.PutUint16(b[0:], p.PortMin)
	binary.BigEndian.PutUint16(b[2:], p.PortMax)
	b[4] = byte(p.Length)
	b[5] = byte(p.Protocols)
	binary.BigEndian.PutUint32(b[6:], uint32(p.Window/time.Second))
	mac.Write(b[:])
	return hex.EncodeToString(mac.Sum(nil)[:8])
}

// Skew is how many windows either side of its own sesamed accepts, for
// clocks that disagree: the window before and the one after.
const Skew = 1

// Choose picks the window a client knocks with at now, given the last
// window it knocked with (0: none). sesamed accepts each window once, and
// the windows from Skew before to Skew after its current one:
//
//   - the current window, when it has not been used yet;
//   - else the next one, which sesamed already accepts;
//   - else (both used) the one after that, once the next window has begun:
//     wait says how long until then, with a second's grace for a server
//     clock a little behind.
//
// A last window beyond the next one (the clock went back since) is
// ignored: sesamed would have refused it.
func (p Params) Choose(last int64, now time.Time) (w int64, wait time.Duration) {
	cur := p.WindowAt(now)
	switch {
	case last < cur || last > cur+Skew:
		return cur, 0
	case last < cur+Skew:
		return last + 1, 0
	}
	return last + 1, p.WindowStart(last).Sub(now) + time.Second
}

// Sequence derives the knock sequence of window w: Length distinct ports in
// [PortMin, PortMax], each with its protocol.
func Sequence(seed Seed, p Params, w int64) (knocker.Sequence, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(seed) < MinSeedBytes {
		return nil, errors.New("seed too short")
	}
	s := &stream{seed: seed, p: p, window: w}
	span := uint32(p.PortMax-p.PortMin) + 1
	seq := make(knocker.Sequence, 0, p.Length)
	used := make(map[uint16]bool, p.Length)
	for len(seq) < p.Length {
		port := p.PortMin + uint16(s.uniform(span))
		if used[port] {
			continue
		}
		used[port] = true
		st := knocker.Step{Port: port, Proto: knocker.TCP}
		switch p.Protocols {
		case UDPOnly:
			st.Proto = knocker.UDP
		case Mixed:
			if s.uniform(2) == 1 {
				st.Proto = knocker.UDP
			}
		}
		seq = append(seq, st)
	}
	return seq, nil
}

// At derives the sequence of the window holding t.
func At(seed Seed, p Params, t time.Time) (knocker.Sequence, error) {
	return Sequence(seed, p, p.WindowAt(t))
}

// stream is HMAC-SHA256 in counter mode over the window and parameters,
// read 32 bits at a time.
type stream struct {
	seed   Seed
	p      Params
	window int64
	block  uint32
	buf    []byte
}

func (s *stream) next32() uint32 {
	if len(s.buf) < 4 {
		mac := hmac.New(sha256.New, s.seed)
		var msg [len(domain) + 8 + 2 + 2 + 1 + 1 + 4 + 4]byte
		n := copy(msg[:], domain)
		binary.BigEndian.PutUint64(msg[n:], uint64(s.window))
		n += 8
		binary.BigEndian.PutUint16(msg[n:], s.p.PortMin)
		n += 2
		binary.BigEndian.PutUint16(msg[n:], s.p.PortMax)
		n += 2
		msg[n] = byte(s.p.Length)
		n++
		msg[n] = byte(s.p.Protocols)
		n++
		binary.BigEndian.PutUint32(msg[n:], uint32(s.p.Window/time.Second))
		n += 4
		binary.BigEndian.PutUint32(msg[n:], s.block)
		s.block++
		mac.Write(msg[:])
		s.buf = mac.Sum(nil)
	}
	v := binary.BigEndian.Uint32(s.buf)
	s.buf = s.buf[4:]
	return v
}

// uniform returns a uniform value in [0, n) by rejection sampling, so no
// port is likelier than another.
func (s *stream) uniform(n uint32) uint32 {
	limit := (1<<32 - 1) - (1<<32-1)%n
	for {
		if v := s.next32(); v < limit {
			return v % n
		}
	}
}
