// Package knock sends knock sequences (package knocker's type): one packet
// per knock, over one resolved address, with the requested gaps between
// them. Only the client sends; sesamed must not import it.
package knock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"sesame/knocker"
)

// Family selects the address family a host is resolved to.
type Family int

// The address families. FamilyAuto takes the resolver's first answer, as
// knock(1) does.
const (
	FamilyAuto Family = iota
	Family4
	Family6
)

func (f Family) String() string {
	switch f {
	case Family4:
		return "4"
	case Family6:
		return "6"
	}
	return "auto"
}

// ParseFamily reads "auto", "4" or "6" (also "ipv4", "ipv6", "inet", "inet6").
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "any":
		return FamilyAuto, nil
	case "4", "ipv4", "inet":
		return Family4, nil
	case "6", "ipv6", "inet6":
		return Family6, nil
	}
	return 0, fmt.Errorf("unknown address family %q: use auto, 4 or 6", s)
}

// EventKind says what a progress Event reports.
type EventKind int

// The progress events, in the order Send reports them.
const (
	// Resolved: the host has been resolved; Addr is the address every knock
	// (and the SSH session after them) will use.
	Resolved EventKind = iota
	// Waiting: the sender is waiting for the gap before knock Step; At is the
	// time it will go out.
	Waiting
	// Sent: knock Step went out at At.
	Sent
)

// Event reports progress through a sequence.
type Event struct {
	Kind  EventKind
	Step  int // 1-based index of the knock; 0 for Resolved
	Total int
	Knock knocker.Step
	Addr  netip.Addr
	At    time.Time
}

// Options tune Send and SendTo. The zero value sends with no delay, resolves
// with the default resolver and reports nothing.
type Options struct {
	// Family restricts the resolved address to IPv4 or IPv6.
	Family Family
	// Delay is the default gap between knocks; a Step's own gap overrides it.
	Delay time.Duration
	// Progress, when set, is called synchronously for each event. It must
	// return quickly: the next knock waits for it.
	Progress func(Event)
	// Resolver looks up host names; nil means net.DefaultResolver.
	Resolver *net.Resolver

	// knock sends one knock; tests replace it. nil means the real sender.
	knock func(netip.AddrPort, knocker.Proto) error
}

// ResolveError is returned when a host cannot be resolved to an address of
// the requested family.
type ResolveError struct {
	Host   string
	Family Family
	Err    error
}

func (e *ResolveError) Error() string {
	fam := ""
	switch e.Family {
	case Family4:
		fam = " to an IPv4 address"
	case Family6:
		fam = " to an IPv6 address"
	}
	return fmt.Sprintf("cannot resolve host %q%s: %v", e.Host, fam, e.Err)
}

func (e *ResolveError) Unwrap() error { return e.Err }

// Resolve looks host up once and returns the one address Sesame will use for
// it. An IP literal is used as it is.
func Resolve(ctx context.Context, host string, family Family, resolver *net.Resolver) (netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return netip.Addr{}, &ResolveError{Host: host, Family: family, Err: errors.New("empty host name")}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if !familyMatches(a, family) {
			return netip.Addr{}, &ResolveError{Host: host, Family: family, Err: errors.New("the address is of the other family")}
		}
		return a, nil
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	network := "ip"
	switch family {
	case Family4:
		network = "ip4"
	case Family6:
		network = "ip6"
	}
	addrs, err := resolver.LookupNetIP(ctx, network, host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			err = errors.New("no such host")
		}
		return netip.Addr{}, &ResolveError{Host: host, Family: family, Err: err}
	}
	for _, a := range addrs {
		a = a.Unmap()
		if familyMatches(a, family) {
			return a, nil
		}
	}
	return netip.Addr{}, &ResolveError{Host: host, Family: family, Err: errors.New("no address of that family")}
}

func familyMatches(a netip.Addr, f Family) bool {
	switch f {
	case Family4:
		return a.Is4()
	case Family6:
		return a.Is6() && !a.Is4In6()
	}
	return true
}

