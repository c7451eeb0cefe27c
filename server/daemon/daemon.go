//go:build linux

// Package daemon is sesamed at work: it reads the config, listens on the
// interfaces, feeds the packets to the matcher and turns the matcher's
// events into knockd's log lines and the doors' actions; it reloads on
// request and, when it stops, removes everything it opened.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sesame/internal/clock"
	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/action"
	"sesame/server/capture"
	"sesame/server/internal/steps"
	"sesame/server/loadconf"
	"sesame/server/matcher"
	"sesame/server/netwatch"
	"sesame/server/packet"
	"sesame/server/rotating"
	"sesame/server/sesamedlog"
)

// Native is the native open action (Open_Ports): rules sesamed adds to the
// firewall itself, with no shell.
type Native interface {
	// Open lets src reach ports for the access time (0: no limit), or
	// until it has had no established connection for idle (0: off). A
	// second Open refreshes the first.
	Open(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port, access, idle time.Duration) error
	// Close ends what Open did for door and src (the close sequence).
	Close(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port) error
	// Shutdown removes every rule sesamed added.
	Shutdown(ctx context.Context) error
}

// Options are sesamed's settings from its command line.
type Options struct {
	ConfigPath string
	// LogFile (-g) wins over the config's LogFile; loading the config
	// checks it (Log is opened by the caller).
	LogFile string
	// Interfaces (-i) win over the config's Interface.
	Interfaces []string
	IPv4Only   bool // -4
	Lookup     bool // -l: reverse DNS names in log lines
	// Log is where messages go; the caller opened it from the flags and
	// the config, and Run reopens it on reload.
	Log *sesamedlog.Logger
	// Stdout and Stderr receive the doors' commands' output.
	Stdout, Stderr io.Writer
	// NewNative starts the native open action's firewall backend. Run calls
	// it once, at start or at the first reload that needs it; nil when the
	// build has none.
	NewNative func(ctx context.Context, cfg *knockdconf.Config) (Native, error)
	// Reload delivers SIGHUP.
	Reload <-chan struct{}
	// Ready is called once every interface is being listened on.
	Ready func()
	// MaxSources bounds the attempt table (0: the matcher's default).
	MaxSources int
	// Clock tells the doors' time: knock timeouts and cooldowns, rotating
	// windows (nil: the system clock). Tests pass a fake one.
	Clock clock.Clock
}

// shutdownTimeout bounds the clean-up at exit, all of it.
const shutdownTimeout = 30 * time.Second

type daemon struct {
	opt Options
	log *sesamedlog.Logger
	clk clock.Clock

	runner   *action.Runner
	spa      *spaServer // fwknopd's access.conf, when the config names one
	names    *names
	oneTime  sync.Mutex // one-time sequence files are rewritten one at a time
	m        atomic.Pointer[matcher.Matcher]
	filterCh chan struct{} // the doors or addresses changed
	// ledger records the spent windows of rotating doors; opened with the
	// first config that has one. An atomic, because the matcher's events
	// (under its lock) read it.
	ledger atomic.Pointer[rotating.Ledger]
	rollCh chan struct{} // the rotating doors changed

	mu       sync.Mutex
	cfg      *knockdconf.Config
	native   Native
	ifaces   []string
	net      netwatch.State
	netCh    chan struct{} // closed and replaced when net changes
	handles  map[string]*capture.Handle
	rots     []*rotatingDoor // the current matcher's rotating doors
	ones     []*oneTimeDoor  // and its one-time doors
	filter   string
	stopM    context.CancelFunc // ends the current matcher's timer loop
	evicted  uint64             // evictions already reported
	reported time.Time
}

// Run runs sesamed until ctx ends, then removes what it opened and
// returns nil. It returns an error when it cannot start.
func Run(ctx context.Context, opt Options) error {
	if !capture.Available {
		_, err := capture.Open("", "")
		return err
	}
	b := &boot{daemon: newDaemon(opt), readNet: netwatch.Read}
	// Each step's undo runs when a later one fails, or at exit: in
	// reverse, so that the listeners stop before the doors' pending
	// actions run, and those before the firewall rules go.
	stop, err := steps.Start(ctx, slices.Concat(b.doorSteps(), b.listenerSteps())...)
	defer stop()
	if err != nil {
		return err
	}
	if opt.Ready != nil {
		opt.Ready()
	}
	b.serve(ctx)
	return nil
}

