//go:build linux

package sesamedcli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/conntrack"
	"sesame/server/daemon"
	"sesame/server/firewall"
	"sesame/server/grants"
	"sesame/server/install"
	"sesame/server/sesamedlog"
)

// native is the native open action: grants (access time, refresh, idle
// close) over the firewall backend Detect picks, or the one install
// recorded; with a guard, it also keeps the baseline in place.
type native struct {
	fw    firewall.Backend
	keep  *grants.Keeper
	flows *conntrack.Conn // nil without Close_When_Idle
	stop  context.CancelFunc
	done  chan struct{} // closed when the repair loop has returned
}

// guardFile is the install record --guard names; "" without --guard.
type guardFile string

// newNative starts the native open action for cfg. The backend starts even
// for a config without Open_Ports, quietly: its Init clears what a crashed
// run of sesamed left in the firewall, and its sets serve the nft commands
// of the config sesamed install writes. With --guard it must start: it
// builds the baseline install recorded, and sesamed does not start without
// it. Shutdown takes it out again, all but the guard.
func newNative(log *sesamedlog.Logger, guard guardFile) func(ctx context.Context, cfg *knockdconf.Config) (daemon.Native, error) {
	return func(ctx context.Context, cfg *knockdconf.Config) (daemon.Native, error) {
		needed, idle := guard != "" || cfg.NeedsNative(), false
		for _, d := range cfg.Doors {
			idle = idle || d.CloseWhenIdle > 0
		}
		fw, choice, g, err := backend(ctx, cfg, guard)
		var stale []firewall.Rule
		if err == nil {
			// Init removes the rules a crashed sesamed left behind; list
			// them first, to say so.
			stale, _ = fw.Stale(ctx)
			err = fw.Init(ctx)
		}
		if err != nil {
			if !needed {
				log.Debug("firewall backend not started (no door needs it): %v", err)
				return nil, nil
			}
			if guard != "" {
				return nil, fmt.Errorf("%w; sesamed does not start without the guard of %s", err, guard)
			}
			return nil, err
		}
		say := log.Debug
		if needed {
			say = log.Event
		}
		say("firewall: %s%s (%s)", choice.Name, variant(choice.Variant), choice.Reason)
		if choice.Warning != "" && needed {
			log.Error("warning: %s", choice.Warning)
		}
		if g != nil {
			log.Event("guard: %s/%d shut to all but knockers%s", g.Proto, g.Port, allowedNote(g.Allow))
			if ipt, ok := fw.(*firewall.IPTables); ok && ipt.IPv6Skipped() != "" {
				log.Event("guard: IPv6 left out: %s", ipt.IPv6Skipped())
			}
		}
		if len(stale) > 0 {
			log.Event("firewall: removed %d rule(s) a previous sesamed left open: %s", len(stale), ruleList(stale))
		}
		n := &native{fw: fw}
		var flows grants.Flows
		if idle {
			c, err := conntrack.Dial()
			if err != nil {
				_ = fw.Flush(ctx)
				return nil, fmt.Errorf("Close_When_Idle needs the connection tracking table: %w", err)
			}
			// Only the idle-closing grants' ports are asked about (a
			// flood on another service costs nothing), and a failed read
			// keeps the last answer for a few seconds rather than closing
			// every grant.
			n.flows, flows = c, conntrack.NewReader(c, conntrack.ReaderOptions{
				Ports: func() []conntrack.Port { return idlePorts(n.keep) },
				OnError: func(err error, kept bool) {
					if kept {
						log.Error("warning: %v; idle close goes on with the last answer", err)
					}
				},
			})
		}
		n.keep, err = grants.New(grants.Config{
			Firewall: fw,
			Flows:    flows,
			Logger:   slog.New(&logHandler{log: log}),
			OnEnd: func(g grants.Grant, why grants.Reason) {
				log.Event("%s: closed %s/%d for %s (%s)", g.Door, g.Rule.Proto, g.Rule.Port, g.Rule.Src, why)
			},
		})
		if err != nil {
			n.close(ctx)
			return nil, err
		}
		wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		n.stop, n.done = stop, make(chan struct{})
		go func() {
			defer close(n.done)
			n.repair(wctx, log)
		}()
		return n, nil
	}
}

// backend is the firewall backend: the one install recorded, with its
// guard, under --guard; else the one Detect picks.
func backend(ctx context.Context, cfg *knockdconf.Config, guard guardFile) (firewall.Backend, firewall.Choice, *firewall.Guard, error) {
	if guard == "" {
		fw, choice, err := firewall.Detect(ctx, firewall.Options{Prefer: cfg.Firewall})
		return fw, choice, nil, err
	}
	choice, g, err := install.ReadGuard(string(guard))
	if err != nil {
		return nil, choice, nil, err
	}
	if cfg.Firewall != "" && cfg.Firewall != "auto" && cfg.Firewall != choice.Name {
		choice.Warning = fmt.Sprintf("the config asks for Firewall %s, but sesamed install set up %s: %s it is (reinstall to change it)", cfg.Firewall, choice.Name, choice.Name)
	}
	fw, choice, err := firewall.New(choice, firewall.Options{Guard: &g})
	return fw, choice, &g, err
}

