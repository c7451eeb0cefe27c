//go:build linux

// Package grants keeps the state of sesamed's native open action: which
// door let which address in to which port, and until when. A grant opens
// one firewall rule; a second knock refreshes the grant instead of adding a
// rule; the rule goes when the access time runs out (on a timer, not on
// the next packet), when the address has had no established connection to
// the port for the idle time, on the door's close sequence, and at
// shutdown.
package grants

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/clock"
	"sesame/knocker"
	"sesame/server/conntrack"
	"sesame/server/firewall"
)

// Key names one grant: what one door opened for one address.
type Key struct {
	Door string
	Rule firewall.Rule
}

// Terms say how long a grant lasts. With neither set, it lasts until the
// door's close sequence or shutdown.
type Terms struct {
	// Access is how long the rule stays after the last knock; 0 means no
	// fixed limit.
	Access time.Duration
	// Idle removes the rule once the address has had no established
	// connection to the port for this long (counted from the knock, so
	// the client has Idle to connect); 0 turns it off.
	Idle time.Duration
}

// Reason says why a grant ended.
type Reason string

// The reasons a grant ends.
const (
	Expired  Reason = "expired"  // its access time ran out
	Idle     Reason = "idle"     // no established connection for the idle time
	Revoked  Reason = "revoked"  // the door's close sequence
	Shutdown Reason = "shutdown" // sesamed stopped
)

// Grant is a snapshot of one grant.
type Grant struct {
	Key
	Terms
	Opened  time.Time // the knock that opened it
	Knocked time.Time // the last knock (Opened, or the latest refresh)
	// Expires is when the access time runs out; zero without one.
	Expires time.Time
	// Active is the last time an established connection was seen, or the
	// last knock if none has been since.
	Active time.Time
}

// Flows lists the connection tracking table; *conntrack.Conn is one.
type Flows interface {
	Flows(ctx context.Context) ([]conntrack.Flow, error)
}

// Config is what a Keeper works with.
type Config struct {
	// Firewall opens and closes the rules; required, and initialised.
	Firewall firewall.Backend
	// Flows tells which connections are established, for idle close;
	// required only for grants with Terms.Idle.
	Flows Flows
	// Logger gets a line per grant opened, refreshed and ended, and every
	// firewall error met on a timer. Nil discards.
	Logger *slog.Logger
	// Clock defaults to the real one.
	Clock clock.Clock
	// IdleCheck is how often established connections are looked up while
	// an idle-closing grant exists; default 1s. An idle rule goes between
	// Idle and Idle+IdleCheck after the last connection ends.
	IdleCheck time.Duration
	// Retry is how soon a rule whose removal failed is tried again;
	// default 1s.
	Retry time.Duration
	// OnEnd, if set, is called after a grant ended, outside the Keeper's
	// lock (it may call the Keeper).
	OnEnd func(Grant, Reason)
}

// Keeper tracks grants and their firewall rules. Its methods are safe for
// concurrent use.
type Keeper struct {
	cfg Config
	log *slog.Logger
	clk clock.Clock

	mu      sync.Mutex
	grants  map[Key]*grant
	holders map[firewall.Rule]int       // grants holding each open rule
	armed   map[firewall.Rule]time.Time // until when the kernel holds each (zero: no limit)
	stuck   map[firewall.Rule]struct{}  // rules whose removal failed, retried
	poll    clock.Timer                 // the idle check, while one is due
	retry   clock.Timer                 // the retry of stuck rules, while one is due
	ended   []ending                    // for OnEnd, once the lock is released
	down    bool
}

type grant struct {
	Grant
	gen    uint64 // bumped on refresh, so a stale expiry timer does nothing
	expiry clock.Timer
}

type ending struct {
	g   Grant
	why Reason
}

// ErrShutdown is returned by Grant after Shutdown.
var ErrShutdown = errors.New("grants: shut down")

// timerOpTimeout bounds a firewall call made by a timer, which has no
// caller's context.
const timerOpTimeout = 10 * time.Second