// newDaemon is a daemon that has started nothing yet.
func newDaemon(opt Options) *daemon {
	clk := opt.Clock
	if clk == nil {
		clk = clock.System{}
	}
	d := &daemon{
		opt:      opt,
		log:      opt.Log,
		clk:      clk,
		names:    newNames(opt.Lookup, nil),
		filterCh: make(chan struct{}, 1),
		rollCh:   make(chan struct{}, 1),
		netCh:    make(chan struct{}),
		handles:  map[string]*capture.Handle{},
	}
	d.spa = newSPAServer(opt.Log, d.openSPA)
	d.spa.now = clk.Now
	return d
}

// openSPA opens the firewall for an SPA grant, natively: SPA has no
// commands, and the grant ends on the kernel's timer like Open_Ports'.
func (d *daemon) openSPA(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port, access time.Duration) error {
	d.mu.Lock()
	n := d.native
	d.mu.Unlock()
	if n == nil {
		return errors.New("no firewall backend is running")
	}
	return n.Open(ctx, door, src, ports, access, 0)
}

// doorSteps start sesamed's doors and what they do when they open:
// everything but the listeners (the tests without root leave those out).
func (b *boot) doorSteps() []steps.Step {
	return []steps.Step{
		b.readInterfaces,
		b.loadConfig,
		b.logShutdown,
		b.keepSpentWindows,
		b.startFirewall,
		b.startActions,
		b.startDoors,
	}
}

// listenerSteps start what hands the doors their packets, and what keeps
// the doors and the captures current.
func (b *boot) listenerSteps() []steps.Step {
	return []steps.Step{
		b.watchInterfaces,
		b.listenForKnocks,
		b.serveSPA,
		b.followFilter,
		b.rollRotatingDoors,
		b.pickUpOneTimeSequences,
	}
}

// boot is the daemon as Run's steps start it: what a step finds out for
// the steps after it, and the deadline of the clean-up at exit.
type boot struct {
	*daemon
	net netwatch.State   // the interfaces at start
	ld  *loadconf.Loaded // the config at start
	// readNet reads the interfaces (netwatch.Read; tests pass fake ones).
	readNet func() (netwatch.State, error)

	cleanupCtx    context.Context
	cleanupCancel context.CancelFunc
}

// readInterfaces reads which interfaces there are, up or down, and their
// addresses.
func (b *boot) readInterfaces(context.Context) (func(), error) {
	state, err := b.readNet()
	b.net = state
	return nil, err
}

// loadConfig reads the config (and its one-time files, seeds, log file
// settings) as `sesamed check` does.
func (b *boot) loadConfig(context.Context) (func(), error) {
	ld, err := b.load(b.net)
	b.ld = ld
	return nil, err
}

// logShutdown says, last at exit, that sesamed is done, as knockd does:
// from here on every exit says it, also a failed start.
func (b *boot) logShutdown(context.Context) (func(), error) {
	return func() {
		b.log.Verbose("closing...")
		b.log.Log("shutting down")
		b.log.Flush()
		if b.cleanupCancel != nil {
			b.cleanupCancel()
		}
	}, nil
}

// cleanup bounds the clean-up at exit, all of it together: the first
// undo that needs it starts the clock (undos run one at a time).
func (b *boot) cleanup() context.Context {
	if b.cleanupCtx == nil {
		b.cleanupCtx, b.cleanupCancel = context.WithTimeout(context.Background(), shutdownTimeout)
	}
	return b.cleanupCtx
}

// keepSpentWindows saves, at exit, the record of the rotating doors'
// spent windows, which the first config with a rotating door opens (see
// openLedger).
func (b *boot) keepSpentWindows(context.Context) (func(), error) {
	return func() {
		if l := b.ledger.Load(); l != nil {
			if err := l.Save(b.clk.Now()); err != nil {
				b.log.Error("error: %v", err)
			}
		}
	}, nil
}

