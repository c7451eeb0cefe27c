// Package matcher follows knock attempts, per source address, through the
// doors' sequences, with knockd's semantics and these fixes:
//
//   - attempts expire on a timer (Run), not only when the next packet comes;
//   - a wrong knock cancels the attempt, and the same packet is then checked
//     as the first knock of every door, so an immediate retry works;
//   - a repeat of the knock just made (a TCP retransmit, a duplicated
//     datagram: same ports and protocol) leaves the attempt alone;
//   - after a door opens for an address, that address's knocks on the door
//     are ignored for the door's cooldown;
//   - the attempt table is bounded: when it is full the least recently
//     active source is evicted and counted, so a flood of spoofed sources
//     cannot grow memory; sources that have made two correct knocks are
//     evicted only after every source that has made one, so a flood from
//     random addresses (which never get past the first knock) cannot push
//     out a client half way through its sequence.
//
// Every packet costs O(1) work (the doors sharing its port, a map lookup)
// and no allocation once the table's pools are warm.
package matcher

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/packet"
)

// Door is a knock sequence to watch for.
type Door struct {
	Name       string
	Sequence   knocker.Sequence
	SeqTimeout time.Duration
	Cooldown   time.Duration
	Flags      knockdconf.TCPFlags
	// Target, when valid, is the only destination the door's knocks count
	// for; otherwise any of the local addresses (SetLocal).
	Target netip.Addr
	// OneTime holds the one-time sequences that follow Sequence: each time
	// the door opens, the next one replaces it. A door built from a
	// One_Time_Sequences file sets OneTimeDoor.
	OneTime     []knocker.Sequence
	OneTimeDoor bool
	// Group, when set, makes the door one slot of a one-time door that
	// listens for several of its next sequences (see OneTimeSlots).
	Group *OneTimeGroup
	// Data is the caller's, handed back in events.
	Data any

	disabled bool
}

// OneTimeGroup is a one-time door's unused sequences, in file order,
// shared by its slots: slot i listens for Seqs[i]. When a slot opens, its
// sequence and every one before it are spent, and the slots move on, so a
// client whose knock was lost (the door never saw it, the client counted
// it used) is not locked out for good.
type OneTimeGroup struct {
	Seqs  []knocker.Sequence
	Slots []*Door
}

// OneTimeSlots makes lookahead doors like base (its Sequence and OneTime
// unused) that listen together for the first lookahead of seqs.
func OneTimeSlots(base Door, seqs []knocker.Sequence, lookahead int) []*Door {
	g := &OneTimeGroup{Seqs: slices.Clone(seqs)}
	for i := range max(lookahead, 1) {
		d := base
		d.OneTimeDoor, d.OneTime, d.Group, d.Sequence = true, nil, g, nil
		if i < len(seqs) {
			d.Sequence = slices.Clone(seqs[i])
		}
		g.Slots = append(g.Slots, &d)
	}
	return g.Slots
}

// EventKind says what happened to an attempt.
type EventKind uint8

// Event kinds. Stage, Open and Timeout are knockd's log lines; the others
// are for debug output and tests.
const (
	// Stage: the attempt reached Event.Stage (1-based).
	Stage EventKind = iota + 1
	// Open: the sequence is complete (after the last Stage event).
	// Event.Sequence is the sequence that was knocked.
	Open
	// Timeout: the attempt ran out of time at Event.Stage.
	Timeout
	// WrongKnock: the packet was not the next knock; the attempt is gone.
	WrongKnock
	// Duplicate: a repeat of the knock just made, ignored.
	Duplicate
	// FlagsIgnored: a TCP packet without the door's TCPFlags, ignored.
	FlagsIgnored
	// Cooldown: a first knock for a door that just opened for the address.
	Cooldown
	// Exhausted: a one-time door has used its last sequence and is off.
	Exhausted
	// Evicted: the table was full; the least recently active source (Src)
	// and its attempts were dropped.
	Evicted
)

var kindNames = [...]string{Stage: "stage", Open: "open", Timeout: "timeout", WrongKnock: "wrong knock",
	Duplicate: "duplicate", FlagsIgnored: "flags ignored", Cooldown: "cooldown", Exhausted: "exhausted", Evicted: "evicted"}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "event?"
}

// Event is one step of an attempt. Door is nil for Evicted.
type Event struct {
	Kind     EventKind
	Src      netip.Addr
	Door     *Door
	Stage    int
	Sequence knocker.Sequence
	// Skipped, on Open of a one-time slot, are the unused sequences before
	// the one knocked, spent with it.
	Skipped []knocker.Sequence
}

