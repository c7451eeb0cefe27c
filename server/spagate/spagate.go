// Package spagate decides what a packet captured on the SPA port opens:
// fwknopd's access.conf stanzas, checked in fwknopd's order, with the
// replay cache. It is the policy; spa.Decode reads the packet (HMAC first,
// in constant time, before anything is decrypted) and the daemon opens the
// firewall for a Grant.
//
// In order: the packet must come from a stanza's SOURCE (and go to its
// DESTINATION), carry a valid HMAC for that stanza's key, not be a replay,
// decrypt, be no older (or further in the future) than the age
// limit, and then ask for what the stanza allows: an access message (no
// command, no NAT), the address it came from when REQUIRE_SOURCE_ADDRESS
// is set, REQUIRE_USERNAME's user, and ports OPEN_PORTS lists and
// RESTRICT_PORTS does not. The first stanza that grants wins, as in
// fwknopd.
package spagate

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/accessconf"
	"sesame/server/replay"
	"sesame/spa"
)

// Packet is a UDP datagram captured on the SPA port.
type Packet struct {
	Src, Dst netip.Addr
	DstPort  uint16
	Payload  []byte
}

// Grant is what a packet opens: Ports for Allow, for Timeout.
type Grant struct {
	Stanza  *accessconf.Stanza
	Src     netip.Addr // where the packet came from
	Allow   netip.Addr // whom to let in
	Ports   []knockdconf.Port
	Timeout time.Duration
	User    string
}

// Door names the grant in the firewall and the log, one per stanza.
func (g Grant) Door() string { return fmt.Sprintf("fwknop stanza #%d", g.Stanza.Num) }

// Kind sorts refusals: Noise is what a flood is made of (not SPA, no
// stanza's HMAC), which a daemon counts rather than logs one by one.
type Kind int

const (
	Noise Kind = iota
	Refused
	Failed // the packet was good, sesamed could not record it
)

// Refusal is why a packet opens nothing. Line is the log line, worded as
// fwknopd's where fwknopd has one. Noise is refused with one of the
// shared values below, which cost no allocation: a flood is made of it.
type Refusal struct {
	Kind Kind
	Line string
}

// The noise refusals; the daemon adds the source when it logs them.
var (
	ErrNoSource = &Refusal{Kind: Noise, Line: "No access data found for source IP"}
	ErrNoHMAC   = &Refusal{Kind: Noise, Line: "SPA packet matches no stanza's HMAC"}
)

func (r *Refusal) Error() string { return r.Line }

// Gate holds the stanzas and the replay cache. Check is not safe for
// concurrent use: one goroutine feeds it, off the capture path.
type Gate struct {
	stanzas []*accessconf.Stanza
	cache   *replay.Cache
	maxAge  time.Duration
}

// New returns a gate over cfg's stanzas, recording digests in cache.
// maxAge is the age limit (0: spa.MaxAge, fwknopd's 120 s).
func New(cfg *accessconf.Config, cache *replay.Cache, maxAge time.Duration) *Gate {
	if maxAge <= 0 {
		maxAge = spa.MaxAge
	}
	return &Gate{stanzas: cfg.Stanzas, cache: cache, maxAge: maxAge}
}

func refused(format string, args ...any) (Grant, error) {
	return Grant{}, &Refusal{Kind: Refused, Line: fmt.Sprintf(format, args...)}
}

// Check decides what p opens at now.
func (g *Gate) Check(p Packet, now time.Time) (Grant, error) {
	src := p.Src.Unmap()
	matched := false
	for _, s := range g.stanzas {
		if s.MatchSource(src, p.Dst) {
			matched = true
			break
		}
	}
	if !matched {
		return Grant{}, ErrNoSource
	}
	var last error = ErrNoHMAC
	recorded := false
	digest := ""
	for _, s := range g.stanzas {
		if !s.MatchSource(src, p.Dst) {
			continue
		}
		grant, err := g.stanza(s, p, src, &digest, now, &recorded)
		if err == nil {
			return grant, nil
		}
		var r *Refusal
		if errors.As(err, &r) && r.Kind == Noise {
			continue // the next stanza's keys may fit
		}
		last = err
		if r != nil && r.Kind == Failed {
			break
		}
	}
	return Grant{}, last
}