// New returns an empty Keeper.
func New(cfg Config) (*Keeper, error) {
	if cfg.Firewall == nil {
		return nil, errors.New("grants: no firewall backend")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.IdleCheck <= 0 {
		cfg.IdleCheck = time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	return &Keeper{
		cfg:     cfg,
		log:     cfg.Logger,
		clk:     cfg.Clock,
		grants:  map[Key]*grant{},
		holders: map[firewall.Rule]int{},
		armed:   map[firewall.Rule]time.Time{},
		stuck:   map[firewall.Rule]struct{}{},
	}, nil
}

// unlock releases the lock, then reports the grants that ended meanwhile.
func (k *Keeper) unlock() {
	ended := k.ended
	k.ended = nil
	k.mu.Unlock()
	if k.cfg.OnEnd != nil {
		for _, e := range ended {
			k.cfg.OnEnd(e.g, e.why)
		}
	}
}

func attrs(key Key) []any {
	return []any{"door", key.Door, "src", key.Rule.Src, "proto", key.Rule.Proto.String(), "port", key.Rule.Port}
}

// Grant opens key's rule for the terms, or, when key already has a grant,
// refreshes it: new terms, the access time counted again from now, and no
// second rule. It reports whether it refreshed. The rule is open when it
// returns nil.
func (k *Keeper) Grant(ctx context.Context, key Key, t Terms) (refreshed bool, err error) {
	if err := key.Rule.Validate(); err != nil {
		return false, err
	}
	key.Rule.Src = key.Rule.Src.Unmap()
	if t.Access < 0 || t.Idle < 0 {
		return false, fmt.Errorf("grants: negative access (%s) or idle (%s) time", t.Access, t.Idle)
	}
	if t.Idle > 0 && k.cfg.Flows == nil {
		return false, errors.New("grants: idle close needs a connection table (Config.Flows)")
	}
	k.mu.Lock()
	defer k.unlock()
	if k.down {
		return false, ErrShutdown
	}
	now := k.clk.Now()
	old, refreshed := k.grants[key]
	g := &grant{Grant: Grant{Key: key, Opened: now}}
	if refreshed {
		g.Opened, g.gen = old.Opened, old.gen+1
	}
	g.Terms, g.Knocked, g.Active = t, now, now
	if t.Access > 0 {
		g.Expires = now.Add(t.Access)
	}
	// Open even on a refresh: it adds nothing when the rule is there,
	// re-arms the kernel's timeout, and puts the rule back when someone
	// reloaded the firewall under us. The grant counts (for the rule's
	// timeout) only once the rule is open.
	k.grants[key] = g
	if err := k.arm(ctx, key.Rule, now); err != nil {
		if refreshed {
			k.grants[key] = old
		} else {
			delete(k.grants, key)
		}
		return false, err
	}
	delete(k.stuck, key.Rule) // wanted open again: stop retrying its removal
	if refreshed {
		if old.expiry != nil {
			old.expiry.Stop()
		}
	} else {
		k.holders[key.Rule]++
	}
	if t.Access > 0 {
		gen := g.gen
		g.expiry = k.clk.AfterFunc(t.Access, func() { k.expire(key, gen) })
	}
	if t.Idle > 0 && k.poll == nil {
		k.poll = k.clk.AfterFunc(k.cfg.IdleCheck, k.checkIdle)
	}
	if refreshed {
		k.log.Info("grant refreshed", append(attrs(key), "access", t.Access, "idle", t.Idle)...)
	} else {
		k.log.Info("grant opened", append(attrs(key), "access", t.Access, "idle", t.Idle)...)
	}
	return refreshed, nil
}

// kernelDeadline is until when the kernel is to hold a grant's rule if
// sesamed is not there to end it: its expiry with an access time; with
// close-when-idle only, twice the idle time (and two checks) after it was
// last seen active, re-armed while it is used (see checkIdle); zero
// (no limit) with neither, as it ends only on its close sequence.
func (k *Keeper) kernelDeadline(g *grant) time.Time {
	switch {
	case g.Access > 0:
		return g.Expires
	case g.Idle > 0:
		return g.Active.Add(2*g.Idle + 2*k.cfg.IdleCheck)
	}
	return time.Time{}
}

// ttl is how long from now the kernel keeps r open: until the latest
// kernel deadline of the grants holding it, with no limit when one of
// them has none. The kernel then ends the rule on time even when sesamed
// is killed. Call with k.mu held.
func (k *Keeper) ttl(r firewall.Rule, now time.Time) time.Duration {
	var last time.Time
	for key, g := range k.grants {
		if key.Rule != r {
			continue
		}
		d := k.kernelDeadline(g)
		if d.IsZero() {
			return 0
		}
		if d.After(last) {
			last = d
		}
	}
	if last.IsZero() {
		return 0
	}
	return max(last.Sub(now), time.Millisecond)
}

// arm opens r in the firewall for ttl(r), and notes until when the kernel
// holds it. Call with k.mu held.
func (k *Keeper) arm(ctx context.Context, r firewall.Rule, now time.Time) error {
	ttl := k.ttl(r, now)
	if err := k.cfg.Firewall.Open(ctx, r, ttl); err != nil {
		return err
	}
	if ttl == 0 {
		k.armed[r] = time.Time{}
	} else {
		k.armed[r] = now.Add(ttl)
	}
	return nil
}

// Reapply opens every granted rule again, for the rest of its time: after
// somebody flushed the firewall under sesamed, the grants that were live
// are live again. It returns how many rules it opened.
func (k *Keeper) Reapply(ctx context.Context) (int, error) {
	k.mu.Lock()
	defer k.unlock()
	if k.down {
		return 0, ErrShutdown
	}
	now := k.clk.Now()
	var errs []error
	for r := range k.holders {
		if err := k.arm(ctx, r, now); err != nil {
			errs = append(errs, err)
		}
	}
	return len(k.holders), errors.Join(errs...)
}

// Revoke ends key's grant, as its door's close sequence does. A key with no
// grant is not an error. The rule stays while another door's grant holds
// it.
func (k *Keeper) Revoke(ctx context.Context, key Key) error {
	key.Rule.Src = key.Rule.Src.Unmap()
	k.mu.Lock()
	defer k.unlock()
	if _, ok := k.grants[key]; !ok {
		return nil
	}
	return k.end(ctx, key, Revoked)
}

// RevokeRule ends every door's grant of r.
func (k *Keeper) RevokeRule(ctx context.Context, r firewall.Rule) error {
	r.Src = r.Src.Unmap()
	k.mu.Lock()
	defer k.unlock()
	var errs []error
	for key := range k.grants {
		if key.Rule == r {
			errs = append(errs, k.end(ctx, key, Revoked))
		}
	}
	return errors.Join(errs...)
}

// Grants lists the grants, by door, then source, protocol and port.
func (k *Keeper) Grants() []Grant {
	k.mu.Lock()
	defer k.mu.Unlock()
	list := make([]Grant, 0, len(k.grants))
	for _, g := range k.grants {
		list = append(list, g.Grant)
	}
	slices.SortFunc(list, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Door, b.Door), a.Rule.Src.Compare(b.Rule.Src),
			cmp.Compare(a.Rule.Proto, b.Rule.Proto), cmp.Compare(a.Rule.Port, b.Rule.Port))
	})
	return list
}