func allowedNote(allow []netip.Prefix) string {
	if len(allow) == 0 {
		return ""
	}
	s := make([]string, len(allow))
	for i, a := range allow {
		s[i] = a.String()
	}
	return " and " + strings.Join(s, ", ")
}

func ruleList(rules []firewall.Rule) string {
	s := make([]string, len(rules))
	for i, r := range rules {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

// repairGap is the least time between two looks at the ruleset.
const repairGap = 100 * time.Millisecond

// repair puts sesamed's chain, its accepts, the guard and the live grants
// back when somebody changed the ruleset under it (a reboot's restore, `nft
// flush ruleset`, a reload of nftables or ufw), as the kernel reports such
// changes; a legacy iptables ruleset, which reports nothing, is looked at
// every firewall.LegacyPoll instead.
func (n *native) repair(ctx context.Context, log *sesamedlog.Logger) {
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if firewall.NeedsPolling(n.fw) {
		go func() {
			t := time.NewTicker(firewall.LegacyPoll)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					signal()
				}
			}
		}()
	} else {
		go func() {
			if err := firewall.Watch(ctx, signal); err != nil {
				log.Error("warning: cannot watch the firewall for reloads, so a flushed ruleset is not repaired: %v", err)
			}
		}()
	}
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		// A host that changes its ruleset all the time (container
		// runtimes do) gets one look per repairGap, not one per change.
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
		pause.Reset(repairGap)
		err := n.fw.Check(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		log.Error("firewall: %v (the ruleset was changed under sesamed); restoring", err)
		if err := n.fw.Establish(ctx); err != nil {
			log.Error("firewall: cannot restore sesamed's rules: %v", err)
			continue
		}
		count, err := n.keep.Reapply(ctx)
		if err != nil {
			log.Error("firewall: cannot reopen the live grants: %v", err)
		}
		log.Event("firewall: restored sesamed's chain, accepts and guard, and %d live grant(s)", count)
	}
}

func variant(v string) string {
	if v == "" {
		return ""
	}
	return " (" + v + ")"
}

func rules(src netip.Addr, ports []knockdconf.Port) []firewall.Rule {
	out := make([]firewall.Rule, len(ports))
	for i, p := range ports {
		out[i] = firewall.Rule{Src: src, Proto: p.Proto, Port: p.Port}
	}
	return out
}

func (n *native) Open(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port, access, idle time.Duration) error {
	var errs []error
	for _, r := range rules(src, ports) {
		if _, err := n.keep.Grant(ctx, grants.Key{Door: door, Rule: r}, grants.Terms{Access: access, Idle: idle}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *native) Close(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port) error {
	var errs []error
	for _, r := range rules(src, ports) {
		errs = append(errs, n.keep.Revoke(ctx, grants.Key{Door: door, Rule: r}))
	}
	return errors.Join(errs...)
}

// Shutdown ends every grant and takes sesamed's chain or table out; a
// guard stays, so that the port stays shut.
func (n *native) Shutdown(ctx context.Context) error {
	n.stop()
	<-n.done
	err := n.keep.Shutdown(ctx)
	return errors.Join(err, n.close(ctx))
}

func (n *native) close(ctx context.Context) error {
	var errs []error
	errs = append(errs, n.fw.Flush(ctx))
	if n.flows != nil {
		errs = append(errs, n.flows.Close())
	}
	return errors.Join(errs...)
}

// logHandler puts the grant keeper's structured messages in sesamed's log:
// warnings and errors (a rule that would not go) as errors, the rest as
// debug lines; OnEnd already says when a grant ends.
type logHandler struct {
	log   *sesamedlog.Logger
	attrs []slog.Attr
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.log.DebugOn()
}

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if r.Level >= slog.LevelWarn {
		h.log.Error("firewall: %s", b.String())
	} else {
		h.log.Debug("firewall: %s", b.String())
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logHandler{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }

// idlePorts are the destinations of the grants that close when idle.
func idlePorts(k *grants.Keeper) []conntrack.Port {
	if k == nil {
		return nil
	}
	var out []conntrack.Port
	for _, g := range k.Grants() {
		if g.Idle == 0 {
			continue
		}
		p := conntrack.Port{Proto: unix.IPPROTO_TCP, Port: g.Rule.Port}
		if g.Rule.Proto == knocker.UDP {
			p.Proto = unix.IPPROTO_UDP
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