// Options tune a Matcher.
type Options struct {
	// MaxSources bounds the attempt table (default DefaultMaxSources).
	MaxSources int
	// Now is the clock (default time.Now); tests pass a fake one.
	Now func() time.Time
}

// DefaultMaxSources keeps the table near 2.5 MB however many sources knock:
// under a flood of random sources, a source past its first knock is kept
// in the protected list, so real knockers are not the ones evicted.
const DefaultMaxSources = 16384

// Stats are counters since the Matcher started.
type Stats struct {
	Packets  uint64 // packets handed to Handle
	Knocks   uint64 // packets that matched a door's port, address and flags
	Sources  int    // sources in the table now
	Attempts int    // attempts (and cooldowns) in the table now
	Evicted  uint64 // sources dropped because the table was full
	Opened   uint64 // doors opened
}

const none = -1

type source struct {
	addr       netip.Addr
	prev, next int32 // in its LRU list, most recent at the head
	first      int32 // first attempt, linked through attempt.nextInSrc
	// protected: the source got past a first knock, so it lives in the
	// protected LRU list, evicted only when the probation list is empty.
	protected bool
}

// lru is a list of sources, most recently active first.
type lru struct{ head, tail int32 }

type attempt struct {
	src, door    int32
	nextInSrc    int32
	qprev, qnext int32         // in the door's queue (active or cooling)
	deadline     time.Duration // since m.epoch
	stage        int16
	cooling      bool
	lastProto    knocker.Proto
	lastSport    uint16
	lastDport    uint16
}

type queue struct{ head, tail int32 }

type doorState struct {
	active, cooling queue
}

// Matcher follows attempts. Handle, Expire and the setters may be called
// from several goroutines.
type Matcher struct {
	mu    sync.Mutex
	doors []*Door
	state []doorState
	sink  func(Event)
	now   func() time.Time
	epoch time.Time

	local map[netip.Addr]struct{}
	// portDoors lists, per protocol and port, the doors whose sequence has
	// it; firstDoors the doors whose sequence starts with it.
	portDoors  map[uint32][]int32
	firstDoors map[uint32][]int32

	index    map[netip.Addr]int32
	sources  []source
	attempts []attempt
	freeSrc  []int32
	freeAtt  []int32
	// Sources in two LRU lists, a segmented LRU: probation for sources
	// at their first knock, protected for those further on.
	probation lru
	protected lru
	nSources  int
	nAttempts int

	stats Stats
	// armed is the deadline Run's timer is set for; wake tells Run about an
	// earlier one.
	armed time.Duration
	wake  chan struct{}
}