// Shutdown ends every grant and removes every rule they held (and any
// whose earlier removal failed); afterwards Grant fails with ErrShutdown.
// It returns the firewall errors it met, having tried every rule.
func (k *Keeper) Shutdown(ctx context.Context) error {
	k.mu.Lock()
	defer k.unlock()
	k.down = true
	for _, t := range []*clock.Timer{&k.poll, &k.retry} {
		if *t != nil {
			(*t).Stop()
			*t = nil
		}
	}
	var errs []error
	for key := range k.grants {
		errs = append(errs, k.end(ctx, key, Shutdown))
	}
	for r := range k.stuck {
		if err := k.cfg.Firewall.Close(ctx, r); err != nil {
			errs = append(errs, err)
		} else {
			delete(k.stuck, r)
		}
	}
	if k.retry != nil { // end set one for a failure just now
		k.retry.Stop()
		k.retry = nil
	}
	return errors.Join(errs...)
}

// end removes a grant, and its rule when no other grant holds it. A rule
// that fails to go is logged and retried on a timer. Call with k.mu held.
func (k *Keeper) end(ctx context.Context, key Key, why Reason) error {
	g := k.grants[key]
	delete(k.grants, key)
	if g.expiry != nil {
		g.expiry.Stop()
	}
	k.ended = append(k.ended, ending{g.Grant, why})
	k.log.Info("grant ended", append(attrs(key), "reason", string(why))...)
	if k.holders[key.Rule]--; k.holders[key.Rule] > 0 {
		return nil
	}
	delete(k.holders, key.Rule)
	delete(k.armed, key.Rule)
	if err := k.cfg.Firewall.Close(ctx, key.Rule); err != nil {
		k.log.Error("cannot close the firewall rule; retrying", append(attrs(key), "err", err)...)
		k.stuck[key.Rule] = struct{}{}
		if k.retry == nil {
			k.retry = k.clk.AfterFunc(k.cfg.Retry, k.retryStuck)
		}
		return err
	}
	return nil
}

