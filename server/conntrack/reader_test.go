//go:build linux

package conntrack

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeDumper serves the same entries for every dump, or fails.
type fakeDumper struct {
	flows []Flow
	err   error
	asked []Port
}

func (f *fakeDumper) dumpPort(_ context.Context, family, proto uint8, port uint16, fn func(Flow)) (int, error) {
	f.asked = append(f.asked, Port{proto, port})
	if f.err != nil {
		return 0, f.err
	}
	for _, fl := range f.flows {
		if (family == unix.AF_INET6) == fl.Src.Is6() {
			fn(fl)
		}
	}
	return len(f.flows), nil
}

func tcpFlow(src string, port uint16, state uint8) Flow {
	return Flow{Proto: unix.IPPROTO_TCP, Src: netip.MustParseAddr(src), DstPort: port, SrcPort: 40000, TCPState: state}
}

// TestReaderFoldsAndBounds: only established flows to the asked ports
// count, one per source, at most MaxFlows of them.
func TestReaderFoldsAndBounds(t *testing.T) {
	d := &fakeDumper{flows: []Flow{
		tcpFlow("192.0.2.2", 22, TCPEstablished),
		tcpFlow("192.0.2.2", 22, TCPEstablished), // a second connection
		tcpFlow("192.0.2.3", 22, 1),              // SYN sent: not established
		tcpFlow("192.0.2.4", 80, TCPEstablished), // another port
		tcpFlow("2001:db8::2", 22, TCPEstablished),
		tcpFlow("192.0.2.5", 22, TCPEstablished),
	}}
	for _, tc := range []struct {
		max  int
		want []string
	}{
		{0, []string{"192.0.2.2", "192.0.2.5", "2001:db8::2"}},
		{2, []string{"192.0.2.2", "192.0.2.5"}},
	} {
		r := newReader(d, ReaderOptions{Ports: func() []Port { return []Port{{unix.IPPROTO_TCP, 22}} }, MaxFlows: tc.max})
		flows, err := r.Flows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range flows {
			got = append(got, f.Src.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("max %d: sources %q, want %q", tc.max, got, tc.want)
		}
	}
	r := newReader(d, ReaderOptions{Ports: func() []Port { return nil }})
	d.asked = nil
	if flows, err := r.Flows(context.Background()); err != nil || flows != nil || d.asked != nil {
		t.Errorf("no ports: %v, %v, asked %v; want no dump", flows, err, d.asked)
	}
}

// TestReaderGrace: a failed read answers with the last good one for the
// grace period, saying so, and fails after it.
func TestReaderGrace(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &fakeDumper{flows: []Flow{tcpFlow("192.0.2.2", 22, TCPEstablished)}}
	type report struct {
		err  error
		kept bool
	}
	var reports []report
	r := newReader(d, ReaderOptions{
		Ports:   func() []Port { return []Port{{unix.IPPROTO_TCP, 22}} },
		Grace:   5 * time.Second,
		Now:     func() time.Time { return now },
		OnError: func(err error, kept bool) { reports = append(reports, report{err, kept}) },
	})
	boom := errors.New("ENOBUFS")

	// No good answer yet: the failure is the answer.
	d.err = boom
	if _, err := r.Flows(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("first read failing = %v, want %v", err, boom)
	}
	d.err = nil
	if flows, err := r.Flows(context.Background()); err != nil || len(flows) != 1 {
		t.Fatalf("good read = %v, %v", flows, err)
	}
	d.err = boom
	for _, tc := range []struct {
		after time.Duration
		kept  bool
	}{{time.Second, true}, {5 * time.Second, true}, {5*time.Second + time.Millisecond, false}} {
		now = now.Add(tc.after)
		flows, err := r.Flows(context.Background())
		if tc.kept && (err != nil || len(flows) != 1) {
			t.Errorf("%v after the last good read: %v, %v; want the last answer", tc.after, flows, err)
		}
		if !tc.kept && !errors.Is(err, boom) {
			t.Errorf("%v after the last good read: %v, %v; want the error", tc.after, flows, err)
		}
		if last := reports[len(reports)-1]; last.kept != tc.kept || !errors.Is(last.err, boom) {
			t.Errorf("%v after: reported %+v, want kept %v", tc.after, last, tc.kept)
		}
		now = now.Add(-tc.after) // measured from the last good read
	}
}
