package matcher

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/packet"
)

var (
	server = netip.MustParseAddr("192.0.2.1")
	client = netip.MustParseAddr("192.0.2.2")
	other  = netip.MustParseAddr("192.0.2.3")
)

const (
	syn    = knockdconf.FlagSYN
	synack = knockdconf.FlagSYN | knockdconf.FlagACK
)

// rig drives a Matcher with a fake clock and records its events as
// "kind src door stage" strings.
type rig struct {
	t      *testing.T
	m      *Matcher
	now    time.Time
	events []string
}

func newRig(t *testing.T, maxSources int, doors ...*Door) *rig {
	r := &rig{t: t, now: time.Unix(1000, 0)}
	r.m = New(doors, func(e Event) {
		s := fmt.Sprintf("%s %s", e.Kind, e.Src)
		if e.Door != nil {
			s += " " + e.Door.Name
		}
		if e.Kind == Stage || e.Kind == Timeout {
			s += fmt.Sprint(" ", e.Stage)
		}
		if e.Kind == Open {
			s += " " + e.Sequence.String()
		}
		r.events = append(r.events, s)
	}, Options{MaxSources: maxSources, Now: func() time.Time { return r.now }})
	r.m.SetLocal([]netip.Addr{server, netip.MustParseAddr("2001:db8::1")})
	return r
}

func door(name, seq string, opts ...func(*Door)) *Door {
	s, err := knocker.ParseSequence(seq)
	if err != nil {
		panic(err)
	}
	d := &Door{Name: name, Sequence: s, SeqTimeout: 5 * time.Second, Cooldown: 2 * time.Second}
	for _, o := range opts {
		o(d)
	}
	return d
}

func withFlags(f uint8) func(*Door)            { return func(d *Door) { d.Flags = knockdconf.TCPFlags{Set: f} } }
func withCooldown(c time.Duration) func(*Door) { return func(d *Door) { d.Cooldown = c } }

// knock is one packet: "tcp 7000" from src, with a source port and flags.
type knock struct {
	src   netip.Addr
	proto knocker.Proto
	port  uint16
	sport uint16
	flags uint8
	dst   netip.Addr
}

func tcp(port, sport uint16) knock { return knock{client, knocker.TCP, port, sport, syn, server} }
func udp(port, sport uint16) knock { return knock{client, knocker.UDP, port, sport, 0, server} }

func (k knock) from(a netip.Addr) knock { k.src = a; return k }
func (k knock) to(a netip.Addr) knock   { k.dst = a; return k }
func (k knock) with(f uint8) knock      { k.flags = f; return k }

func (r *rig) send(ks ...knock) *rig {
	for _, k := range ks {
		r.m.Handle(packet.Packet{Src: k.src, Dst: k.dst, Proto: k.proto, SrcPort: k.sport, DstPort: k.port, Flags: k.flags})
	}
	return r
}

func (r *rig) wait(d time.Duration) *rig { r.now = r.now.Add(d); return r }