// New returns a Matcher for doors. sink receives every event, synchronously
// and with the Matcher locked: it must be quick and must not call back into
// the Matcher.
func New(doors []*Door, sink func(Event), opt Options) *Matcher {
	if opt.MaxSources <= 0 {
		opt.MaxSources = DefaultMaxSources
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	m := &Matcher{
		doors:     doors,
		state:     make([]doorState, len(doors)),
		sink:      sink,
		now:       opt.Now,
		epoch:     opt.Now(),
		local:     map[netip.Addr]struct{}{},
		index:     make(map[netip.Addr]int32, opt.MaxSources),
		sources:   make([]source, opt.MaxSources),
		attempts:  make([]attempt, 2*opt.MaxSources),
		probation: lru{none, none},
		protected: lru{none, none},
		armed:     -1,
		wake:      make(chan struct{}, 1),
	}
	m.freeSrc = make([]int32, opt.MaxSources)
	for i := range m.freeSrc {
		m.freeSrc[i] = int32(opt.MaxSources - 1 - i)
	}
	m.freeAtt = make([]int32, len(m.attempts))
	for i := range m.freeAtt {
		m.freeAtt[i] = int32(len(m.attempts) - 1 - i)
	}
	for i := range m.state {
		m.state[i] = doorState{active: queue{none, none}, cooling: queue{none, none}}
	}
	for _, d := range doors {
		if len(d.Sequence) == 0 {
			d.disabled = true
		}
	}
	m.reindex()
	return m
}

func key(p knocker.Proto, port uint16) uint32 { return uint32(p)<<16 | uint32(port) }

// reindex rebuilds the port indexes after a door's sequence changed.
func (m *Matcher) reindex() {
	m.portDoors = map[uint32][]int32{}
	m.firstDoors = map[uint32][]int32{}
	for i, d := range m.doors {
		if d.disabled {
			continue
		}
		seen := map[uint32]bool{}
		for _, st := range d.Sequence {
			k := key(st.Proto, st.Port)
			if !seen[k] {
				seen[k] = true
				m.portDoors[k] = append(m.portDoors[k], int32(i))
			}
		}
		k := key(d.Sequence[0].Proto, d.Sequence[0].Port)
		m.firstDoors[k] = append(m.firstDoors[k], int32(i))
	}
}

// SetLocal sets the addresses knocks must be sent to, for doors without a
// Target: the addresses of the interfaces sesamed listens on.
func (m *Matcher) SetLocal(addrs []netip.Addr) {
	local := make(map[netip.Addr]struct{}, len(addrs))
	for _, a := range addrs {
		local[a.Unmap().WithZone("")] = struct{}{}
	}
	m.mu.Lock()
	m.local = local
	m.mu.Unlock()
}

// Doors returns the doors that are still on, with their current sequences
// (a one-time door's change as it is used), for building capture filters.
// A one-time door's OneTime holds only its next sequence: a filter that
// passes its ports too lets a client use two sequences in a row before
// the filter catches up.
func (m *Matcher) Doors() []Door {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Door
	for _, d := range m.doors {
		if !d.disabled {
			c := *d
			c.Sequence = slices.Clone(d.Sequence)
			c.OneTime = nil
			if len(d.OneTime) > 0 {
				c.OneTime = []knocker.Sequence{slices.Clone(d.OneTime[0])}
			}
			out = append(out, c)
		}
	}
	return out
}

// Stats returns the counters.
func (m *Matcher) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Sources, s.Attempts = m.nSources, m.nAttempts
	return s
}

func (m *Matcher) dstMatch(d *Door, dst netip.Addr) bool {
	if d.Target.IsValid() {
		return dst == d.Target
	}
	_, ok := m.local[dst]
	return ok
}

// flagsMatch reports whether the door's TCPFlags let the packet count; a
// TCP packet that fails them is ignored, as knockd does, never a wrong knock.
func (m *Matcher) flagsMatch(d *Door, p *packet.Packet) bool {
	return p.Proto != knocker.TCP || d.Flags.Match(p.Flags)
}

// Handle processes one packet.
func (m *Matcher) Handle(p packet.Packet) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().Sub(m.epoch)
	m.stats.Packets++
	m.expire(now)

	k := key(p.Proto, p.DstPort)
	relevant := false
	for _, di := range m.portDoors[k] {
		d := m.doors[di]
		if m.dstMatch(d, p.Dst) && m.flagsMatch(d, &p) {
			relevant = true
			break
		}
	}
	if !relevant {
		return
	}
	m.stats.Knocks++

	consumed := false
	si, known := m.index[p.Src]
	if known {
		m.touch(si)
		for ai := m.sources[si].first; ai != none; {
			a := &m.attempts[ai]
			next := a.nextInSrc
			d := m.doors[a.door]
			switch {
			case !m.dstMatch(d, p.Dst):
			case a.cooling:
				if a.isRepeat(&p) {
					consumed = true
					m.emit(Event{Kind: Duplicate, Src: p.Src, Door: d, Stage: int(a.stage)})
				}
			case !m.flagsMatch(d, &p):
				consumed = true
				m.emit(Event{Kind: FlagsIgnored, Src: p.Src, Door: d, Stage: int(a.stage)})
			case stepMatch(d.Sequence[a.stage], &p):
				consumed = true
				m.advance(ai, &p, now)
			case a.isRepeat(&p):
				consumed = true
				m.emit(Event{Kind: Duplicate, Src: p.Src, Door: d, Stage: int(a.stage)})
			default:
				m.emit(Event{Kind: WrongKnock, Src: p.Src, Door: d, Stage: int(a.stage)})
				m.freeAttempt(ai)
			}
			ai = next
		}
	}
	if consumed {
		return
	}
	for _, di := range m.firstDoors[k] {
		d := m.doors[di]
		if !m.dstMatch(d, p.Dst) || !m.flagsMatch(d, &p) {
			continue
		}
		if si, ok := m.index[p.Src]; ok && m.hasAttempt(si, di) {
			// Only a cooldown can be left here: an active attempt on
			// this door either took the packet or was cancelled by it.
			m.emit(Event{Kind: Cooldown, Src: p.Src, Door: d})
			continue
		}
		if ai, ok := m.newAttempt(p.Src, di, now); ok {
			m.advance(ai, &p, now)
		}
	}
}

