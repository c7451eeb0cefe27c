//go:build linux

package grants

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/clock"
	"sesame/knocker"
	"sesame/server/conntrack"
	"sesame/server/firewall"
)

// fakeFirewall keeps rules in a map; the real backends have their own
// tests, and the grants' integration test runs on them.
type fakeFirewall struct {
	mu        sync.Mutex
	rules     map[firewall.Rule]bool
	ttls      map[firewall.Rule]time.Duration // the last ttl each rule was opened for
	opens     int
	failClose int // the next failClose Closes fail
}

func (f *fakeFirewall) Name() string                                   { return "fake" }
func (f *fakeFirewall) Init(context.Context) error                     { return nil }
func (f *fakeFirewall) Establish(context.Context) error                { return nil }
func (f *fakeFirewall) Check(context.Context) error                    { return nil }
func (f *fakeFirewall) Flush(context.Context) error                    { return nil }
func (f *fakeFirewall) Unguard(context.Context) error                  { return nil }
func (f *fakeFirewall) Stale(context.Context) ([]firewall.Rule, error) { return nil, nil }
func (f *fakeFirewall) Rules(context.Context) ([]firewall.Rule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []firewall.Rule
	for r := range f.rules {
		rs = append(rs, r)
	}
	return rs, nil
}

func (f *fakeFirewall) Open(_ context.Context, r firewall.Rule, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	f.rules[r] = true
	if f.ttls == nil {
		f.ttls = map[firewall.Rule]time.Duration{}
	}
	f.ttls[r] = ttl
	return nil
}

func (f *fakeFirewall) ttl(r firewall.Rule) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ttls[r]
}

func (f *fakeFirewall) Close(_ context.Context, r firewall.Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failClose > 0 {
		f.failClose--
		return errors.New("firewall says no")
	}
	delete(f.rules, r)
	return nil
}

func (f *fakeFirewall) has(r firewall.Rule) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rules[r]
}

func (f *fakeFirewall) set(rules map[firewall.Rule]bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = map[firewall.Rule]bool{}
	for r := range rules {
		f.rules[r] = true
	}
}

func (f *fakeFirewall) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rules)
}

// fakeFlows is a connection table the test fills by hand.
type fakeFlows struct {
	mu    sync.Mutex
	flows []conntrack.Flow
	err   error
	reads int
}

func (f *fakeFlows) Flows(context.Context) ([]conntrack.Flow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return slices.Clone(f.flows), f.err
}

func (f *fakeFlows) set(flows []conntrack.Flow, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flows, f.err = flows, err
}