// expect checks the events since the last call.
func (r *rig) expect(want ...string) {
	r.t.Helper()
	got := r.events
	r.events = nil
	if !slices.Equal(got, want) {
		r.t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestKnockdSemantics(t *testing.T) {
	open := func() *Door { return door("openSSH", "7000,8000,9000", withFlags(syn)) }
	closeDoor := func() *Door { return door("closeSSH", "9000,8000,7000", withFlags(syn)) }
	const c = "192.0.2.2"
	tests := []struct {
		name  string
		doors []*Door
		run   func(r *rig)
	}{
		{"a sequence opens", []*Door{open(), closeDoor()}, func(r *rig) {
			r.send(tcp(7000, 1), tcp(8000, 2), tcp(9000, 3))
			r.expect("stage "+c+" openSSH 1", "stage "+c+" openSSH 2", "stage "+c+" openSSH 3", "open "+c+" openSSH 7000,8000,9000")
			r.send(tcp(9000, 4), tcp(8000, 5), tcp(7000, 6))
			r.expect("stage "+c+" closeSSH 1", "stage "+c+" closeSSH 2", "stage "+c+" closeSSH 3", "open "+c+" closeSSH 9000,8000,7000")
		}},
		{"packets to other ports do not count", []*Door{open()}, func(r *rig) {
			r.send(tcp(7000, 1), tcp(22, 2), udp(8000, 3), tcp(8000, 4), tcp(9000, 5))
			r.expect("stage "+c+" openSSH 1", "stage "+c+" openSSH 2", "stage "+c+" openSSH 3", "open "+c+" openSSH 7000,8000,9000")
		}},
		{"knocks to another address do not count", []*Door{open()}, func(r *rig) {
			r.send(tcp(7000, 1).to(other), tcp(7000, 2), tcp(8000, 3).to(other))
			r.expect("stage " + c + " openSSH 1")
		}},
		{"tcp flags: a packet without them is ignored, not a wrong knock", []*Door{open()}, func(r *rig) {
			r.send(tcp(7000, 1), tcp(8000, 1).with(knockdconf.FlagACK), tcp(8000, 2), tcp(9000, 3))
			r.expect("stage "+c+" openSSH 1", "stage "+c+" openSSH 2", "stage "+c+" openSSH 3", "open "+c+" openSSH 7000,8000,9000")
		}},
		{"tcp flags that a door without flags takes as a wrong knock", []*Door{open(), door("plain", "1000,2000")}, func(r *rig) {
			r.send(tcp(1000, 1), tcp(7000, 9).with(knockdconf.FlagACK))
			r.expect("stage " + c + " plain 1")
			r.send(tcp(7000, 8))
			r.expect("wrong knock "+c+" plain", "stage "+c+" openSSH 1")
		}},
		{"sources are apart", []*Door{open()}, func(r *rig) {
			r.send(tcp(7000, 1), tcp(7000, 1).from(other), tcp(8000, 2), tcp(9000, 3))
			r.expect("stage "+c+" openSSH 1", "stage 192.0.2.3 openSSH 1", "stage "+c+" openSSH 2", "stage "+c+" openSSH 3", "open "+c+" openSSH 7000,8000,9000")
		}},
		{"doors sharing a first knock are tried together", []*Door{door("a", "7000,8000"), door("b", "7000,9000")}, func(r *rig) {
			r.send(tcp(7000, 1), tcp(9000, 2))
			r.expect("stage "+c+" a 1", "stage "+c+" b 1", "wrong knock "+c+" a", "stage "+c+" b 2", "open "+c+" b 7000,9000")
		}},
		{"mixed protocols", []*Door{door("mixed", "2222:udp,3333,4444:udp")}, func(r *rig) {
			r.send(udp(2222, 1), udp(3333, 2), udp(4444, 2))
			r.expect("stage "+c+" mixed 1", "wrong knock "+c+" mixed")
			r.send(udp(2222, 3), tcp(3333, 4), udp(4444, 5))
			r.expect("stage "+c+" mixed 1", "stage "+c+" mixed 2", "stage "+c+" mixed 3", "open "+c+" mixed 2222:udp,3333,4444:udp")
		}},
		{"ipv6", []*Door{open()}, func(r *rig) {
			c6, s6 := netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1")
			r.send(tcp(7000, 1).from(c6).to(s6), tcp(8000, 2).from(c6).to(s6), tcp(9000, 3).from(c6).to(s6))
			r.expect("stage 2001:db8::2 openSSH 1", "stage 2001:db8::2 openSSH 2", "stage 2001:db8::2 openSSH 3", "open 2001:db8::2 openSSH 7000,8000,9000")
		}},
		{"target", []*Door{door("wol", "5000:udp", func(d *Door) { d.Target = other })}, func(r *rig) {
			r.send(udp(5000, 1), udp(5000, 2).to(other))
			r.expect("stage "+c+" wol 1", "open "+c+" wol 5000:udp")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(newRig(t, 0, tt.doors...)) })
	}
}

// The fixes to knockd, one test each.

func TestAttemptsExpireOnATimer(t *testing.T) {
	r := newRig(t, 0, door("openSSH", "7000,8000,9000"))
	r.send(tcp(7000, 1)).expect("stage 192.0.2.2 openSSH 1")
	r.wait(4 * time.Second)
	r.m.Expire()
	r.expect()
	r.wait(time.Second)
	r.m.Expire() // no packet needed
	r.expect("timeout 192.0.2.2 openSSH 1")
	if s := r.m.Stats(); s.Sources != 0 || s.Attempts != 0 {
		t.Fatalf("after the timeout the table holds %+v", s)
	}
	// The rest of the sequence no longer counts.
	r.send(tcp(8000, 2), tcp(9000, 3)).expect()
}

func TestAnExpiredAttemptNeverAdvances(t *testing.T) {
	r := newRig(t, 0, door("openSSH", "7000,8000,9000"))
	r.send(tcp(7000, 1), tcp(8000, 2))
	r.wait(5 * time.Second) // Run has not run yet
	r.send(tcp(9000, 3))
	r.expect("stage 192.0.2.2 openSSH 1", "stage 192.0.2.2 openSSH 2", "timeout 192.0.2.2 openSSH 2")
}

func TestRunExpiresOnRealTime(t *testing.T) {
	events := make(chan Event, 8)
	d := door("openSSH", "7000,8000")
	d.SeqTimeout = 50 * time.Millisecond
	m := New([]*Door{d}, func(e Event) { events <- e }, Options{})
	m.SetLocal([]netip.Addr{server})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	m.Handle(packet.Packet{Src: client, Dst: server, Proto: knocker.TCP, SrcPort: 1, DstPort: 7000})
	if e := <-events; e.Kind != Stage {
		t.Fatalf("first event %v", e.Kind)
	}
	select {
	case e := <-events:
		if e.Kind != Timeout || e.Stage != 1 {
			t.Fatalf("got %v stage %d, want a timeout at stage 1", e.Kind, e.Stage)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the attempt never timed out without another packet")
	}
}

func TestWrongKnockStartsOver(t *testing.T) {
	r := newRig(t, 0, door("openSSH", "7000,8000,9000"), door("other", "8000,1000"))
	// A client retries from the start after a lost knock; knockd drops the
	// first knock of the retry with the failed attempt.
	r.send(tcp(7000, 1), tcp(7000, 2), tcp(8000, 3), tcp(9000, 4))
	r.expect("stage 192.0.2.2 openSSH 1",
		"wrong knock 192.0.2.2 openSSH", "stage 192.0.2.2 openSSH 1",
		"stage 192.0.2.2 openSSH 2", "stage 192.0.2.2 openSSH 3", "open 192.0.2.2 openSSH 7000,8000,9000")
	// A wrong knock that is another door's first knock starts that door.
	r.wait(3*time.Second).send(tcp(7000, 5), tcp(9000, 6), tcp(8000, 7), tcp(1000, 8))
	r.expect("stage 192.0.2.2 openSSH 1", "wrong knock 192.0.2.2 openSSH",
		"stage 192.0.2.2 other 1", "stage 192.0.2.2 other 2", "open 192.0.2.2 other 8000,1000")
}

func TestRepeatedKnockDoesNotBreakTheAttempt(t *testing.T) {
	r := newRig(t, 0, door("openSSH", "7000,8000:udp,9000"))
	// A SYN retransmitted (same source port), a datagram duplicated.
	r.send(tcp(7000, 1), tcp(7000, 1), udp(8000, 2), udp(8000, 2), udp(8000, 2), tcp(9000, 3))
	r.expect("stage 192.0.2.2 openSSH 1", "duplicate 192.0.2.2 openSSH",
		"stage 192.0.2.2 openSSH 2", "duplicate 192.0.2.2 openSSH", "duplicate 192.0.2.2 openSSH",
		"stage 192.0.2.2 openSSH 3", "open 192.0.2.2 openSSH 7000,8000:udp,9000")
	// The same port from another source port is a new knock, so it is wrong.
	r.wait(3*time.Second).send(tcp(7000, 4), tcp(7000, 5))
	r.expect("stage 192.0.2.2 openSSH 1", "wrong knock 192.0.2.2 openSSH", "stage 192.0.2.2 openSSH 1")
	// A sequence that repeats a port still advances on the repeat.
	r2 := newRig(t, 0, door("twice", "7000,7000"))
	r2.send(tcp(7000, 1), tcp(7000, 1))
	r2.expect("stage 192.0.2.2 twice 1", "stage 192.0.2.2 twice 2", "open 192.0.2.2 twice 7000,7000")
}

func TestCooldownAfterOpening(t *testing.T) {
	r := newRig(t, 0, door("udp", "1234:udp"), door("openSSH", "7000,8000,9000"), door("closeSSH", "9000,8000,7000"))
	// A client that sends its single UDP knock three times opens once;
	// knockd runs the command three times.
	r.send(udp(1234, 1), udp(1234, 2), udp(1234, 3))
	r.expect("stage 192.0.2.2 udp 1", "open 192.0.2.2 udp 1234:udp", "cooldown 192.0.2.2 udp", "cooldown 192.0.2.2 udp")
	// Another address is not held back.
	r.send(udp(1234, 1).from(other))
	r.expect("stage 192.0.2.3 udp 1", "open 192.0.2.3 udp 1234:udp")
	r.wait(2 * time.Second).send(udp(1234, 4))
	r.expect("stage 192.0.2.2 udp 1", "open 192.0.2.2 udp 1234:udp")

	// The retransmitted last knock of openSSH neither reopens it nor starts
	// closeSSH, whose first knock it is.
	r.wait(3*time.Second).send(tcp(7000, 1), tcp(8000, 2), tcp(9000, 3), tcp(9000, 3))
	r.expect("stage 192.0.2.2 openSSH 1", "stage 192.0.2.2 openSSH 2", "stage 192.0.2.2 openSSH 3",
		"open 192.0.2.2 openSSH 7000,8000,9000", "duplicate 192.0.2.2 openSSH")
	// The close sequence right after works.
	r.send(tcp(9000, 4), tcp(8000, 5), tcp(7000, 6))
	r.expect("stage 192.0.2.2 closeSSH 1", "stage 192.0.2.2 closeSSH 2", "stage 192.0.2.2 closeSSH 3", "open 192.0.2.2 closeSSH 9000,8000,7000")

	// Opening another door ends the address's cooldowns: open, close and
	// open again at once works.
	r.wait(3*time.Second).send(tcp(7000, 7), tcp(8000, 8), tcp(9000, 9), tcp(9000, 10), tcp(8000, 11), tcp(7000, 12), tcp(7000, 13), tcp(8000, 14), tcp(9000, 15))
	if n := strings.Count(strings.Join(r.events, "\n"), "open 192.0.2.2"); n != 3 {
		t.Fatalf("open, close, open: %d openings\n%s", n, strings.Join(r.events, "\n"))
	}
	r.events = nil

	// Cooldown = 0 turns it off.
	r0 := newRig(t, 0, door("udp", "1234:udp", withCooldown(0)))
	r0.send(udp(1234, 1), udp(1234, 2))
	r0.expect("stage 192.0.2.2 udp 1", "open 192.0.2.2 udp 1234:udp", "stage 192.0.2.2 udp 1", "open 192.0.2.2 udp 1234:udp")
}

func TestOneTimeSequences(t *testing.T) {
	seq := func(s string) knocker.Sequence { q, _ := knocker.ParseSequence(s); return q }
	d := door("smtp", "1000,2000", withCooldown(0), func(d *Door) {
		d.OneTimeDoor = true
		d.OneTime = []knocker.Sequence{seq("3000:udp,4000")}
	})
	r := newRig(t, 0, d)
	r.send(tcp(1000, 1), tcp(1000, 1).from(other), tcp(2000, 2))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.3 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 1000,2000")
	// The used sequence is gone at once, for everyone: other's attempt on
	// it is dropped, and a replay does nothing.
	r.send(tcp(2000, 2).from(other), tcp(1000, 3), tcp(2000, 4))
	r.expect()
	if got := r.m.Doors(); len(got) != 1 || got[0].Sequence.String() != "3000:udp,4000" {
		t.Fatalf("doors after the first opening: %+v", got)
	}
	r.send(udp(3000, 5), tcp(4000, 6))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 3000:udp,4000", "exhausted invalid IP smtp")
	if got := r.m.Doors(); len(got) != 0 {
		t.Fatalf("an exhausted one-time door is still on: %+v", got)
	}
	r.send(udp(3000, 7)).expect()
}

// TestOneTimeLookahead: a one-time door listens for its next three
// sequences; the one knocked is spent with those before it, so a lost
// knock does not wedge the door, and nothing spent opens again.
func TestOneTimeLookahead(t *testing.T) {
	seq := func(s string) knocker.Sequence { q, _ := knocker.ParseSequence(s); return q }
	all := []knocker.Sequence{seq("1000,1001"), seq("2000,2001"), seq("3000,3001"), seq("4000,4001"), seq("5000,5001")}
	slots := OneTimeSlots(*door("smtp", "1,2", withCooldown(0)), all, 3)
	var skipped [][]knocker.Sequence
	r := newRig(t, 0, slots...)
	sink := r.m.sink
	r.m.sink = func(e Event) {
		if e.Kind == Open {
			skipped = append(skipped, e.Skipped)
		}
		sink(e)
	}
	current := func() []string {
		var out []string
		for _, d := range r.m.Doors() {
			out = append(out, d.Sequence.String())
		}
		return out
	}
	if got := current(); !slices.Equal(got, []string{"1000,1001", "2000,2001", "3000,3001"}) {
		t.Fatalf("slots at start: %q", got)
	}
	// The client's 1000,1001 was lost; it knocks the next.
	r.send(tcp(2000, 1), tcp(2001, 2))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 2000,2001")
	if len(skipped) != 1 || len(skipped[0]) != 1 || skipped[0][0].String() != "1000,1001" {
		t.Fatalf("skipped %v, want [1000,1001]", skipped)
	}
	if got := current(); !slices.Equal(got, []string{"3000,3001", "4000,4001", "5000,5001"}) {
		t.Fatalf("slots after the second opened: %q", got)
	}
	// Spent sequences open nothing, the skipped one included.
	r.send(tcp(1000, 3), tcp(1001, 4), tcp(2000, 5), tcp(2001, 6))
	r.expect()
	// Two lost: the third after them opens, and the door is used up.
	r.send(tcp(5000, 7), tcp(5001, 8))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 5000,5001", "exhausted invalid IP smtp")
	if len(skipped[1]) != 2 {
		t.Fatalf("skipped %v, want 3000,3001 and 4000,4001", skipped[1])
	}
	if got := r.m.Doors(); len(got) != 0 {
		t.Fatalf("a used-up one-time door is still on: %+v", got)
	}
	r.send(tcp(3000, 9), tcp(3001, 10)).expect()
}

func TestTableIsBounded(t *testing.T) {
	r := newRig(t, 8, door("openSSH", "7000,8000,9000"))
	spoofed := 0
	spoof := func(n int) {
		for i := 0; i < n; i++ {
			spoofed++
			r.send(tcp(7000, 1).from(netip.AddrFrom4([4]byte{198, 18, byte(spoofed >> 8), byte(spoofed)})))
		}
	}
	// A real client keeps its attempt while spoofed sources churn the table,
	// as long as it is not the least recently active.
	r.send(tcp(7000, 1))
	spoof(5)
	r.send(tcp(8000, 2))
	spoof(5)
	r.send(tcp(9000, 3))
	s := r.m.Stats()
	if s.Sources > 8 || s.Evicted != 3 || s.Opened != 1 {
		t.Fatalf("stats %+v: want at most 8 sources, 3 evicted, 1 opened", s)
	}
	spoof(1000)
	if s := r.m.Stats(); s.Sources != 8 || s.Evicted != 3+1000 {
		t.Fatalf("stats after 1000 spoofed knocks %+v", s)
	}
	evicted := 0
	for _, e := range r.events {
		if strings.HasPrefix(e, "evicted ") {
			evicted++
		}
	}
	if evicted != 3+1000 {
		t.Fatalf("%d evicted events", evicted)
	}
}

func TestFloodCannotEvictAClientHalfWay(t *testing.T) {
	r := newRig(t, 8, door("openSSH", "7000,8000,9000"))
	r.send(tcp(7000, 1), tcp(8000, 2))
	// Far more spoofed first knocks than the table holds: they evict each
	// other, never the client that got past its first knock.
	for i := 0; i < 1000; i++ {
		r.send(tcp(7000, 1).from(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})))
	}
	r.events = nil
	r.send(tcp(9000, 3))
	r.expect("stage 192.0.2.2 openSSH 3", "open 192.0.2.2 openSSH 7000,8000,9000")
	if s := r.m.Stats(); s.Sources != 8 || s.Evicted != 1000-7 {
		t.Fatalf("stats %+v", s)
	}
}

func TestHandleDoesNotAllocate(t *testing.T) {
	r := newRig(t, 1024, door("openSSH", "7000,8000,9000"))
	var pkts []packet.Packet
	for i := 0; i < 4096; i++ {
		pkts = append(pkts, packet.Packet{Src: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), Dst: server,
			Proto: knocker.TCP, SrcPort: 1, DstPort: 7000, Flags: syn})
	}
	r.m.sink = nil
	for _, p := range pkts { // warm the pools and the map
		r.m.Handle(p)
	}
	i := 0
	if n := testing.AllocsPerRun(2000, func() { r.m.Handle(pkts[i%len(pkts)]); i++ }); n > 0.01 {
		t.Fatalf("Handle allocates %v times per packet under a flood", n)
	}
}

