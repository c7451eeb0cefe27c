package knock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sesame/knocker"
)

// recorder stands in for the network: it records each knock and when it
// was sent.
type recorder struct {
	mu    sync.Mutex
	sent  []netip.AddrPort
	proto []knocker.Proto
	at    []time.Time
	fail  int // fail the knock with this 1-based index
}

func (r *recorder) knock(dst netip.AddrPort, p knocker.Proto) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent)+1 == r.fail {
		return errors.New("network is unreachable")
	}
	r.sent = append(r.sent, dst)
	r.proto = append(r.proto, p)
	r.at = append(r.at, time.Now())
	return nil
}

var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in unit tests")
}}

func TestSendToOrderAndGaps(t *testing.T) {
	seq, err := knocker.ParseSequence("7000,8000:udp@30ms,9000")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	addr := netip.MustParseAddr("192.0.2.1")
	var events []Event
	err = SendTo(context.Background(), addr, seq, Options{
		Delay:    20 * time.Millisecond,
		knock:    r.knock,
		Progress: func(e Event) { events = append(events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"192.0.2.1:7000", "192.0.2.1:8000", "192.0.2.1:9000"}
	wantProto := []knocker.Proto{knocker.TCP, knocker.UDP, knocker.TCP}
	for i := range want {
		if r.sent[i].String() != want[i] || r.proto[i] != wantProto[i] {
			t.Fatalf("knock %d went to %s %s, want %s %s", i+1, r.proto[i], r.sent[i], wantProto[i], want[i])
		}
	}
	// Gaps are never shorter than asked (the upper bound is a benchmark's
	// job). The recorder's clock reads a moment after the sender's, hence
	// the slack.
	for i, min := range []time.Duration{30 * time.Millisecond, 20 * time.Millisecond} {
		if gap := r.at[i+1].Sub(r.at[i]); gap < min-time.Millisecond {
			t.Errorf("gap before knock %d was %v, want at least %v", i+2, gap, min)
		}
	}
	var kinds []EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
		if e.Total != 3 || e.Addr != addr {
			t.Errorf("event %+v: want Total 3 and Addr %s", e, addr)
		}
	}
	wantKinds := []EventKind{Resolved, Sent, Waiting, Sent, Waiting, Sent}
	if len(kinds) != len(wantKinds) {
		t.Fatalf("events %v, want %v", kinds, wantKinds)
	}
	for i := range kinds {
		if kinds[i] != wantKinds[i] {
			t.Fatalf("events %v, want %v", kinds, wantKinds)
		}
	}
	if events[3].Step != 2 || events[3].Knock.Port != 8000 || events[3].Knock.Proto != knocker.UDP {
		t.Fatalf("second Sent event = %+v, want step 2, 8000/udp", events[3])
	}
}

func TestSendToStopsWhenCancelled(t *testing.T) {
	seq, _ := knocker.ParseSequence("1,2,3")
	r := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- SendTo(ctx, netip.MustParseAddr("192.0.2.1"), seq, Options{
			Delay: time.Hour,
			knock: r.knock,
			Progress: func(e Event) {
				if e.Kind == Waiting {
					cancel()
				}
			},
		})
	}()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("SendTo = %v, want context.Canceled", err)
	}
	if len(r.sent) != 1 {
		t.Fatalf("%d knocks sent after cancel, want only the first", len(r.sent))
	}
}

func TestSendToReportsFailedKnock(t *testing.T) {
	seq, _ := knocker.ParseSequence("1,2,3")
	r := &recorder{fail: 2}
	err := SendTo(context.Background(), netip.MustParseAddr("2001:db8::1"), seq, Options{knock: r.knock})
	var ke *KnockError
	if !errors.As(err, &ke) || ke.Step != 2 || ke.Knock.Port != 2 {
		t.Fatalf("SendTo = %v, want a KnockError for step 2", err)
	}
	if want := "knock 2 of 3 (tcp to 2001:db8::1): network is unreachable"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if len(r.sent) != 1 {
		t.Fatalf("%d knocks sent, want 1 (stop at the failure)", len(r.sent))
	}
}

// TestKnockErrorHidesThePort: the net package's errors name the socket
// address, port included; a knock's error names the knock by number only.
func TestKnockErrorHidesThePort(t *testing.T) {
	dst := netip.MustParseAddrPort("192.0.2.1:47123")
	inner := &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(dst),
		Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
	err := &KnockError{Step: 3, Total: 3, Knock: knocker.Step{Port: 47123, Proto: knocker.TCP}, Addr: dst.Addr(), Err: inner}
	if got := err.Error(); strings.Contains(got, "47123") || got != "knock 3 of 3 (tcp to 192.0.2.1): network is unreachable" {
		t.Fatalf("error %q", got)
	}
	if !errors.Is(err, syscall.ENETUNREACH) {
		t.Fatal("the cause is lost")
	}
}

func TestSendValidatesBeforeResolving(t *testing.T) {
	r := &recorder{}
	_, err := Send(context.Background(), "192.0.2.1", knocker.Sequence{{Port: 0, Proto: knocker.TCP}}, Options{knock: r.knock})
	if err == nil || len(r.sent) != 0 {
		t.Fatalf("Send with port 0 = %v and %d knocks; want an error and none", err, len(r.sent))
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		host string
		fam  Family
		want string
		ok   bool
	}{
		{"192.0.2.1", FamilyAuto, "192.0.2.1", true},
		{"192.0.2.1", Family4, "192.0.2.1", true},
		{"192.0.2.1", Family6, "", false},
		{"2001:db8::1", FamilyAuto, "2001:db8::1", true},
		{"[2001:db8::1]", Family6, "2001:db8::1", true},
		{"2001:db8::1", Family4, "", false},
		{"::ffff:192.0.2.1", Family4, "192.0.2.1", true},
		{"", FamilyAuto, "", false},
		{"no-such-host.invalid", FamilyAuto, "", false},
	}
	for _, tt := range tests {
		got, err := Resolve(context.Background(), tt.host, tt.fam, noDNS)
		if (err == nil) != tt.ok || (tt.ok && got.String() != tt.want) {
			t.Errorf("Resolve(%q, %v) = %v, %v; want %s ok=%v", tt.host, tt.fam, got, err, tt.want, tt.ok)
		}
		var re *ResolveError
		if err != nil && !errors.As(err, &re) {
			t.Errorf("Resolve(%q) error %v is not a ResolveError", tt.host, err)
		}
	}
}

func TestParseFamily(t *testing.T) {
	for in, want := range map[string]Family{"": FamilyAuto, "auto": FamilyAuto, "4": Family4, "IPv6": Family6, "inet6": Family6} {
		if got, err := ParseFamily(in); err != nil || got != want {
			t.Errorf("ParseFamily(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseFamily("5"); err == nil {
		t.Error("ParseFamily(5) succeeded")
	}
}
