package keeper

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"sesame/knock"
	"sesame/knocker"
)

// TestMain makes this test binary a keeper when run with Arg, as the sesame
// binary is, so the tests start real keeper processes.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Arg {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

func mustSeq(t *testing.T, s string) knocker.Sequence {
	t.Helper()
	seq, err := knocker.ParseSequence(s)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestServe(t *testing.T) {
	job := Job{Addr: netip.MustParseAddr("192.0.2.1"), Sequence: mustSeq(t, "9000,8000:udp,7000@250ms"), Delay: 100 * time.Millisecond}
	line, err := job.encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		input   string
		want    Outcome
		sent    bool
		wantErr string
	}{
		{"closed by the client", string(line) + closedMsg, Released, false, ""},
		{"client gone", string(line), Knocked, true, ""},
		{"client gone mid-message", string(line) + "clo", Knocked, true, ""},
		{"no job", "", Released, false, "no job"},
		{"bad job", "{}\n", Released, false, "address"},
		{"unknown message", string(line) + "open\n", Released, false, "unexpected message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *Job
			send := func(_ context.Context, addr netip.Addr, seq knocker.Sequence, opts knock.Options) error {
				got = &Job{Addr: addr, Sequence: seq, Delay: opts.Delay}
				return nil
			}
			out, err := Serve(context.Background(), strings.NewReader(tt.input), send)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Serve error %v, want %q", err, tt.wantErr)
			}
			if out != tt.want {
				t.Fatalf("outcome %v, want %v", out, tt.want)
			}
			if (got != nil) != tt.sent {
				t.Fatalf("sent %v, want sent=%v", got, tt.sent)
			}
			if got != nil && (got.Addr != job.Addr || !got.Sequence.Equal(job.Sequence) || got.Delay != job.Delay) {
				t.Fatalf("sent %+v, want %+v", *got, job)
			}
		})
	}
}

func TestServeReportsFailedKnock(t *testing.T) {
	job := Job{Addr: netip.MustParseAddr("192.0.2.1"), Sequence: mustSeq(t, "9000")}
	line, _ := job.encode()
	boom := errors.New("no route")
	_, err := Serve(context.Background(), strings.NewReader(string(line)), func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error {
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Serve = %v, want the knock's error", err)
	}
}

// TestJobErrorHidesSequence: a sequence that does not parse is a secret
// still; the error must not quote it.
func TestJobErrorHidesSequence(t *testing.T) {
	_, err := decodeJob(`{"addr":"192.0.2.1","sequence":"secret-token-7000"}`)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("decodeJob = %v, want an error that does not quote the sequence", err)
	}
}

func TestStartRefusesEmptyJob(t *testing.T) {
	if _, err := (&Exec{Path: "/bin/true"}).Start(Job{Addr: netip.MustParseAddr("192.0.2.1")}); err == nil {
		t.Fatal("Start accepted a job with no close sequence")
	}
}