func BenchmarkFlood(b *testing.B) {
	m := New([]*Door{door("openSSH", "7000,8000,9000")}, nil, Options{})
	m.SetLocal([]netip.Addr{server})
	p := packet.Packet{Dst: server, Proto: knocker.TCP, SrcPort: 1, DstPort: 7000, Flags: syn}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Src = netip.AddrFrom4([4]byte{198, 18 + byte(i>>16)&1, byte(i >> 8), byte(i)})
		m.Handle(p)
	}
}

func TestSetSequence(t *testing.T) {
	slot := door("rot", "7000,8000,9000", withCooldown(time.Second))
	off := &Door{Name: "rot", SeqTimeout: 5 * time.Second}
	r := newRig(t, 0, slot, off)
	// An empty door is off: its ports do not count.
	r.send(tcp(1000, 1)).expect()

	r.send(tcp(7000, 1), tcp(8000, 2)).expect("stage 192.0.2.2 rot 1", "stage 192.0.2.2 rot 2")
	if r.m.SetSequence(slot, slot.Sequence) {
		t.Fatal("the same sequence again reports a change")
	}
	seq, _ := knocker.ParseSequence("1000,2000:udp")
	if !r.m.SetSequence(slot, seq) {
		t.Fatal("a new sequence reports no change")
	}
	// The attempt on the old sequence is gone: its last knock counts for
	// nothing, and the new sequence opens.
	r.send(tcp(9000, 3)).expect()
	if s := r.m.Stats(); s.Attempts != 0 {
		t.Fatalf("the old attempt is still in the table: %+v", s)
	}
	r.send(tcp(1000, 4), udp(2000, 5)).expect("stage 192.0.2.2 rot 1", "stage 192.0.2.2 rot 2", "open 192.0.2.2 rot 1000,2000:udp")

	// Turned on, the empty door counts; turned off, it stops.
	on, _ := knocker.ParseSequence("3000")
	r.m.SetSequence(off, on)
	r.send(tcp(3000, 6)).expect("stage 192.0.2.2 rot 1", "open 192.0.2.2 rot 3000")
	r.m.SetSequence(off, nil)
	r.wait(2 * time.Second).send(tcp(3000, 7)).expect()
	if ds := r.m.Doors(); len(ds) != 1 || ds[0].Sequence.String() != "1000,2000:udp" {
		t.Fatalf("Doors = %v, want only the slot that is on, with its new sequence", ds)
	}
	if r.m.SetSequence(door("stranger", "1"), on) {
		t.Fatal("a door of another matcher changed")
	}
}