// startFirewall starts the native open action's backend; at exit every
// rule sesamed added goes, also those of a backend a reload started.
func (b *boot) startFirewall(ctx context.Context) (func(), error) {
	undo := func() {
		b.mu.Lock()
		native := b.native
		b.mu.Unlock()
		if native == nil {
			return
		}
		if err := native.Shutdown(b.cleanup()); err != nil {
			b.log.Error("error: removing sesamed's firewall rules: %v", err)
		}
	}
	if err := b.startNative(ctx, b.ld.Config, true); err != nil {
		undo()
		return nil, err
	}
	return undo, nil
}

// startActions starts the runner of the doors' actions; at exit the
// pending stop commands run, before the firewall rules go.
func (b *boot) startActions(context.Context) (func(), error) {
	b.runner = action.NewRunner(b.log, action.Options{Stdout: b.opt.Stdout, Stderr: b.opt.Stderr})
	return func() {
		if err := b.runner.Close(b.cleanup()); err != nil {
			b.log.Error("error: %v", err)
		}
	}, nil
}

// startDoors puts the config's doors to work in a matcher, on the
// interfaces there are; at exit the current matcher's timers stop.
func (b *boot) startDoors(ctx context.Context) (func(), error) {
	undo := func() {
		b.mu.Lock()
		if b.stopM != nil {
			b.stopM()
		}
		b.mu.Unlock()
	}
	if err := b.apply(ctx, b.ld, b.ld.Interfaces); err != nil {
		undo()
		return nil, err
	}
	b.setNet(b.net)
	return undo, nil
}

// watchInterfaces follows interfaces going down, coming back and
// changing address.
func (b *boot) watchInterfaces(ctx context.Context) (func(), error) {
	return steps.Background(ctx, func(ctx context.Context) { _ = netwatch.Watch(ctx, b.setNet) }), nil
}

// listenForKnocks opens a capture on each interface and keeps it running.
func (b *boot) listenForKnocks(ctx context.Context) (func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stop := func() {
		cancel()
		wg.Wait()
	}
	for _, name := range b.interfaces() {
		h, err := b.open(name)
		if err != nil {
			// An interface that exists but is down may come up later; any
			// other failure is a mistake to report now, as knockd does.
			if name == netwatch.Any || b.net[name].Up {
				stop()
				return nil, err
			}
			b.log.Error("%v; waiting for %s to come up", err, name)
		} else {
			b.log.Verbose("listening on %s...", name)
			b.log.Log("starting up, listening on %s", name)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.supervise(ctx, name, h)
		}()
	}
	return stop, nil
}

// serveSPA checks the SPA packets the captures hand over (fwknopd's
// access.conf), off the capture path, and opens through the same
// firewall; its undo stops it before the firewall rules go.
func (b *boot) serveSPA(ctx context.Context) (func(), error) {
	stop := steps.Background(ctx, b.spa.run)
	if acc := b.ld.Access; acc != nil {
		b.log.Event("serving fwknop SPA on %s: %d stanza(s) from %s", b.ld.Config.FwknopPort(), len(acc.Stanzas), acc.File)
	}
	return func() {
		stop()
		b.spa.close()
	}, nil
}

// followFilter keeps the captures' filter on the doors and addresses.
func (b *boot) followFilter(ctx context.Context) (func(), error) {
	return steps.Background(ctx, b.refilterLoop), nil
}

// rollRotatingDoors moves the rotating doors on as windows begin.
func (b *boot) rollRotatingDoors(ctx context.Context) (func(), error) {
	return steps.Background(ctx, b.rollLoop), nil
}

// pickUpOneTimeSequences follows lines appended to one-time files.
func (b *boot) pickUpOneTimeSequences(ctx context.Context) (func(), error) {
	return steps.Background(ctx, b.oneTimeLoop), nil
}

// serve answers SIGHUP and reports a full attempt table until ctx ends.
func (d *daemon) serve(ctx context.Context) {
	report := time.NewTicker(10 * time.Second)
	defer report.Stop()
	for {
		select {
		case <-ctx.Done():
			// Standard output only, as knockd 0.8 writes it: log watchers
			// see "shutting down" and nothing else at exit.
			d.log.Verbose("waiting for child processes...")
			return
		case <-d.opt.Reload:
			d.reload(ctx)
		case <-report.C:
			d.reportEvictions()
			d.spa.report()
		}
	}
}