func stepMatch(st knocker.Step, p *packet.Packet) bool {
	return st.Proto == p.Proto && st.Port == p.DstPort
}

func (a *attempt) isRepeat(p *packet.Packet) bool {
	return a.stage > 0 && a.lastProto == p.Proto && a.lastDport == p.DstPort && a.lastSport == p.SrcPort
}

// hasAttempt reports whether the source already has an attempt or a
// cooldown on door di.
func (m *Matcher) hasAttempt(si, di int32) bool {
	for ai := m.sources[si].first; ai != none; ai = m.attempts[ai].nextInSrc {
		if m.attempts[ai].door == di {
			return true
		}
	}
	return false
}

// advance moves attempt ai one stage on, and opens the door when the
// sequence is complete.
func (m *Matcher) advance(ai int32, p *packet.Packet, now time.Duration) {
	a := &m.attempts[ai]
	d := m.doors[a.door]
	a.stage++
	a.lastProto, a.lastSport, a.lastDport = p.Proto, p.SrcPort, p.DstPort
	if a.stage >= 2 {
		m.protect(a.src)
	}
	m.emit(Event{Kind: Stage, Src: p.Src, Door: d, Stage: int(a.stage)})
	if int(a.stage) < len(d.Sequence) {
		return
	}
	m.stats.Opened++
	used := d.Sequence
	var skipped []knocker.Sequence
	if d.Group != nil {
		skipped = d.Group.Seqs[:slices.Index(d.Group.Slots, d)]
	}
	m.emit(Event{Kind: Open, Src: p.Src, Door: d, Stage: int(a.stage), Sequence: used, Skipped: skipped})
	// The address has moved on (say, from its open door to its close
	// door): the other doors' cooldowns, meant for repeats of their own
	// last knocks, would only get in the way of its next sequence.
	for oi := m.sources[a.src].first; oi != none; {
		next := m.attempts[oi].nextInSrc
		if oi != ai && m.attempts[oi].cooling {
			m.freeAttempt(oi)
		}
		oi = next
	}
	switch {
	case d.Group != nil:
		m.spendGroup(d.Group, d, ai)
	case d.OneTimeDoor:
		m.nextOneTime(a.door)
	}
	// The attempt becomes the door's cooldown for this source.
	st := &m.state[a.door]
	m.unqueue(&st.active, ai)
	if d.Cooldown <= 0 {
		m.freeAttempt(ai)
		return
	}
	a.cooling = true
	a.deadline = now + d.Cooldown
	m.enqueue(&st.cooling, ai)
	m.arm(a.deadline)
}

// nextOneTime moves a one-time door to its next sequence, or turns it off.
// Attempts on the old sequence are dropped: their stages meant that one.
func (m *Matcher) nextOneTime(di int32) {
	d := m.doors[di]
	st := &m.state[di]
	for ai := st.active.head; ai != none; {
		next := m.attempts[ai].qnext
		if m.attempts[ai].stage < int16(len(d.Sequence)) {
			m.freeAttempt(ai)
		}
		ai = next
	}
	if len(d.OneTime) == 0 {
		d.Sequence = nil
		d.disabled = true
		m.emit(Event{Kind: Exhausted, Door: d})
	} else {
		d.Sequence, d.OneTime = d.OneTime[0], d.OneTime[1:]
	}
	m.reindex()
}

// spendGroup spends the sequence slot opened with and those before it, and
// gives every slot its next sequence. Attempts on the slots' old sequences
// are dropped (but for keep, the attempt that opened, which cools down).
func (m *Matcher) spendGroup(g *OneTimeGroup, opened *Door, keep int32) {
	n := slices.Index(g.Slots, opened) + 1
	g.Seqs = g.Seqs[n:]
	for i, d := range g.Slots {
		di := int32(slices.Index(m.doors, d))
		st := &m.state[di]
		for ai := st.active.head; ai != none; {
			next := m.attempts[ai].qnext
			if ai != keep {
				m.freeAttempt(ai)
			}
			ai = next
		}
		d.Sequence, d.disabled = nil, true
		if i < len(g.Seqs) {
			d.Sequence, d.disabled = slices.Clone(g.Seqs[i]), false
		}
	}
	if len(g.Seqs) == 0 {
		m.emit(Event{Kind: Exhausted, Door: g.Slots[0]})
	}
	m.reindex()
}