// timerCtx is the context of a firewall call made by a timer.
func timerCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), timerOpTimeout)
}

// expire ends a grant whose access time ran out, unless it was refreshed
// (or ended) since the timer was set.
func (k *Keeper) expire(key Key, gen uint64) {
	ctx, cancel := timerCtx()
	defer cancel()
	k.mu.Lock()
	defer k.unlock()
	if g, ok := k.grants[key]; ok && g.gen == gen && !k.down {
		_ = k.end(ctx, key, Expired) // logged, and retried
	}
}

// retryStuck tries again to remove the rules whose removal failed.
func (k *Keeper) retryStuck() {
	ctx, cancel := timerCtx()
	defer cancel()
	k.mu.Lock()
	defer k.unlock()
	k.retry = nil
	if k.down {
		return
	}
	for r := range k.stuck {
		if err := k.cfg.Firewall.Close(ctx, r); err != nil {
			k.log.Error("cannot close the firewall rule; retrying", "rule", r.String(), "err", err)
			continue
		}
		k.log.Info("firewall rule closed on retry", "rule", r.String())
		delete(k.stuck, r)
	}
	if len(k.stuck) > 0 {
		k.retry = k.clk.AfterFunc(k.cfg.Retry, k.retryStuck)
	}
}

// checkIdle looks up the established connections, marks the idle-closing
// grants that have one as active, and ends those that have had none for
// their idle time. When the table cannot be read, no connection counts as
// established: the rule may go early, which costs a knock, and never stays
// open for lack of information (connections already established go on
// through the baseline's allow-established rule).
func (k *Keeper) checkIdle() {
	ctx, cancel := timerCtx()
	defer cancel()
	flows, err := k.cfg.Flows.Flows(ctx)
	if err != nil {
		k.log.Error("cannot read the connection tracking table; idle grants count as idle", "err", err)
		flows = nil
	}
	active := map[firewall.Rule]bool{}
	for _, f := range flows {
		if !f.Established() {
			continue
		}
		if r, ok := ruleOf(f); ok {
			active[r] = true
		}
	}
	k.mu.Lock()
	defer k.unlock()
	k.poll = nil
	if k.down {
		return
	}
	now := k.clk.Now()
	waiting := false
	rearm := map[firewall.Rule]bool{}
	for key, g := range k.grants {
		if g.Idle == 0 {
			continue
		}
		if active[key.Rule] {
			g.Active = now
			// Used: push the kernel's deadline on before it comes
			// near, about once per idle time.
			if d := k.armed[key.Rule]; !d.IsZero() && d.Sub(now) < g.Idle+2*k.cfg.IdleCheck {
				rearm[key.Rule] = true
			}
		} else if now.Sub(g.Active) >= g.Idle {
			_ = k.end(ctx, key, Idle) // logged, and retried
			continue
		}
		waiting = true
	}
	for r := range rearm {
		if _, held := k.holders[r]; !held {
			continue
		}
		if err := k.arm(ctx, r, now); err != nil {
			k.log.Error("cannot re-arm the kernel's timeout of a rule in use", "rule", r.String(), "err", err)
		}
	}
	if waiting {
		k.poll = k.clk.AfterFunc(k.cfg.IdleCheck, k.checkIdle)
	}
}

// ruleOf is the rule a flow came in through: from its source to its
// original destination port.
func ruleOf(f conntrack.Flow) (firewall.Rule, bool) {
	r := firewall.Rule{Src: f.Src.Unmap(), Port: f.DstPort}
	switch f.Proto {
	case unix.IPPROTO_TCP:
		r.Proto = knocker.TCP
	case unix.IPPROTO_UDP:
		r.Proto = knocker.UDP
	default:
		return r, false
	}
	return r, r.Src != (netip.Addr{})
}