// load reads the config as `sesamed check` does (loadconf), and logs its
// warnings. net is the interfaces there are, at start; nil on a reload
// (SIGHUP), which keeps the interfaces and the log file.
func (d *daemon) load(net netwatch.State) (*loadconf.Loaded, error) {
	ld, err := loadconf.Load(loadconf.Options{
		Path: d.opt.ConfigPath, LogFile: d.opt.LogFile, Interfaces: d.opt.Interfaces, Net: net, Reload: net == nil,
	})
	if err != nil {
		return nil, err
	}
	for _, w := range ld.Warnings {
		d.log.Error("warning: %s", w)
	}
	return ld, nil
}

// interfaces are the interfaces to listen on: -i, else Interface, else
// the default route's, else eth0.
func (d *daemon) interfaces() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ifaces
}

// startNative starts the native open action's backend if the config uses
// it and it is not running yet. At start it is asked even for a config
// without Open_Ports (first), so that it can clear rules a crashed run left.
func (d *daemon) startNative(ctx context.Context, cfg *knockdconf.Config, first bool) error {
	d.mu.Lock()
	running := d.native != nil
	d.mu.Unlock()
	if running || (!first && !needsNative(cfg)) {
		return nil
	}
	if d.opt.NewNative == nil && !needsNative(cfg) {
		return nil
	}
	if d.opt.NewNative == nil {
		return errors.New("this sesamed has no firewall backend for Open_Ports: use Start_Command instead")
	}
	n, err := d.opt.NewNative(ctx, cfg)
	if err != nil {
		return fmt.Errorf("firewall for Open_Ports: %w", err)
	}
	d.mu.Lock()
	d.native = n
	d.mu.Unlock()
	return nil
}

// apply puts cfg's doors to work on ifaces: a new matcher (attempts in
// progress are dropped, as knockd does on reload) and the filter that goes
// with it.
func (d *daemon) apply(ctx context.Context, ld *loadconf.Loaded, ifaces []string) error {
	cfg := ld.Config
	// SPA first: it is the one part that can fail (its replay cache),
	// and a reload that fails keeps everything as it was.
	if err := d.spa.configure(ld.Access, cfg.FwknopPort(), cfg.StateDir); err != nil {
		return err
	}
	doors, rots, ones := buildDoors(ld, d.clk.Now())
	if len(rots) > 0 {
		d.openLedger(cfg)
	}
	m := matcher.New(doors, d.event, matcher.Options{MaxSources: d.opt.MaxSources, Now: d.clk.Now})
	mctx, stop := context.WithCancel(ctx)
	d.mu.Lock()
	d.cfg = cfg
	d.ifaces = ifaces
	if d.net != nil {
		m.SetLocal(d.net.Addrs(d.ifaces))
	}
	if d.stopM != nil {
		d.stopM()
	}
	d.stopM = stop
	d.m.Store(m)
	d.rots = rots
	d.ones = ones
	d.mu.Unlock()
	go m.Run(mctx)
	select {
	case d.rollCh <- struct{}{}:
	default:
	}
	d.syncFilter()
	return nil
}

// openLedger reads the record of spent windows, once: a reload that moves
// StateDir is told to restart. An unreadable record is logged, and the
// ledger refuses the windows live now (rotating.CorruptError).
func (d *daemon) openLedger(cfg *knockdconf.Config) {
	path := rotating.StatePath(cfg)
	if l := d.ledger.Load(); l != nil {
		if l.Path() != path {
			d.log.Error("warning: StateDir changed: restart sesamed to keep the spent windows in %s (they stay in %s)", filepath.Dir(path), filepath.Dir(l.Path()))
		}
		return
	}
	l, err := rotating.OpenLedger(path, d.clk.Now())
	if err != nil {
		d.log.Error("error: %v", err)
	}
	d.ledger.Store(l)
}

