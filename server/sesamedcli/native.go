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
	"sesame/server/sesamedlog"
)

// native is the native open action: grants (access time, refresh, idle
// close) over the firewall backend Detect picks.
type native struct {
	fw    firewall.Backend
	keep  *grants.Keeper
	flows *conntrack.Conn // nil without Close_When_Idle
}

// newNative starts the native open action for cfg. The backend starts even
// for a config without Open_Ports, quietly: its Init clears what a crashed
// run of sesamed left in the firewall, and its sets serve the nft commands
// of the config sesamed install writes. Shutdown takes it out again.
func newNative(log *sesamedlog.Logger) func(ctx context.Context, cfg *knockdconf.Config) (daemon.Native, error) {
	return func(ctx context.Context, cfg *knockdconf.Config) (daemon.Native, error) {
		needed, idle := false, false
		for _, d := range cfg.Doors {
			needed = needed || d.HasNativeOpen()
			idle = idle || d.CloseWhenIdle > 0
		}
		fw, choice, err := firewall.Detect(ctx, firewall.Options{Prefer: cfg.Firewall})
		if err == nil {
			// Init removes the rules a crashed sesamed left behind.
			err = fw.Init(ctx)
		}
		if err != nil {
			if !needed {
				log.Debug("firewall backend not started (no door needs it): %v", err)
				return nil, nil
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
		return n, nil
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

// Shutdown ends every grant and takes sesamed's chain or table out.
func (n *native) Shutdown(ctx context.Context) error {
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