// Send resolves host once, then sends seq to that address (see SendTo). It
// returns the address it used, so that what follows the knock (an SSH
// session) goes to the same one, even when it fails part-way.
func Send(ctx context.Context, host string, seq knocker.Sequence, opts Options) (netip.Addr, error) {
	if err := seq.Validate(); err != nil {
		return netip.Addr{}, err
	}
	addr, err := Resolve(ctx, host, opts.Family, opts.Resolver)
	if err != nil {
		return netip.Addr{}, err
	}
	return addr, SendTo(ctx, addr, seq, opts)
}

// KnockError reports the knock that could not be sent. Its message names
// the knock by its number, never by its port: a profile's ports are a
// secret, and the message goes to terminals, logs and dialogs.
type KnockError struct {
	Step  int // 1-based
	Total int
	Knock knocker.Step
	Addr  netip.Addr
	Err   error
}

func (e *KnockError) Error() string {
	return fmt.Sprintf("knock %d of %d (%s to %s): %v", e.Step, e.Total, e.Knock.Proto, e.Addr, cause(e.Err))
}

// cause is what went wrong without the socket addresses the net package
// puts in its errors ("dial tcp 192.0.2.1:7000: connect: ..."), which
// would print the port.
func cause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	var sc *os.SyscallError
	if errors.As(err, &sc) && sc.Err != nil {
		return sc.Err
	}
	return err
}

func (e *KnockError) Unwrap() error { return e.Err }

// SendTo sends every knock of seq to addr: one TCP SYN or one UDP datagram
// per knock, each after its gap (the step's own, else opts.Delay), timed from
// the moment the previous knock went out. It stops at once when ctx is
// cancelled and returns ctx's error.
func SendTo(ctx context.Context, addr netip.Addr, seq knocker.Sequence, opts Options) error {
	if err := seq.Validate(); err != nil {
		return err
	}
	if !addr.IsValid() {
		return errors.New("knock: no address to send to")
	}
	addr = addr.Unmap()
	knock := opts.knock
	if knock == nil {
		knock = sendKnock
	}
	report := opts.Progress
	if report == nil {
		report = func(Event) {}
	}
	total := len(seq)
	report(Event{Kind: Resolved, Total: total, Addr: addr, At: time.Now()})

	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var last time.Time
	for i, st := range seq {
		n := i + 1
		if i > 0 {
			gap := opts.Delay
			if st.GapSet {
				gap = st.Gap
			}
			due := last.Add(gap)
			if time.Until(due) > 0 {
				report(Event{Kind: Waiting, Step: n, Total: total, Knock: st, Addr: addr, At: due})
				if err := waitUntil(ctx, &timer, due); err != nil {
					return err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		if err := knock(netip.AddrPortFrom(addr, st.Port), st.Proto); err != nil {
			return &KnockError{Step: n, Total: total, Knock: st, Addr: addr, Err: err}
		}
		last = now
		report(Event{Kind: Sent, Step: n, Total: total, Knock: st, Addr: addr, At: now})
	}
	return nil
}

// spinWindow is how long before a knock is due the sender stops sleeping on
// a timer and yields in a loop instead. Go's timers can wake a millisecond
// late (the poller sleeps in whole milliseconds); the spin keeps the gap the
// server sees within a few tens of microseconds of the one asked for.
const spinWindow = 2 * time.Millisecond

func waitUntil(ctx context.Context, timer **time.Timer, due time.Time) error {
	if wait := time.Until(due) - spinWindow; wait > 0 {
		if *timer == nil {
			*timer = time.NewTimer(wait)
		} else {
			(*timer).Reset(wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-(*timer).C:
		}
	}
	for time.Now().Before(due) {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}

func sendKnock(dst netip.AddrPort, p knocker.Proto) error {
	switch p {
	case knocker.TCP:
		return sendSYN(dst)
	case knocker.UDP:
		return sendDatagram(dst)
	}
	return fmt.Errorf("unknown protocol %v", p)
}

// sendDatagram sends one UDP datagram of one zero byte, as knock(1) does.
func sendDatagram(dst netip.AddrPort) error {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte{0})
	return err
}
