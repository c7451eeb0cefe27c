//go:build linux

package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"sesame/knockdconf"
	"sesame/server/accessconf"
	"sesame/server/replay"
	"sesame/server/sesamedlog"
	"sesame/server/spagate"
)

// spaLinesPer10s bounds the refusals logged line by line between two
// reports: a replayed packet sent again and again (one sniffed real
// packet is enough) would otherwise fill the log; the rest are counted.
const spaLinesPer10s = 20

// spaQueue bounds the SPA packets waiting for the gate. The capture hands
// them over and goes on; a flood fills the queue and the excess is
// dropped (counted), never the capture slowed.
const spaQueue = 4096

// spaOpen opens ports for src for the access time: the native open
// action, for a grant of the stanza door.
type spaOpen func(ctx context.Context, door string, src netip.Addr, ports []knockdconf.Port, access time.Duration) error

// spaServer serves fwknopd's access.conf: packets captured on the SPA
// port go to the gate, one at a time, off the capture path, and a grant
// opens the firewall through the native open action.
type spaServer struct {
	log  *sesamedlog.Logger
	open spaOpen
	now  func() time.Time

	ch   chan spagate.Packet
	port atomic.Uint32 // the SPA port; 0 serves nothing

	mu    sync.Mutex
	gate  *spagate.Gate
	cache *replay.Cache

	noise, dropped  atomic.Uint64 // since the last report
	lines, unlogged atomic.Uint64 // refusals logged and not, since the last report
}

func newSPAServer(log *sesamedlog.Logger, open spaOpen) *spaServer {
	return &spaServer{log: log, open: open, now: time.Now, ch: make(chan spagate.Packet, spaQueue)}
}

// configure serves acc on port (acc nil: no SPA). The replay cache opens
// with the first config that needs it, in stateDir, and stays: a reload
// that moves StateDir is told to restart. An error keeps what was served.
func (s *spaServer) configure(acc *accessconf.Config, port knockdconf.Port, stateDir string) error {
	if acc == nil {
		s.port.Store(0)
		s.mu.Lock()
		s.gate = nil
		s.mu.Unlock()
		return nil
	}
	if stateDir == "" {
		stateDir = knockdconf.DefaultStateDir
	}
	path := filepath.Join(stateDir, replay.File)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		c, err := replay.Open(path, s.now(), 0)
		if err != nil {
			return fmt.Errorf("Fwknop_Access: %w", err)
		}
		s.cache = c
	} else if s.cache.Path() != path {
		s.log.Error("warning: StateDir changed: restart sesamed to keep the SPA replay cache in %s (it stays in %s)", filepath.Dir(path), filepath.Dir(s.cache.Path()))
	}
	s.gate = spagate.New(acc, s.cache, 0)
	s.port.Store(uint32(port.Port))
	return nil
}

// spaPort is the UDP port SPA packets come to, 0 when none is served.
func (s *spaServer) spaPort() uint16 { return uint16(s.port.Load()) }

// offer hands a captured datagram to the gate; the capture path. payload
// is the capture's buffer, so it is copied.
func (s *spaServer) offer(src, dst netip.Addr, dstPort uint16, payload []byte) {
	p := spagate.Packet{Src: src, Dst: dst, DstPort: dstPort, Payload: append([]byte(nil), payload...)}
	select {
	case s.ch <- p:
	default:
		s.dropped.Add(1)
	}
}

// run checks the queued packets until ctx ends.
func (s *spaServer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-s.ch:
			s.handle(ctx, p)
		}
	}
}

func (s *spaServer) handle(ctx context.Context, p spagate.Packet) {
	s.mu.Lock()
	g := s.gate
	s.mu.Unlock()
	if g == nil {
		return
	}
	now := s.now()
	grant, err := g.Check(p, now)
	var r *spagate.Refusal
	switch {
	case errors.As(err, &r) && r.Kind == spagate.Noise:
		s.noise.Add(1)
		if s.log.DebugOn() {
			s.log.Debug("%s: %s", r.Line, p.Src)
		}
		return
	case err != nil:
		if s.lines.Add(1) > spaLinesPer10s {
			s.unlogged.Add(1)
			return
		}
		s.log.Event("%s", err)
		return
	}
	if err := s.open(ctx, grant.Door(), grant.Allow, grant.Ports, grant.Timeout); err != nil {
		s.log.Error("[%s] (stanza #%d) error: opening the firewall: %v; nothing was opened", grant.Src, grant.Stanza.Num, err)
		return
	}
	s.log.Event("[%s] (stanza #%d) SPA packet from user %s: Added access rule for %s %s, expires at %d",
		grant.Src, grant.Stanza.Num, grant.User, grant.Allow, portList(grant.Ports), now.Add(grant.Timeout).Unix())
}

// report logs what was refused without a line of its own since the last
// report: a flood is one line every 10 s, not one per packet.
func (s *spaServer) report() {
	noise, dropped := s.noise.Swap(0), s.dropped.Swap(0)
	s.lines.Store(0)
	if n := s.unlogged.Swap(0); n > 0 {
		s.log.Event("SPA: refused %d more packet(s) in the last 10s with a valid HMAC (replays?), past the %d logged one by one", n, spaLinesPer10s)
	}
	if noise > 0 {
		s.log.Event("SPA: refused %d packet(s) in the last 10s that are not SPA or match no stanza's SOURCE and HMAC", noise)
	}
	if dropped > 0 {
		s.log.Error("warning: SPA: dropped %d packet(s) in the last 10s: more came than sesamed could check (a flood?)", dropped)
	}
}

// close closes the replay cache; its digests are on disk already.
func (s *spaServer) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache != nil {
		if err := s.cache.Close(); err != nil {
			s.log.Error("error: closing the SPA replay cache: %v", err)
		}
	}
}