// stanza checks p against one stanza. digest is the packet's replay
// digest once a stanza's HMAC matched, and recorded says whether an
// earlier stanza recorded it already.
func (g *Gate) stanza(s *accessconf.Stanza, p Packet, src netip.Addr, digest *string, now time.Time, recorded *bool) (Grant, error) {
	n := s.Num
	m, err := spa.Decode(p.Payload, s.Keys())
	if errors.Is(err, spa.ErrNotSPA) || errors.Is(err, spa.ErrBadHMAC) {
		return Grant{}, ErrNoHMAC
	}
	// After the HMAC: junk at an expired stanza stays noise, not a
	// logged refusal.
	if !s.Expires.IsZero() && now.After(s.Expires) {
		return refused("[%s] (stanza #%d) Access stanza has expired", src, n)
	}
	// The HMAC matched: the packet is from someone with the keys, and
	// only now is it worth hashing for the replay cache (fwknopd looks
	// first; a flood then costs a hash per packet more).
	if *digest == "" {
		*digest = spa.ReplayDigest(p.Payload)
		if g.cache.Seen(*digest, now) {
			return refused("Replay detected from source IP: %s, Destination proto/port: 17/%d", src, p.DstPort)
		}
	}
	if err != nil {
		return refused("[%s] (stanza #%d) Error creating fko context: %v", src, n, err)
	}
	age := now.Sub(m.Time)
	if age.Abs() > g.maxAge {
		return refused("[%s] (stanza #%d) SPA data time difference is too great (%d seconds).", src, n, int64(age.Abs()/time.Second))
	}
	// Recorded once authentic and fresh, before any grant, as fwknopd
	// does: kept until the packet is too old to pass the check above.
	if !*recorded {
		replayed, err := g.cache.Record(*digest, m.Time.Add(g.maxAge+time.Second), now)
		if err != nil {
			return Grant{}, &Refusal{Kind: Failed, Line: fmt.Sprintf("[%s] (stanza #%d) Could not add digest to replay cache: %v", src, n, err)}
		}
		if replayed {
			return refused("Replay detected from source IP: %s, Destination proto/port: 17/%d", src, p.DstPort)
		}
		*recorded = true
	}
	switch m.Type {
	case spa.AccessMsg, spa.ClientTimeoutAccessMsg:
	case spa.CommandMsg:
		return refused("[%s] (stanza #%d) SPA Command messages are not allowed in the current configuration.", src, n)
	default:
		return refused("(stanza #%d) SPA packet from %s requested NAT access, but is not enabled/supported", n, src)
	}
	acc, err := spa.ParseAccess(m.Access)
	if err != nil {
		return refused("[%s] (stanza #%d) Error parsing SPA message string: %v", src, n, err)
	}
	allow := acc.IP
	switch {
	case allow.IsUnspecified() && s.RequireSourceAddress:
		return refused("[%s] (stanza #%d) Got 0.0.0.0 when valid source IP was required.", src, n)
	case allow.IsUnspecified():
		allow = src
	case s.RequireSourceAddress && allow != src:
		// fwknopd only refuses 0.0.0.0 here; a packet that names
		// another address than its own would open the door for a host
		// that never proved anything.
		return refused("[%s] (stanza #%d) SPA data asks to open for %s, not the address it came from, and REQUIRE_SOURCE_ADDRESS is set.", src, n, allow)
	}
	if s.RequireUsername != "" && m.User != s.RequireUsername {
		return refused("[%s] (stanza #%d) Username in SPA data (%s) does not match required username: %s", src, n, m.User, s.RequireUsername)
	}
	req := make([]accessconf.Port, 0, len(acc.Ports))
	ports := make([]knockdconf.Port, 0, len(acc.Ports))
	for _, ap := range acc.Ports {
		var proto knocker.Proto
		switch ap.Proto {
		case "tcp":
			proto = knocker.TCP
		case "udp":
			proto = knocker.UDP
		default:
			return refused("[%s] (stanza #%d) One or more requested protocol/ports was denied per access.conf.", src, n)
		}
		req = append(req, accessconf.Port{Proto: proto, Port: ap.Port})
		ports = append(ports, knockdconf.Port{Port: ap.Port, Proto: proto})
	}
	if !s.Allows(req) {
		return refused("[%s] (stanza #%d) One or more requested protocol/ports was denied per access.conf.", src, n)
	}
	return Grant{
		Stanza:  s,
		Src:     src,
		Allow:   allow,
		Ports:   ports,
		Timeout: s.Timeout(time.Duration(m.ClientTimeout) * time.Second),
		User:    m.User,
	}, nil
}