// OneTimeLeft is how many unused sequences g has.
func (m *Matcher) OneTimeLeft(g *OneTimeGroup) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(g.Seqs)
}

// AppendOneTime adds seqs (lines appended to a one-time door's file) after
// g's unused sequences: slots that had none left listen for theirs, and an
// exhausted door is on again. It reports whether a slot changed.
func (m *Matcher) AppendOneTime(g *OneTimeGroup, seqs []knocker.Sequence) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	g.Seqs = append(g.Seqs, seqs...)
	changed := false
	for i, d := range g.Slots {
		if d.disabled && i < len(g.Seqs) {
			d.Sequence, d.disabled = slices.Clone(g.Seqs[i]), false
			changed = true
		}
	}
	if changed {
		m.reindex()
	}
	return changed
}

// SetSequence gives door d (one of the Matcher's) a new sequence, or turns
// it off with an empty one, and reports whether it changed. Attempts on
// the old sequence are dropped, as for a one-time door; cooldowns stay.
// A rotating door's slots change this way as the windows roll.
func (m *Matcher) SetSequence(d *Door, seq knocker.Sequence) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	di := slices.Index(m.doors, d)
	if di < 0 || (d.Sequence.Equal(seq) && d.disabled == (len(seq) == 0)) {
		return false
	}
	st := &m.state[di]
	for st.active.head != none {
		m.freeAttempt(st.active.head)
	}
	d.Sequence = slices.Clone(seq)
	d.disabled = len(seq) == 0
	m.reindex()
	return true
}

func (m *Matcher) newAttempt(src netip.Addr, di int32, now time.Duration) (int32, bool) {
	si, ok := m.index[src]
	if !ok {
		if len(m.freeSrc) == 0 {
			m.evict(none)
		}
		si = m.freeSrc[len(m.freeSrc)-1]
		m.freeSrc = m.freeSrc[:len(m.freeSrc)-1]
		m.sources[si] = source{addr: src, prev: none, next: none, first: none}
		m.index[src] = si
		m.nSources++
		m.pushFront(si)
	}
	if len(m.freeAtt) == 0 {
		m.evict(si)
		if len(m.freeAtt) == 0 {
			// Every attempt belongs to this one source (more doors share a
			// first knock than the table holds): drop the knock.
			if m.sources[si].first == none {
				m.unlink(si)
				delete(m.index, src)
				m.freeSrc = append(m.freeSrc, si)
				m.nSources--
			}
			return none, false
		}
	}
	ai := m.freeAtt[len(m.freeAtt)-1]
	m.freeAtt = m.freeAtt[:len(m.freeAtt)-1]
	m.nAttempts++
	d := m.doors[di]
	m.attempts[ai] = attempt{
		src: si, door: di, nextInSrc: none, qprev: none, qnext: none,
		deadline: now + d.SeqTimeout,
	}
	// Appended, so that a source's attempts are visited (and logged) in
	// the order they started.
	if p := m.sources[si].first; p == none {
		m.sources[si].first = ai
	} else {
		for m.attempts[p].nextInSrc != none {
			p = m.attempts[p].nextInSrc
		}
		m.attempts[p].nextInSrc = ai
	}
	m.enqueue(&m.state[di].active, ai)
	m.arm(m.attempts[ai].deadline)
	return ai, true
}

// evict drops the least recently active source other than keep, from the
// probation list while it has one.
func (m *Matcher) evict(keep int32) {
	si := int32(none)
	for _, l := range []*lru{&m.probation, &m.protected} {
		si = l.tail
		if si == keep {
			si = m.sources[si].prev
		}
		if si != none {
			break
		}
	}
	if si == none {
		return
	}
	m.stats.Evicted++
	m.emit(Event{Kind: Evicted, Src: m.sources[si].addr})
	for m.sources[si].first != none {
		m.freeAttempt(m.sources[si].first)
	}
	// freeAttempt released the source with its last attempt.
}

// freeAttempt removes attempt ai from its door queue and its source, and
// the source from the table when it was its last attempt.
func (m *Matcher) freeAttempt(ai int32) {
	a := &m.attempts[ai]
	st := &m.state[a.door]
	if a.cooling {
		m.unqueue(&st.cooling, ai)
	} else {
		m.unqueue(&st.active, ai)
	}
	si := a.src
	s := &m.sources[si]
	if s.first == ai {
		s.first = a.nextInSrc
	} else {
		for p := s.first; p != none; p = m.attempts[p].nextInSrc {
			if m.attempts[p].nextInSrc == ai {
				m.attempts[p].nextInSrc = a.nextInSrc
				break
			}
		}
	}
	*a = attempt{}
	m.freeAtt = append(m.freeAtt, ai)
	m.nAttempts--
	if s.first == none {
		m.unlink(si)
		delete(m.index, s.addr)
		*s = source{prev: none, next: none, first: none}
		m.freeSrc = append(m.freeSrc, si)
		m.nSources--
	}
}