type rig struct {
	fw    *fakeFirewall
	flows *fakeFlows
	clk   *clock.Fake
	k     *Keeper
	ended []string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{fw: &fakeFirewall{rules: map[firewall.Rule]bool{}}, flows: &fakeFlows{}, clk: clock.NewFake(time.Unix(1e9, 0))}
	var err error
	r.k, err = New(Config{
		Firewall: r.fw, Flows: r.flows, Clock: r.clk, IdleCheck: time.Second, Retry: 5 * time.Second,
		OnEnd: func(g Grant, why Reason) { r.ended = append(r.ended, g.Door+" "+g.Rule.String()+" "+string(why)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	ctx   = context.Background()
	rule  = firewall.Rule{Src: netip.MustParseAddr("192.0.2.2"), Proto: knocker.TCP, Port: 22}
	rule6 = firewall.Rule{Src: netip.MustParseAddr("2001:db8::2"), Proto: knocker.UDP, Port: 51820}
	door  = Key{Door: "openSSH", Rule: rule}
)

func (r *rig) grant(t *testing.T, key Key, terms Terms) bool {
	t.Helper()
	refreshed, err := r.k.Grant(ctx, key, terms)
	if err != nil {
		t.Fatal(err)
	}
	return refreshed
}

func (r *rig) wantOpen(t *testing.T, fr firewall.Rule, want bool) {
	t.Helper()
	if got := r.fw.has(fr); got != want {
		t.Fatalf("rule %s open = %v, want %v (grants %v)", fr, got, want, r.k.Grants())
	}
}

func established(src netip.Addr, proto uint8, port uint16) conntrack.Flow {
	f := conntrack.Flow{Proto: proto, Src: src, DstPort: port, SrcPort: 40000}
	if proto == unix.IPPROTO_TCP {
		f.TCPState = conntrack.TCPEstablished
	} else {
		f.Status = conntrack.StatusSeenReply
	}
	return f
}

func TestExpiryByTimer(t *testing.T) {
	r := newRig(t)
	r.grant(t, door, Terms{Access: 30 * time.Second})
	r.wantOpen(t, rule, true)
	if g := r.k.Grants(); len(g) != 1 || !g[0].Expires.Equal(r.clk.Now().Add(30*time.Second)) {
		t.Fatalf("grants = %+v, want one expiring in 30s", g)
	}
	r.clk.Advance(30*time.Second - time.Nanosecond)
	r.wantOpen(t, rule, true)
	r.clk.Advance(time.Nanosecond)
	r.wantOpen(t, rule, false)
	if len(r.k.Grants()) != 0 || !slices.Equal(r.ended, []string{"openSSH 192.0.2.2 tcp/22 expired"}) {
		t.Fatalf("after expiry: grants %v, ended %q", r.k.Grants(), r.ended)
	}
	if n := r.clk.Pending(); n != 0 {
		t.Fatalf("%d timers left behind", n)
	}
}

func TestRefreshKeepsOneRule(t *testing.T) {
	r := newRig(t)
	if r.grant(t, door, Terms{Access: 30 * time.Second}) {
		t.Fatal("first knock reported as a refresh")
	}
	r.clk.Advance(20 * time.Second)
	if !r.grant(t, door, Terms{Access: 30 * time.Second}) {
		t.Fatal("second knock not reported as a refresh")
	}
	if n := r.fw.count(); n != 1 || len(r.k.Grants()) != 1 {
		t.Fatalf("after a second knock: %d rules, %d grants; want 1 and 1", n, len(r.k.Grants()))
	}
	r.clk.Advance(29 * time.Second) // 49 s after the first knock: the first timer must not fire
	r.wantOpen(t, rule, true)
	r.clk.Advance(time.Second)
	r.wantOpen(t, rule, false)
	if len(r.ended) != 1 || r.clk.Pending() != 0 {
		t.Fatalf("ended %q, %d timers pending; want one end and none", r.ended, r.clk.Pending())
	}
}

func TestRevoke(t *testing.T) {
	r := newRig(t)
	r.grant(t, door, Terms{})
	r.grant(t, Key{Door: "vpn", Rule: rule6}, Terms{Access: time.Hour})
	if err := r.k.Revoke(ctx, Key{Door: "other", Rule: rule}); err != nil {
		t.Fatal(err)
	}
	r.wantOpen(t, rule, true)
	if err := r.k.Revoke(ctx, door); err != nil {
		t.Fatal(err)
	}
	r.wantOpen(t, rule, false)
	r.wantOpen(t, rule6, true)
	if err := r.k.Revoke(ctx, door); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if !slices.Equal(r.ended, []string{"openSSH 192.0.2.2 tcp/22 revoked"}) {
		t.Fatalf("ended %q", r.ended)
	}
}

func TestTwoDoorsOneRule(t *testing.T) {
	r := newRig(t)
	a, b := Key{Door: "a", Rule: rule}, Key{Door: "b", Rule: rule}
	r.grant(t, a, Terms{Access: 10 * time.Second})
	r.grant(t, b, Terms{Access: 20 * time.Second})
	r.clk.Advance(10 * time.Second)
	r.wantOpen(t, rule, true) // b still holds it
	r.clk.Advance(10 * time.Second)
	r.wantOpen(t, rule, false)

	r.grant(t, a, Terms{})
	r.grant(t, b, Terms{})
	mapped := rule
	mapped.Src = netip.AddrFrom16(rule.Src.As16()) // ::ffff:192.0.2.2 is the same source
	if err := r.k.RevokeRule(ctx, mapped); err != nil {
		t.Fatal(err)
	}
	r.wantOpen(t, rule, false)
	if len(r.k.Grants()) != 0 {
		t.Fatalf("RevokeRule left %v", r.k.Grants())
	}
}

func TestShutdown(t *testing.T) {
	r := newRig(t)
	r.grant(t, door, Terms{Access: time.Minute})
	r.grant(t, Key{Door: "vpn", Rule: rule6}, Terms{Idle: time.Minute})
	r.grant(t, Key{Door: "forever", Rule: firewall.Rule{Src: rule.Src, Proto: knocker.TCP, Port: 443}}, Terms{})
	if err := r.k.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := r.fw.count(); n != 0 || len(r.k.Grants()) != 0 || r.clk.Pending() != 0 {
		t.Fatalf("after Shutdown: %d rules, %v grants, %d timers; want none", n, r.k.Grants(), r.clk.Pending())
	}
	if _, err := r.k.Grant(ctx, door, Terms{}); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Grant after Shutdown: %v, want ErrShutdown", err)
	}
}

func TestIdleClose(t *testing.T) {
	conn := []conntrack.Flow{
		established(rule.Src, unix.IPPROTO_TCP, 22),
		// Near misses that must not keep the rule: another port, another
		// source, a closed connection, UDP to the same port.
		established(rule.Src, unix.IPPROTO_TCP, 2222),
		established(netip.MustParseAddr("192.0.2.3"), unix.IPPROTO_TCP, 22),
		{Proto: unix.IPPROTO_TCP, Src: rule.Src, DstPort: 22, TCPState: 7},
		established(rule.Src, unix.IPPROTO_UDP, 22),
	}
	for _, tc := range []struct {
		name      string
		connected time.Duration // how long after the knock a connection exists
		flows     []conntrack.Flow
		err       error
		wantGone  time.Duration // when the rule goes, from the knock
	}{
		{name: "never connects", wantGone: 10 * time.Second},
		{name: "only near misses", flows: conn[1:], connected: time.Minute, wantGone: 10 * time.Second},
		{name: "connected for a minute", flows: conn, connected: time.Minute, wantGone: time.Minute + 10*time.Second},
		{name: "mapped source", connected: 30 * time.Second, wantGone: 40 * time.Second,
			flows: []conntrack.Flow{established(netip.AddrFrom16(rule.Src.As16()), unix.IPPROTO_TCP, 22)}},
		{name: "table unreadable", flows: conn, err: errors.New("netlink: permission denied"), connected: time.Minute, wantGone: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.grant(t, door, Terms{Idle: 10 * time.Second})
			if tc.connected > 0 {
				r.flows.set(tc.flows, tc.err)
			}
			for el := time.Second; el <= 3*time.Minute; el += time.Second {
				if el == tc.connected+time.Second {
					r.flows.set(nil, tc.err)
				}
				r.clk.Advance(time.Second)
				if open := r.fw.has(rule); open != (el < tc.wantGone) {
					t.Fatalf("%s after the knock: rule open = %v; want it gone at %s", el, open, tc.wantGone)
				}
			}
			if !slices.Equal(r.ended, []string{"openSSH 192.0.2.2 tcp/22 idle"}) || r.clk.Pending() != 0 {
				t.Fatalf("ended %q, %d timers pending", r.ended, r.clk.Pending())
			}
		})
	}
}

// The access time is a hard limit, even for a grant in use.
func TestAccessBeatsActivity(t *testing.T) {
	r := newRig(t)
	r.flows.set([]conntrack.Flow{established(rule.Src, unix.IPPROTO_TCP, 22)}, nil)
	r.grant(t, door, Terms{Access: time.Minute, Idle: 10 * time.Second})
	r.clk.Advance(time.Minute - time.Second)
	r.wantOpen(t, rule, true)
	r.clk.Advance(time.Second)
	r.wantOpen(t, rule, false)
	if !slices.Equal(r.ended, []string{"openSSH 192.0.2.2 tcp/22 expired"}) {
		t.Fatalf("ended %q", r.ended)
	}
	reads := r.flows.reads
	r.clk.Advance(time.Minute)
	if r.flows.reads != reads || r.clk.Pending() != 0 {
		t.Fatal("the idle check goes on with no idle grant left")
	}
}

func TestFailedCloseRetried(t *testing.T) {
	r := newRig(t)
	r.grant(t, door, Terms{Access: time.Second})
	r.fw.failClose = 2
	r.clk.Advance(time.Second)
	r.wantOpen(t, rule, true) // the close failed
	if len(r.k.Grants()) != 0 {
		t.Fatal("the grant outlived its expiry")
	}
	r.clk.Advance(5 * time.Second) // first retry fails too
	r.wantOpen(t, rule, true)
	r.clk.Advance(5 * time.Second)
	r.wantOpen(t, rule, false)
	if r.clk.Pending() != 0 {
		t.Fatal("retries go on after success")
	}

	// A knock while its removal is pending keeps the rule, and stops the
	// retries.
	r.grant(t, door, Terms{Access: time.Second})
	r.fw.failClose = 1
	r.clk.Advance(time.Second)
	r.grant(t, door, Terms{})
	r.clk.Advance(time.Minute)
	r.wantOpen(t, rule, true)
}

func TestGrantRejects(t *testing.T) {
	r := newRig(t)
	noFlows, err := New(Config{Firewall: r.fw, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		k    *Keeper
		key  Key
		t    Terms
	}{
		{"no source", r.k, Key{Door: "d", Rule: firewall.Rule{Proto: knocker.TCP, Port: 22}}, Terms{}},
		{"port 0", r.k, Key{Door: "d", Rule: firewall.Rule{Src: rule.Src, Proto: knocker.TCP}}, Terms{}},
		{"negative access", r.k, door, Terms{Access: -time.Second}},
		{"idle without a table", noFlows, door, Terms{Idle: time.Second}},
	} {
		if _, err := tc.k.Grant(ctx, tc.key, tc.t); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if r.fw.count() != 0 || r.fw.opens != 0 {
		t.Fatal("a rejected grant reached the firewall")
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a firewall: no error")
	}
}

// TestKernelTimeout: the rule is opened for as long as the longest access
// time of the grants that hold it, so that the kernel ends it on time even
// when sesamed is killed; a grant without an access time holds it open
// without a limit, and Reapply opens each rule for the rest of its time.
func TestKernelTimeout(t *testing.T) {
	other := Key{Door: "openWeb", Rule: rule}
	for _, tc := range []struct {
		name  string
		steps func(r *rig)
		want  time.Duration
	}{
		{"one grant", func(r *rig) { r.grant(t, door, Terms{Access: 10 * time.Second}) }, 10 * time.Second},
		{"a longer grant of another door", func(r *rig) {
			r.grant(t, door, Terms{Access: 10 * time.Second})
			r.grant(t, other, Terms{Access: 30 * time.Second})
		}, 30 * time.Second},
		{"a shorter grant keeps the longer one", func(r *rig) {
			r.grant(t, door, Terms{Access: 30 * time.Second})
			r.clk.Advance(5 * time.Second)
			r.grant(t, other, Terms{Access: 10 * time.Second})
		}, 25 * time.Second},
		{"a grant without access time", func(r *rig) {
			r.grant(t, door, Terms{})
			r.grant(t, other, Terms{Access: 10 * time.Second})
		}, 0},
		{"close when idle only: twice the idle time and two checks", func(r *rig) {
			r.grant(t, door, Terms{Idle: 5 * time.Second})
		}, 12 * time.Second},
		{"refresh re-arms", func(r *rig) {
			r.grant(t, door, Terms{Access: 10 * time.Second})
			r.clk.Advance(4 * time.Second)
			r.grant(t, door, Terms{Access: 10 * time.Second})
		}, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			tc.steps(r)
			if got := r.fw.ttl(rule); got != tc.want {
				t.Fatalf("rule opened for %s, want %s", got, tc.want)
			}
		})
	}

	// A rule in use by an idle-closing grant has its kernel deadline
	// pushed on, about once per idle time; unused, it is left to run out.
	r := newRig(t)
	r.grant(t, door, Terms{Idle: 5 * time.Second})
	r.flows.set([]conntrack.Flow{established(rule.Src, unix.IPPROTO_TCP, 22)}, nil)
	opens := r.fw.opens
	r.clk.Advance(5 * time.Second) // 7 s of the 12 s left: not yet
	if r.fw.opens != opens {
		t.Fatalf("re-armed with 7 s of 12 s left (%d opens)", r.fw.opens-opens)
	}
	r.clk.Advance(time.Second) // 6 s left, less than idle + two checks
	if r.fw.opens != opens+1 || r.fw.ttl(rule) != 12*time.Second {
		t.Fatalf("a rule in use was not re-armed: %d opens, ttl %s", r.fw.opens-opens, r.fw.ttl(rule))
	}
	r.clk.Advance(time.Second)
	if r.fw.opens != opens+1 {
		t.Fatal("re-armed again at once")
	}

	r = newRig(t)
	r.grant(t, door, Terms{Access: 10 * time.Second})
	r.grant(t, Key{Door: "openSSH", Rule: rule6}, Terms{})
	r.clk.Advance(3 * time.Second)
	r.fw.set(nil) // somebody flushed the firewall
	n, err := r.k.Reapply(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reapply = %d, %v; want 2 rules", n, err)
	}
	if !r.fw.has(rule) || !r.fw.has(rule6) {
		t.Fatal("Reapply did not open the live grants' rules again")
	}
	if got := r.fw.ttl(rule); got != 7*time.Second {
		t.Fatalf("Reapply opened %s for %s, want the 7s left", rule, got)
	}
	if got := r.fw.ttl(rule6); got != 0 {
		t.Fatalf("Reapply opened %s for %s, want no limit", rule6, got)
	}
}