// rollLoop moves the rotating doors' slots on as windows begin, and has
// the capture filter follow.
func (d *daemon) rollLoop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := d.roll(d.clk.Now())
		timer.Reset(next.Sub(d.clk.Now()))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-d.rollCh:
		}
	}
}

// roll gives the rotating doors the sequences of the windows live at now,
// and returns when the next window begins (in an hour at the latest).
func (d *daemon) roll(now time.Time) (next time.Time) {
	d.mu.Lock()
	m, rots := d.m.Load(), d.rots
	d.mu.Unlock()
	next = now.Add(time.Hour)
	changed := false
	for _, rd := range rots {
		if rd.roll(m, now) {
			changed = true
		}
		if t := rd.rot.NextChange(now); t.Before(next) {
			next = t
		}
	}
	if changed {
		d.refilter()
	}
	return next
}

// reload reopens the log file and re-reads the config (SIGHUP). The log
// comes first: logrotate's HUP must move sesamed to the new file even when
// the config has a typo, and that typo's error belongs in the new file. A
// config that does not load is logged and the running one stays: a typo
// never takes the doors down.
func (d *daemon) reload(ctx context.Context) {
	if err := d.log.Reopen(); err != nil {
		d.log.Error("warning: cannot reopen the log file: %v", err)
	}
	d.log.Verbose("re-reading config file: %s", d.opt.ConfigPath)
	d.log.Log("re-reading config file: %s", d.opt.ConfigPath)
	ld, err := d.load(nil)
	if err == nil {
		err = d.startNative(ctx, ld.Config, false)
	}
	if err == nil {
		cfg := ld.Config
		d.mu.Lock()
		old, ifaces := d.cfg, d.ifaces
		d.mu.Unlock()
		if cfg.Firewall != old.Firewall {
			d.log.Error("warning: Firewall changed from %q to %q: restart sesamed to switch backends", old.Firewall, cfg.Firewall)
		}
		if cfg.UseSyslog != old.UseSyslog || cfg.LogFile != old.LogFile || cfg.PidFile != old.PidFile {
			d.log.Error("warning: UseSyslog, LogFile and PidFile changes take effect when sesamed restarts")
		}
		if want := ld.Interfaces; !slices.Equal(want, ifaces) {
			d.log.Error("warning: Interface changed from %s to %s: restart sesamed to listen there",
				strings.Join(ifaces, ","), strings.Join(want, ","))
		}
		err = d.apply(ctx, ld, ifaces)
	}
	if err != nil {
		d.log.Error("error: %v; keeping the configuration already running", err)
		return
	}
	if ld.Access != nil {
		d.log.Event("reloaded %s: %d doors, %d SPA stanzas from %s", d.opt.ConfigPath, len(ld.Doors), len(ld.Access.Stanzas), ld.Access.File)
		return
	}
	d.log.Event("reloaded %s: %d doors", d.opt.ConfigPath, len(ld.Doors))
}

// setNet takes a new interface state from netwatch.
func (d *daemon) setNet(s netwatch.State) {
	d.mu.Lock()
	d.net = s
	close(d.netCh)
	d.netCh = make(chan struct{})
	if m := d.m.Load(); m != nil {
		m.SetLocal(s.Addrs(d.ifaces))
	}
	d.mu.Unlock()
	d.refilter()
}

// refilter asks refilterLoop to rebuild the capture filter.
func (d *daemon) refilter() {
	select {
	case d.filterCh <- struct{}{}:
	default:
	}
}

func (d *daemon) refilterLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.filterCh:
		}
		d.syncFilter()
	}
}

// syncFilter puts the current filter on every capture and waits until
// they use it, so that a knock sent after a reload is seen.
func (d *daemon) syncFilter() {
	f := d.currentFilter()
	d.mu.Lock()
	if f == d.filter {
		d.mu.Unlock()
		return
	}
	d.filter = f
	var applied []<-chan struct{}
	for _, h := range d.handles {
		applied = append(applied, h.SetFilter(f))
	}
	d.mu.Unlock()
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for _, a := range applied {
		select {
		case <-a:
		case <-timeout.C:
			d.log.Error("warning: a capture did not take the new filter within 5s")
			return
		}
	}
	d.log.Debug("capture filter: %s", f)
}