// enqueue appends ai to q. Attempts of one door share its timeout (and
// cooldowns its cooldown), so each queue is in deadline order.
func (m *Matcher) enqueue(q *queue, ai int32) {
	a := &m.attempts[ai]
	a.qprev, a.qnext = q.tail, none
	if q.tail != none {
		m.attempts[q.tail].qnext = ai
	} else {
		q.head = ai
	}
	q.tail = ai
}

func (m *Matcher) unqueue(q *queue, ai int32) {
	a := &m.attempts[ai]
	if a.qprev != none {
		m.attempts[a.qprev].qnext = a.qnext
	} else if q.head == ai {
		q.head = a.qnext
	}
	if a.qnext != none {
		m.attempts[a.qnext].qprev = a.qprev
	} else if q.tail == ai {
		q.tail = a.qprev
	}
	a.qprev, a.qnext = none, none
}

func (m *Matcher) list(si int32) *lru {
	if m.sources[si].protected {
		return &m.protected
	}
	return &m.probation
}

func (m *Matcher) pushFront(si int32) {
	l := m.list(si)
	s := &m.sources[si]
	s.prev, s.next = none, l.head
	if l.head != none {
		m.sources[l.head].prev = si
	}
	l.head = si
	if l.tail == none {
		l.tail = si
	}
}

func (m *Matcher) unlink(si int32) {
	l := m.list(si)
	s := &m.sources[si]
	if s.prev != none {
		m.sources[s.prev].next = s.next
	} else {
		l.head = s.next
	}
	if s.next != none {
		m.sources[s.next].prev = s.prev
	} else {
		l.tail = s.prev
	}
	s.prev, s.next = none, none
}

func (m *Matcher) touch(si int32) {
	if m.list(si).head != si {
		m.unlink(si)
		m.pushFront(si)
	}
}

// protect moves a source that got past a first knock to the protected list.
func (m *Matcher) protect(si int32) {
	if !m.sources[si].protected {
		m.unlink(si)
		m.sources[si].protected = true
		m.pushFront(si)
	}
}

func (m *Matcher) emit(e Event) {
	if m.sink != nil {
		m.sink(e)
	}
}

// Expire ends the attempts and cooldowns whose time is up. Run calls it on
// a timer; tests call it with a fake clock.
func (m *Matcher) Expire() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now().Sub(m.epoch))
}

func (m *Matcher) expire(now time.Duration) {
	for di := range m.state {
		st := &m.state[di]
		for st.active.head != none && m.attempts[st.active.head].deadline <= now {
			ai := st.active.head
			a := &m.attempts[ai]
			m.emit(Event{Kind: Timeout, Src: m.sources[a.src].addr, Door: m.doors[di], Stage: int(a.stage)})
			m.freeAttempt(ai)
		}
		for st.cooling.head != none && m.attempts[st.cooling.head].deadline <= now {
			m.freeAttempt(st.cooling.head)
		}
	}
}

// next returns the earliest deadline in the table, or -1.
func (m *Matcher) next() time.Duration {
	next := time.Duration(-1)
	for di := range m.state {
		for _, q := range []queue{m.state[di].active, m.state[di].cooling} {
			if q.head != none {
				if d := m.attempts[q.head].deadline; next < 0 || d < next {
					next = d
				}
			}
		}
	}
	return next
}

// arm wakes Run when deadline is earlier than the one its timer waits for.
func (m *Matcher) arm(deadline time.Duration) {
	if m.armed < 0 || deadline < m.armed {
		m.armed = deadline
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// Run expires attempts on time until ctx is done, so that a timed-out
// attempt is logged and forgotten when its time is up, not when the next
// packet happens to arrive.
func (m *Matcher) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		m.mu.Lock()
		m.expire(m.now().Sub(m.epoch))
		next := m.next()
		m.armed = next
		wait := time.Hour
		if next >= 0 {
			wait = max(next-m.now().Sub(m.epoch), 0)
		}
		m.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-m.wake:
		}
	}
}
