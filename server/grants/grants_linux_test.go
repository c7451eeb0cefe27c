//go:build linux

package grants_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/clock"
	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/server/conntrack"
	"sesame/server/firewall"
	"sesame/server/firewall/firewalltest"
	"sesame/server/grants"
)

// The backends the real-firewall tests run on.
var kinds = []string{"iptables", "nftables"}

type server struct {
	p     *testnet.Pair
	fw    firewall.Backend
	flows *conntrack.Conn
}

// newServer guards port 22 in a fresh server namespace, listens on it, and
// initialises a backend of kind and a conntrack socket there.
func newServer(t *testing.T, kind string) *server {
	t.Helper()
	p := testnet.NewPair(t)
	firewalltest.Guard(t, p.Server, kind, 22)
	firewalltest.Listen(t, p.Server, 22)
	s := &server{p: p, fw: firewalltest.New(t, p.Server, kind)}
	if err := s.fw.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Server.Do(func() error {
		var err error
		s.flows, err = conntrack.Dial()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.flows.Close() })
	return s
}

func (s *server) open(t *testing.T, r firewall.Rule) bool {
	t.Helper()
	rules, err := s.fw.Rules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range rules {
		if x == r {
			return true
		}
	}
	return false
}

var (
	to4 = netip.AddrPortFrom(testnet.ServerAddr4, 22)
	to6 = netip.AddrPortFrom(testnet.ServerAddr6, 22)
	r4  = firewall.Rule{Src: testnet.ClientAddr4, Proto: knocker.TCP, Port: 22}
	r6  = firewall.Rule{Src: testnet.ClientAddr6, Proto: knocker.TCP, Port: 22}
)

// TestIdleCloseReal: a real SSH-port connection through a grant keeps the
// grant's rule well past its idle time; once the connection ends, the rule
// goes exactly the idle time after the last check that saw it, and new
// connections are dropped again. Real firewall and real conntrack; the
// clock is fake so that the idle time passes without waiting for it.
func TestIdleCloseReal(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newServer(t, kind)
			clk := clock.NewFake(time.Now())
			k, err := grants.New(grants.Config{Firewall: s.fw, Flows: s.flows, Clock: clk, IdleCheck: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			key := grants.Key{Door: "openSSH", Rule: r4}
			if _, err := k.Grant(ctx, key, grants.Terms{Idle: 10 * time.Second}); err != nil {
				t.Fatal(err)
			}
			if refreshed, err := k.Grant(ctx, key, grants.Terms{Idle: 10 * time.Second}); err != nil || !refreshed {
				t.Fatalf("second knock: refreshed %v, %v", refreshed, err)
			}
			conn := firewalltest.Connect(t, s.p.Client, to4)
			for i := 1; i <= 30; i++ { // three times the idle time
				clk.Advance(time.Second)
				if !s.open(t, r4) {
					t.Fatalf("%d s into an established connection, the rule is gone", i)
				}
			}
			conn.Close()
			testnet.WaitFor(t, "conntrack to see the connection end", func() bool {
				flows, err := s.flows.Flows(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range flows {
					if f.Proto == unix.IPPROTO_TCP && f.Src == r4.Src && f.DstPort == 22 && f.Established() {
						return false
					}
				}
				return true
			})
			for i := 1; i < 10; i++ {
				clk.Advance(time.Second)
				if !s.open(t, r4) {
					t.Fatalf("the rule went %d s after the connection ended; want 10 s", i)
				}
			}
			clk.Advance(time.Second)
			if s.open(t, r4) {
				t.Fatal("the rule is still there 10 s after the connection ended")
			}
			if !firewalltest.Dropped(t, s.p.Client, to4) {
				t.Fatal("after the idle close, new connections still get through")
			}
		})
	}
}

// TestExpiryAndShutdownReal: on the real clock, a grant's rule goes when
// its access time runs out with no packet arriving to notice; Shutdown
// removes every rule the grants hold.
func TestExpiryAndShutdownReal(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newServer(t, kind)
			k, err := grants.New(grants.Config{Firewall: s.fw, Flows: s.flows})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.Grant(ctx, grants.Key{Door: "short", Rule: r4}, grants.Terms{Access: 300 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			firewalltest.Connect(t, s.p.Client, to4).Close()
			testnet.WaitFor(t, "the expired rule to go", func() bool { return !s.open(t, r4) })
			if !firewalltest.Dropped(t, s.p.Client, to4) {
				t.Fatal("after expiry, new connections still get through")
			}

			udp := firewall.Rule{Src: testnet.ClientAddr4, Proto: knocker.UDP, Port: 51820}
			for _, r := range []firewall.Rule{r4, r6, udp} {
				if _, err := k.Grant(ctx, grants.Key{Door: "long", Rule: r}, grants.Terms{Access: time.Hour, Idle: time.Hour}); err != nil {
					t.Fatal(err)
				}
			}
			firewalltest.Connect(t, s.p.Client, to6).Close()
			if err := k.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if rules, err := s.fw.Rules(ctx); err != nil || len(rules) != 0 {
				t.Fatalf("after Shutdown: rules %v, %v; want none", rules, err)
			}
			if !firewalltest.Dropped(t, s.p.Client, to4) || !firewalltest.Dropped(t, s.p.Client, to6) {
				t.Fatal("after Shutdown, new connections still get through")
			}
		})
	}
}