func (d *daemon) currentFilter() string {
	m := d.m.Load()
	d.mu.Lock()
	local := d.net.Addrs(d.ifaces)
	d.mu.Unlock()
	var doors []capture.Door
	for _, md := range m.Doors() {
		// A one-time door's next sequence too, for a client that uses two
		// in a row.
		seq := md.Sequence
		for _, next := range md.OneTime {
			seq = append(seq, next...)
		}
		doors = append(doors, capture.Door{Sequence: seq, Flags: md.Flags, Target: md.Target})
	}
	if port := d.spa.spaPort(); port != 0 {
		doors = append(doors, capture.Door{Sequence: knocker.Sequence{{Port: port, Proto: knocker.UDP}}})
	}
	return capture.Filter(doors, local, d.opt.IPv4Only)
}

// open starts a capture on one interface with the current filter.
func (d *daemon) open(name string) (*capture.Handle, error) {
	f := d.currentFilter()
	h, err := capture.Open(name, f)
	if err != nil {
		return nil, err
	}
	d.log.Debug("%s: %s link, filter: %s", name, h.LinkType(), f)
	d.mu.Lock()
	d.handles[name] = h
	d.filter = f
	d.mu.Unlock()
	d.refilter() // in case the doors or addresses changed meanwhile
	return h, nil
}

// supervise runs the capture on one interface, and when it fails (the
// interface went down or away) waits for the interface and opens it again.
func (d *daemon) supervise(ctx context.Context, name string, h *capture.Handle) {
	for {
		if h != nil {
			lt := h.LinkType()
			opened := time.Now()
			err := h.Run(ctx, func(data []byte) { d.packet(lt, data) })
			h.Close()
			d.mu.Lock()
			delete(d.handles, name)
			d.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			d.log.Error("%v; waiting for %s to come back", err, name)
			// A capture that fails as soon as it opens is not waited
			// for in a tight loop.
			if wait := time.Second - time.Since(opened); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		h = d.reopen(ctx, name)
		if h == nil {
			return
		}
		d.log.Event("listening on %s again", name)
	}
}

// reopen waits until the interface is up and a capture on it opens.
func (d *daemon) reopen(ctx context.Context, name string) *capture.Handle {
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		d.mu.Lock()
		changed := d.netCh
		ifc, ok := d.net[name]
		d.mu.Unlock()
		if (ok && ifc.Up) || name == netwatch.Any {
			if h, err := d.open(name); err == nil {
				return h
			}
			retry.Reset(time.Second)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-retry.C:
		}
	}
}

// packet is the capture path: decode, and hand to the matcher, or an SPA
// packet to the SPA server.
func (d *daemon) packet(lt packet.LinkType, data []byte) {
	p, payload, err := packet.DecodePayload(lt, data)
	if err != nil {
		return
	}
	if d.opt.IPv4Only && p.Src.Is6() {
		return
	}
	if d.log.DebugOn() {
		d.log.Debug("%s: %s: %s:%d -> %s:%d %d bytes", time.Now().Format("2006-01-02 15:04:05"), p.Proto,
			p.Src, p.SrcPort, p.Dst, p.DstPort, len(data))
	}
	if p.Proto == knocker.UDP && p.DstPort == d.spa.spaPort() && p.DstPort != 0 {
		d.spa.offer(p.Src, p.Dst, p.DstPort, payload)
		return
	}
	d.m.Load().Handle(p)
}

// reportEvictions logs how many sources the full attempt table dropped.
func (d *daemon) reportEvictions() {
	s := d.m.Load().Stats()
	d.mu.Lock()
	defer d.mu.Unlock()
	// A reload starts a new matcher and its counters from zero.
	if s.Evicted < d.evicted {
		d.evicted = 0
	}
	if n := s.Evicted - d.evicted; n > 0 {
		d.log.Error("warning: the attempt table is full (%d sources): dropped the %d least recently active in the last 10s (a flood of knocks from many addresses?)", s.Sources, n)
	}
	d.evicted = s.Evicted
}
