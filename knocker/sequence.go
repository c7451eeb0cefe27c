// Package knocker holds the knock sequence type and its parser, shared by
// the Sesame client and sesamed. Sending knocks is package knock's job, so
// that sesamed links no sending code.
package knocker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Proto is the transport protocol of one knock.
type Proto uint8

// The protocols a knock can use. The zero value is not a valid protocol, so
// that a Step built by hand without one is caught by Validate.
const (
	TCP Proto = iota + 1
	UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProto reads "tcp" or "udp", in any case.
func ParseProto(s string) (Proto, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q: use tcp or udp", s)
}

// MaxGap bounds a per-step gap; a longer wait is almost always a typo
// (a sequence times out on the server long before).
const MaxGap = time.Hour

// Step is one knock: a port, a protocol and, optionally, the gap to wait
// before it in place of the default delay.
type Step struct {
	Port  uint16
	Proto Proto
	// Gap is the wait between the previous knock and this one. It applies
	// only when GapSet is true; otherwise the sender's default delay is used.
	Gap    time.Duration
	GapSet bool
}

// String prints the step in the form ParseStep reads: "7000", "8000:udp",
// "9000@250ms". TCP is the default and is not written out.
func (s Step) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(s.Port)))
	if s.Proto != TCP {
		b.WriteByte(':')
		b.WriteString(s.Proto.String())
	}
	if s.GapSet {
		b.WriteByte('@')
		b.WriteString(s.Gap.String())
	}
	return b.String()
}

// Sequence is an ordered list of knocks.
type Sequence []Step

// String prints the sequence in the comma form ParseSequence reads, so that
// ParseSequence(s.String()) gives s back.
func (s Sequence) String() string {
	parts := make([]string, len(s))
	for i, st := range s {
		parts[i] = st.String()
	}
	return strings.Join(parts, ",")
}

// Ports lists the port of every step, in order.
func (s Sequence) Ports() []uint16 {
	ports := make([]uint16, len(s))
	for i, st := range s {
		ports[i] = st.Port
	}
	return ports
}

// WithProto returns a copy of s in which every knock uses p, as knock(1)'s
// -u does for UDP.
func (s Sequence) WithProto(p Proto) Sequence {
	out := make(Sequence, len(s))
	for i, st := range s {
		st.Proto = p
		out[i] = st
	}
	return out
}

// Equal reports whether two sequences knock the same ports, protocols and gaps.
func (s Sequence) Equal(o Sequence) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Validate checks a sequence built by hand; the parsers only return valid ones.
func (s Sequence) Validate() error {
	if len(s) == 0 {
		return ErrEmpty
	}
	for i, st := range s {
		if st.Port == 0 {
			return &TokenError{Token: st.String(), Reason: "port 0 is not a port: use 1-65535"}
		}
		if st.Proto != TCP && st.Proto != UDP {
			return &TokenError{Token: st.String(), Reason: "protocol must be tcp or udp"}
		}
		if st.GapSet {
			if i == 0 {
				return &TokenError{Token: st.String(), Reason: "the first knock has no gap before it: remove the @delay"}
			}
			if st.Gap < 0 || st.Gap > MaxGap {
				return &TokenError{Token: st.String(), Reason: "gap must be between 0 and 1h"}
			}
		}
	}
	return nil
}

// ErrEmpty is returned for a sequence with no knocks.
var ErrEmpty = errors.New("empty knock sequence: give at least one port, e.g. 7000,8000,9000")

// TokenError names the part of a sequence that could not be read.
type TokenError struct {
	Token  string
	Reason string
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("bad knock %q: %s", e.Token, e.Reason)
}

// ParseSequence reads a comma-separated sequence such as
// "7000,8000:udp,9000@500ms". Each element is read by ParseStep; blanks
// around elements are ignored, as in knockd.conf.
func ParseSequence(s string) (Sequence, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrEmpty
	}
	return parseTokens(strings.Split(s, ","))
}

// ParseArgs reads knock(1)'s argument form: one knock per argument
// ("7000 8000:udp 9000"). An argument may also hold a comma list, so that a
// sequence copied from knockd.conf can be pasted as one argument.
func ParseArgs(args []string) (Sequence, error) {
	var tokens []string
	for _, a := range args {
		tokens = append(tokens, strings.Split(a, ",")...)
	}
	if len(tokens) == 0 {
		return nil, ErrEmpty
	}
	return parseTokens(tokens)
}

func parseTokens(tokens []string) (Sequence, error) {
	seq := make(Sequence, 0, len(tokens))
	for _, tok := range tokens {
		st, err := ParseStep(tok)
		if err != nil {
			return nil, err
		}
		seq = append(seq, st)
	}
	if err := seq.Validate(); err != nil {
		return nil, err
	}
	return seq, nil
}

// ParseStep reads one knock: PORT[:PROTO][@GAP]. PROTO is tcp (the default)
// or udp; GAP is the wait before this knock, in milliseconds ("250") or as a
// Go duration ("250ms", "1.5s").
func ParseStep(tok string) (Step, error) {
	raw := tok
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return Step{}, &TokenError{Token: raw, Reason: "empty element: remove the extra comma"}
	}
	var st Step
	if i := strings.IndexByte(tok, '@'); i >= 0 {
		gap, err := ParseDelay(tok[i+1:])
		if err != nil {
			return Step{}, &TokenError{Token: tok, Reason: err.Error()}
		}
		st.Gap, st.GapSet = gap, true
		tok = tok[:i]
	}
	portStr, protoStr, hasProto := strings.Cut(tok, ":")
	st.Proto = TCP
	if hasProto {
		p, err := ParseProto(strings.TrimSpace(protoStr))
		if err != nil {
			return Step{}, &TokenError{Token: strings.TrimSpace(raw), Reason: err.Error()}
		}
		st.Proto = p
	}
	port, err := parsePort(strings.TrimSpace(portStr))
	if err != nil {
		return Step{}, &TokenError{Token: strings.TrimSpace(raw), Reason: err.Error()}
	}
	st.Port = port
	if st.GapSet && (st.Gap < 0 || st.Gap > MaxGap) {
		return Step{}, &TokenError{Token: strings.TrimSpace(raw), Reason: "gap must be between 0 and 1h"}
	}
	return st, nil
}

func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("missing port number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("port must be a number from 1 to 65535")
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New("port must be a number from 1 to 65535")
	}
	return uint16(n), nil
}

// ParseDelay reads a delay as knock(1) does (whole milliseconds, "100") or
// as a Go duration ("100ms", "1.5s"). Negative delays are refused.
func ParseDelay(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("missing delay: give milliseconds (250) or a duration (250ms, 1.5s)")
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64(MaxGap/time.Millisecond) {
			return 0, fmt.Errorf("delay %q is too long: at most 1h", s)
		}
		d = time.Duration(n) * time.Millisecond
	} else {
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("bad delay %q: give milliseconds (250) or a duration (250ms, 1.5s)", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("delay %q is negative", s)
	}
	return d, nil
}
