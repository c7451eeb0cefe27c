// Package firewall opens and closes single ports for single source
// addresses, through iptables or nftables, for sesamed's native open
// action. Every rule it adds is tagged, so that it finds its own rules again
// (after a crash too) and never touches anybody else's.
package firewall

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"sesame/knocker"
)

// Tag marks what sesamed's daemon adds to the firewall: the iptables
// comment on its rules, the nftables comment on its rules and the prefix of
// its set names.
const Tag = "sesamed"

// Rule accepts Proto traffic to Port from Src.
type Rule struct {
	Src   netip.Addr
	Proto knocker.Proto
	Port  uint16
}

// String prints the rule as "192.0.2.2 tcp/22".
func (r Rule) String() string {
	return fmt.Sprintf("%s %s/%d", r.Src, r.Proto, r.Port)
}

// Validate reports a rule that no backend can express.
func (r Rule) Validate() error {
	switch {
	case !r.Src.IsValid():
		return errors.New("firewall rule: no source address")
	case r.Src.Zone() != "":
		return fmt.Errorf("firewall rule: source %s has a zone; use an address without %%zone", r.Src)
	case r.Proto != knocker.TCP && r.Proto != knocker.UDP:
		return fmt.Errorf("firewall rule: protocol %s: use tcp or udp", r.Proto)
	case r.Port == 0:
		return errors.New("firewall rule: port 0: use a port from 1 to 65535")
	}
	return nil
}

// checked validates r and a ttl for one of the backends (named in the
// error) and returns r as the kernel sees it (normalize): what every Open
// and Close does first.
func (r Rule) checked(backend, what string, ttl time.Duration) (Rule, error) {
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	if ttl < 0 {
		return Rule{}, fmt.Errorf("%s: %s %s: negative timeout %s", backend, what, r, ttl)
	}
	return r.normalize(), nil
}

// normalize turns an IPv4-mapped IPv6 source into the IPv4 address the
// kernel actually sees on the wire for it.
func (r Rule) normalize() Rule {
	r.Src = r.Src.Unmap()
	return r
}

// Backend is one firewall implementation. Its methods are safe for
// concurrent use.
type Backend interface {
	// Name is "iptables" or "nftables".
	Name() string
	// Init creates sesamed's chain, its sets and their lookup, and the
	// guard when the backend has one, in that order, and empties the sets
	// of what a previous instance left (after a crash). Call it before
	// Open.
	Init(ctx context.Context) error
	// Establish is Init keeping the rules open now: it puts back whatever
	// is missing of the chain, sets, lookups and guard, and their order.
	// It repairs the firewall after somebody reloaded it.
	Establish(ctx context.Context) error
	// Check reports what of Establish's work is missing or out of order;
	// nil when all is in place.
	Check(ctx context.Context) error
	// Open accepts r for ttl (0: until Close); the kernel ends it when
	// ttl runs out, whether or not sesamed still runs. It is idempotent:
	// opening an open rule adds nothing, and re-arms its ttl.
	Open(ctx context.Context, r Rule, ttl time.Duration) error
	// Close removes r. Closing a rule that is not open is not an error.
	Close(ctx context.Context, r Rule) error
	// Rules lists the open rules: sesamed's, never anybody else's.
	Rules(ctx context.Context) ([]Rule, error)
	// Stale lists, before Init, the rules a previous instance left open.
	Stale(ctx context.Context) ([]Rule, error)
	// Flush removes everything Init and Open added but the guard, which
	// stays so that the port stays shut. Used at shutdown.
	Flush(ctx context.Context) error
	// Unguard removes the guard too: all of sesamed's rules go.
	Unguard(ctx context.Context) error
}

// The backend names, as Options.Prefer and Choice.Name spell them.
const (
	nameAuto     = "auto"
	nameIPTables = "iptables"
	nameNFTables = "nftables"
)

// ErrNotInitialized is returned by Open, Close and Rules before Init.
var ErrNotInitialized = errors.New("firewall backend not initialised: call Init first")
