//go:build linux

package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/action"
	"sesame/server/matcher"
	"sesame/server/rotating"
)

// nativeTimeout bounds one native firewall change.
const nativeTimeout = 10 * time.Second

// event turns the matcher's events into knockd's log lines and the doors'
// actions. It runs on the capture path with the matcher locked: it logs
// (buffered) and queues work, nothing slower.
func (d *daemon) event(e matcher.Event) {
	switch e.Kind {
	case matcher.Stage:
		d.log.Event("%s: %s: Stage %d", d.names.who(e.Src, false), e.Door.Name, e.Stage)
	case matcher.Open:
		var persist func() error
		if act := e.Door.Data.(*doorAction); act.rot != nil {
			var ok bool
			if persist, ok = d.judge(e, act.rot); !ok {
				return
			}
		}
		// With -l the name is looked up now, once the door opened, and
		// not on a first knock: a lookup then would tell whoever runs the
		// reverse zone which ports were knocked.
		d.log.Event("%s: %s: OPEN SESAME", d.names.who(e.Src, true), e.Door.Name)
		d.opened(e, persist)
	case matcher.Timeout:
		d.log.Event("%s: %s: sequence timeout (stage %d)", d.names.who(e.Src, false), e.Door.Name, e.Stage)
	case matcher.Exhausted:
		d.log.Error("no more sequences left in the one time sequences file for door %s --> disabling the door", e.Door.Name)
	case matcher.WrongKnock:
		d.log.Debug("%s: %s: wrong knock at stage %d, starting over", e.Src, e.Door.Name, e.Stage)
	case matcher.Duplicate:
		d.log.Debug("%s: %s: repeated knock, ignoring...", e.Src, e.Door.Name)
	case matcher.FlagsIgnored:
		d.log.Debug("%s: %s: packet does not have the door's TCP flags, ignoring...", e.Src, e.Door.Name)
	case matcher.Cooldown:
		d.log.Debug("%s: %s: door just opened for this address, ignoring...", e.Src, e.Door.Name)
	case matcher.Evicted:
		d.log.Debug("attempt table full: dropping %s", e.Src)
	}
}

// judge decides whether a rotating door's complete sequence opens it:
// only the sequence of a live window, and only once. An accepted window is
// spent at once in memory; persist writes the state file, and the door's
// action runs only once that has worked, so that neither a restart nor a
// full disk makes the window good again.
func (d *daemon) judge(e matcher.Event, rot *rotating.Door) (persist func() error, ok bool) {
	l := d.ledger.Load()
	now := d.clk.Now()
	who := d.names.who(e.Src, false)
	w, v := rot.Judge(l, e.Sequence, now)
	switch v {
	case rotating.Replayed:
		d.log.Event("%s: %s: REPLAY REFUSED: the sequence of window %d was used already", who, e.Door.Name, w)
		return nil, false
	case rotating.Expired:
		d.log.Event("%s: %s: expired sequence refused: its window is no longer accepted (clocks more than a window apart?)", who, e.Door.Name)
		return nil, false
	}
	d.log.Event("%s: %s: sequence of the %s window (%d), spent now", who, e.Door.Name, rot.Relative(w, now), w)
	return func() error {
		if err := l.Save(d.clk.Now()); err != nil {
			return fmt.Errorf("%w (the window stays refused until sesamed restarts; make the state directory writable by sesamed)", err)
		}
		return nil
	}, true
}

// opened queues what a door does when it opens for e.Src, as one job for
// the address: first the record that the sequence is spent (a one-time
// line marked used, a rotating window saved), then the door's action. A
// record that cannot be written keeps the door shut: a sequence that could
// be accepted again after a restart or a SIGHUP must not open anything.
func (d *daemon) opened(e matcher.Event, persist func() error) {
	act := e.Door.Data.(*doorAction)
	c := act.conf
	who := d.names.who(e.Src, false)
	if e.Door.OneTimeDoor {
		d.refilter() // the door listens for its next sequences now
		// The sequences the look-ahead skipped are spent with the one
		// knocked, in the same write: the door opens only once none of
		// them can open it again.
		spent := append([]knocker.Sequence{e.Sequence}, e.Skipped...)
		if n := len(e.Skipped); n > 0 {
			d.log.Event("%s: %s: %d skipped one time sequence(s) spent with this one (a knock was lost?)", who, c.Name, n)
		}
		persist = func() error { return d.markUsed(c, spent) }
	}
	var steps []func()
	switch {
	case act.closes:
		steps = append(steps, func() { d.nativeClose(c, e.Src, who) })
	default:
		ipv6 := e.Src.Is6()
		if cmd := c.StartCommandFor(ipv6); cmd != "" {
			steps = append(steps, d.runner.CommandsJob(action.Commands{
				Door: c.Name, Who: who, Src: e.Src,
				Start: cmd, Stop: c.StopCommandFor(ipv6), Timeout: c.CmdTimeout,
			}))
		}
		if c.HasNativeOpen() {
			steps = append(steps, func() { d.nativeOpen(c, e.Src, who) })
		}
	}
	err := d.runner.Do(e.Src, "actions of "+c.Name, func() {
		if persist != nil {
			if err := persist(); err != nil {
				d.log.Error("%s: %s: NOT OPENED: %v", who, c.Name, err)
				return
			}
		}
		for _, step := range steps {
			step()
		}
	})
	if err != nil {
		d.log.Error("error: %v", err)
	}
}