// TestAppendOneTime: sequences appended to an exhausted or low one-time
// door's group are listened for, after the unused ones.
func TestAppendOneTime(t *testing.T) {
	seq := func(s string) knocker.Sequence { q, _ := knocker.ParseSequence(s); return q }
	slots := OneTimeSlots(*door("smtp", "1,2", withCooldown(0)), []knocker.Sequence{seq("1000,1001")}, 3)
	g := slots[0].Group
	r := newRig(t, 0, slots...)
	r.send(tcp(1000, 1), tcp(1001, 2))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 1000,1001", "exhausted invalid IP smtp")
	if n := r.m.OneTimeLeft(g); n != 0 {
		t.Fatalf("%d left after the last was used", n)
	}
	if !r.m.AppendOneTime(g, []knocker.Sequence{seq("2000,2001")}) {
		t.Fatal("appending to an exhausted door changed no slot")
	}
	if !r.m.AppendOneTime(g, []knocker.Sequence{seq("3000,3001"), seq("4000,4001"), seq("5000,5001")}) {
		t.Fatal("appending to a door with free slots changed no slot")
	}
	var got []string
	for _, d := range r.m.Doors() {
		got = append(got, d.Sequence.String())
	}
	if want := []string{"2000,2001", "3000,3001", "4000,4001"}; !slices.Equal(got, want) {
		t.Fatalf("slots %q, want %q", got, want)
	}
	if r.m.AppendOneTime(g, []knocker.Sequence{seq("6000,6001")}) {
		t.Fatal("appending to a door with every slot busy changed a slot")
	}
	r.send(tcp(4000, 3), tcp(4001, 4))
	r.expect("stage 192.0.2.2 smtp 1", "stage 192.0.2.2 smtp 2", "open 192.0.2.2 smtp 4000,4001")
	if n := r.m.OneTimeLeft(g); n != 2 {
		t.Fatalf("%d left, want 5000,5001 and 6000,6001", n)
	}
}
