package knocker

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSequence(t *testing.T) {
	tests := []struct {
		in   string
		want Sequence
	}{
		{"7000,8000,9000", Sequence{{Port: 7000, Proto: TCP}, {Port: 8000, Proto: TCP}, {Port: 9000, Proto: TCP}}},
		{"7000,8000:udp,9000", Sequence{{Port: 7000, Proto: TCP}, {Port: 8000, Proto: UDP}, {Port: 9000, Proto: TCP}}},
		{"2222:udp, 3333:tcp ,4444:UDP", Sequence{{Port: 2222, Proto: UDP}, {Port: 3333, Proto: TCP}, {Port: 4444, Proto: UDP}}},
		{"1", Sequence{{Port: 1, Proto: TCP}}},
		{"65535:udp", Sequence{{Port: 65535, Proto: UDP}}},
		{"7000,8000@500ms,9000:udp@1.5s", Sequence{
			{Port: 7000, Proto: TCP},
			{Port: 8000, Proto: TCP, Gap: 500 * time.Millisecond, GapSet: true},
			{Port: 9000, Proto: UDP, Gap: 1500 * time.Millisecond, GapSet: true},
		}},
		{"7000,8000@250", Sequence{{Port: 7000, Proto: TCP}, {Port: 8000, Proto: TCP, Gap: 250 * time.Millisecond, GapSet: true}}},
		{"7000,8000@0", Sequence{{Port: 7000, Proto: TCP}, {Port: 8000, Proto: TCP, Gap: 0, GapSet: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSequence(tt.in)
			if err != nil {
				t.Fatalf("ParseSequence(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("ParseSequence(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSequenceErrors(t *testing.T) {
	tests := []struct {
		in        string
		wantToken string // the token the error must name; "" for ErrEmpty
		wantText  string
	}{
		{"", "", "empty"},
		{"   ", "", "empty"},
		{"0", "0", "1 to 65535"},
		{"70000", "70000", "1 to 65535"},
		{"abc", "abc", "1 to 65535"},
		{"-1", "-1", "1 to 65535"},
		{"+80", "+80", "1 to 65535"},
		{"22:icmp", "22:icmp", "tcp or udp"},
		{"22:", "22:", "tcp or udp"},
		{":udp", ":udp", "missing port"},
		{"7000,,9000", "", "extra comma"},
		{"7000,", "", "extra comma"},
		{"7000@1s,8000", "7000@1s", "first knock"},
		{"7000,8000@-5ms", "8000@-5ms", "negative"},
		{"7000,8000@soon", "8000@soon", "bad delay"},
		{"7000,8000@2h", "8000@2h", "1h"},
		{"7000,99999999999999999999", "99999999999999999999", "1 to 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseSequence(tt.in)
			if err == nil {
				t.Fatalf("ParseSequence(%q) succeeded, want an error", tt.in)
			}
			if tt.wantToken == "" && tt.wantText == "empty" && !errors.Is(err, ErrEmpty) {
				t.Fatalf("ParseSequence(%q) = %v, want ErrEmpty", tt.in, err)
			}
			var te *TokenError
			if tt.wantToken != "" && (!errors.As(err, &te) || te.Token != tt.wantToken) {
				t.Fatalf("ParseSequence(%q) = %v, want an error naming %q", tt.in, err, tt.wantToken)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("ParseSequence(%q) = %q, want it to say %q", tt.in, err, tt.wantText)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line", err)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"7000", "8000", "9000"}, "7000,8000,9000"},
		{[]string{"123:tcp", "456:udp", "789:tcp"}, "123,456:udp,789"},
		{[]string{"7000,8000:udp", "9000"}, "7000,8000:udp,9000"},
	}
	for _, tt := range tests {
		got, err := ParseArgs(tt.args)
		if err != nil {
			t.Fatalf("ParseArgs(%q): %v", tt.args, err)
		}
		if got.String() != tt.want {
			t.Fatalf("ParseArgs(%q) = %s, want %s", tt.args, got, tt.want)
		}
	}
	if _, err := ParseArgs(nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("ParseArgs(nil) = %v, want ErrEmpty", err)
	}
}

func TestSequenceStringRoundTrip(t *testing.T) {
	for _, in := range []string{"7000,8000:udp,9000", "1@0s", "1,2@1h0m0s,3:udp@1ms", "65535:udp,1:tcp@1.5s"} {
		seq, err := ParseSequence(in)
		if err != nil {
			if in == "1@0s" {
				continue // a gap on the first knock is refused
			}
			t.Fatal(err)
		}
		back, err := ParseSequence(seq.String())
		if err != nil {
			t.Fatalf("ParseSequence(%q) (printed from %q): %v", seq.String(), in, err)
		}
		if !back.Equal(seq) {
			t.Fatalf("round trip of %q: %v, want %v", in, back, seq)
		}
	}
}

func TestWithProto(t *testing.T) {
	seq, _ := ParseSequence("1,2:udp,3:tcp")
	udp := seq.WithProto(UDP)
	if udp.String() != "1:udp,2:udp,3:udp" {
		t.Fatalf("WithProto(UDP) = %s", udp)
	}
	if seq.String() != "1,2:udp,3" {
		t.Fatalf("WithProto changed its receiver: %s", seq)
	}
}

func TestParseDelay(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"100", 100 * time.Millisecond, true},
		{"0", 0, true},
		{"100ms", 100 * time.Millisecond, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"", 0, false},
		{"fast", 0, false},
		{"3600001", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDelay(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDelay(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseSequence(f *testing.F) {
	for _, s := range []string{"7000,8000,9000", "2222:udp,3333:tcp,4444:udp", "1,2@500ms", "7000,8000:UDP@1.5s", "", ",", "0", "70000", "22:icmp", "1@@1", "1,2@9999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seq, err := ParseSequence(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error for %q: %q", s, err)
			}
			return
		}
		if err := seq.Validate(); err != nil {
			t.Fatalf("ParseSequence(%q) returned an invalid sequence: %v", s, err)
		}
		back, err := ParseSequence(seq.String())
		if err != nil {
			t.Fatalf("printed form %q of %q does not parse: %v", seq.String(), s, err)
		}
		if !back.Equal(seq) {
			t.Fatalf("round trip of %q: %v, want %v", s, back, seq)
		}
	})
}