func (d *daemon) nativeOpen(c *knockdconf.Door, src netip.Addr, who string) {
	d.mu.Lock()
	n := d.native
	d.mu.Unlock()
	if n == nil {
		return // refused at start: NewNative failed
	}
	ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
	defer cancel()
	d.log.Event("%s: opening %s for %s (access %s, idle close %s)", c.Name, portList(c.OpenPorts), who, seconds(c.AccessTime), seconds(c.CloseWhenIdle))
	if err := n.Open(ctx, c.Name, src, c.OpenPorts, c.AccessTime, c.CloseWhenIdle); err != nil {
		d.log.Error("%s: could not open %s for %s: %v", c.Name, portList(c.OpenPorts), who, err)
	}
}

func (d *daemon) nativeClose(c *knockdconf.Door, src netip.Addr, who string) {
	d.mu.Lock()
	n := d.native
	d.mu.Unlock()
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
	defer cancel()
	d.log.Event("%s: closing %s for %s", c.Name, portList(c.OpenPorts), who)
	if err := n.Close(ctx, c.Name, src, c.OpenPorts); err != nil {
		d.log.Error("%s: could not close %s for %s: %v", c.Name, portList(c.OpenPorts), who, err)
	}
}

// markUsed marks one-time sequences used in their file, in one write. The
// matcher has already moved on past them, so a replay fails even before
// the file is written, and, should the write fail, until sesamed restarts.
func (d *daemon) markUsed(c *knockdconf.Door, used []knocker.Sequence) error {
	d.oneTime.Lock()
	defer d.oneTime.Unlock()
	if _, err := knockdconf.MarkOneTimeSequencesUsed(c.OneTimeSequences, used); err != nil {
		return fmt.Errorf("error while disabling used one time sequence: %w (the sequence stays refused until sesamed restarts; make %s writable by sesamed, e.g. ReadWritePaths= in its unit)", err, c.OneTimeSequences)
	}
	return nil
}

func portList(ps []knockdconf.Port) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// names are the knocking addresses as log lines show them: the address,
// or with -l "address (host name)", as knockd prints them. Names are looked
// up in the background when a door opens, so a slow resolver never holds
// the capture up; lines logged before the answer show the address.
type names struct {
	lookup     bool
	lookupAddr func(ctx context.Context, addr string) ([]string, error)

	mu    sync.Mutex
	cache map[netip.Addr]string
	busy  int
}

// maxNames bounds the name cache; maxLookups the lookups in flight.
const (
	maxNames   = 4096
	maxLookups = 8
)

// newNames looks names up with resolve (nil: the system's resolver).
func newNames(lookup bool, resolve func(ctx context.Context, addr string) ([]string, error)) *names {
	if resolve == nil {
		resolve = net.DefaultResolver.LookupAddr
	}
	return &names{lookup: lookup, lookupAddr: resolve, cache: map[netip.Addr]string{}}
}

func (n *names) who(a netip.Addr, start bool) string {
	if !n.lookup {
		return a.String()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if name, ok := n.cache[a]; ok {
		if name == "" {
			return a.String()
		}
		return fmt.Sprintf("%s (%s)", a, name)
	}
	if start && n.busy < maxLookups {
		if len(n.cache) >= maxNames {
			clear(n.cache)
		}
		n.cache[a] = ""
		n.busy++
		go n.resolve(a)
	}
	return a.String()
}

func (n *names) resolve(a netip.Addr) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hosts, err := n.lookupAddr(ctx, a.String())
	n.mu.Lock()
	defer n.mu.Unlock()
	n.busy--
	if err == nil && len(hosts) > 0 {
		n.cache[a] = strings.TrimSuffix(hosts[0], ".")
	}
}
