package rotate_test

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"sesame/rotate"
	"sesame/rotate/rotatetest"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the current derivation")

func vectorInputs() []rotatetest.Vector {
	seeds := []string{
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", // "12345678901234567890", as in RFC 6238
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP",
	}
	var in []rotatetest.Vector
	for _, s := range seeds {
		for _, tm := range []string{"1970-01-01T00:00:59Z", "2005-03-18T01:58:29Z", "2009-02-13T23:31:30Z", "2033-05-18T03:33:20Z"} {
			in = append(in,
				rotatetest.Vector{Seed: s, Length: 4, Ports: "10000-60000", Protocols: "tcp", Window: "30s", Time: tm},
				rotatetest.Vector{Seed: s, Length: 3, Ports: "2000-2010", Protocols: "mixed", Window: "60s", Time: tm},
				rotatetest.Vector{Seed: s, Length: 6, Ports: "1-65535", Protocols: "udp", Window: "5s", Time: tm},
			)
		}
	}
	return in
}

// TestVectors holds the derivation to the shared vectors file, which
// sesamed's tests read too.
func TestVectors(t *testing.T) {
	if *update {
		in := vectorInputs()
		for i := range in {
			s, err := in[i].Derive()
			if err != nil {
				t.Fatal(err)
			}
			in[i].Sequence = s
		}
		b, _ := json.MarshalIndent(in, "", "  ")
		if err := os.WriteFile(rotatetest.Path(), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range rotatetest.Load(t) {
		got, err := v.Derive()
		if err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
		if got != v.Sequence {
			t.Errorf("%s %s at %s: derived %s, vector says %s", v.Seed[:8], v.Ports, v.Time, got, v.Sequence)
		}
	}
}

func TestSequenceProperties(t *testing.T) {
	seed, _ := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	p := rotate.Params{Length: 5, PortMin: 3000, PortMax: 3010, Protocols: rotate.Mixed, Window: 30 * time.Second}
	seen := map[string]bool{}
	sawUDP, sawTCP := false, false
	for w := int64(0); w < 200; w++ {
		seq, err := rotate.Sequence(seed, p, w)
		if err != nil {
			t.Fatal(err)
		}
		if len(seq) != 5 {
			t.Fatalf("window %d: %d knocks", w, len(seq))
		}
		ports := map[uint16]bool{}
		for _, st := range seq {
			if st.Port < 3000 || st.Port > 3010 || ports[st.Port] {
				t.Fatalf("window %d: %s: ports must be distinct and in range", w, seq)
			}
			ports[st.Port] = true
			sawUDP = sawUDP || st.Proto.String() == "udp"
			sawTCP = sawTCP || st.Proto.String() == "tcp"
		}
		seen[seq.String()] = true
	}
	if len(seen) < 150 || !sawUDP || !sawTCP {
		t.Fatalf("%d distinct sequences in 200 windows, udp %v tcp %v: the derivation does not vary enough", len(seen), sawUDP, sawTCP)
	}
	a, _ := rotate.Sequence(seed, p, 7)
	other, _ := rotate.ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP")
	b, _ := rotate.Sequence(other, p, 7)
	if a.String() == b.String() {
		t.Fatal("two seeds gave the same sequence")
	}
}

func TestWindows(t *testing.T) {
	p := rotate.DefaultParams()
	t0 := time.Unix(59, 0)
	if p.WindowAt(t0) != 1 || !p.WindowStart(1).Equal(time.Unix(30, 0)) {
		t.Fatalf("window of 59 s = %d, start of 1 = %v", p.WindowAt(t0), p.WindowStart(1))
	}
}

func TestParseSeed(t *testing.T) {
	s, err := rotate.NewSeed()
	if err != nil || len(s) != rotate.MinSeedBytes {
		t.Fatalf("rotate.NewSeed = %d bytes, %v", len(s), err)
	}
	back, err := rotate.ParseSeed(strings.ToLower(s.String()[:8]) + " " + s.String()[8:])
	if err != nil || back.String() != s.String() {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if back, err := rotate.ParseSeed(s.String() + "\r\n"); err != nil || back.String() != s.String() {
		t.Fatalf("a seed file's CR LF: %v", err)
	}
	for _, bad := range []string{"", "not base32!", "GEZDGNBV", strings.Repeat("A", 120)} {
		_, err := rotate.ParseSeed(bad)
		if err == nil {
			t.Errorf("rotate.ParseSeed(%q) succeeded", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q quotes the seed", err)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []rotate.Params{
		{Length: 0, PortMin: 1, PortMax: 10, Window: 30 * time.Second},
		{Length: 33, PortMin: 1, PortMax: 65535, Window: 30 * time.Second},
		{Length: 4, PortMin: 10, PortMax: 12, Window: 30 * time.Second},
		{Length: 4, PortMin: 0, PortMax: 100, Window: 30 * time.Second},
		{Length: 4, PortMin: 1, PortMax: 100, Window: 2 * time.Second},
		{Length: 4, PortMin: 1, PortMax: 100, Window: 7500 * time.Millisecond},
	} {
		if p.Validate() == nil {
			t.Errorf("%+v validated", p)
		}
	}
	if err := rotate.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestChoose(t *testing.T) {
	p := rotate.DefaultParams() // 30 s windows
	now := time.Unix(3010, 0)   // window 100, 10 s in
	for _, c := range []struct {
		name     string
		last     int64
		want     int64
		wantWait time.Duration
	}{
		{"never used", 0, 100, 0},
		{"used long ago", 42, 100, 0},
		{"used the window before", 99, 100, 0},
		{"current used: the next", 100, 101, 0},
		{"current and next used: wait for the next to begin", 101, 102, 21 * time.Second},
		{"a window beyond reach (the clock went back)", 150, 100, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, wait := p.Choose(c.last, now)
			if w != c.want || wait != c.wantWait {
				t.Fatalf("Choose(%d) = %d, wait %s; want %d, wait %s", c.last, w, wait, c.want, c.wantWait)
			}
			// The window chosen is within sesamed's skew once the wait is over.
			if cur := p.WindowAt(now.Add(wait)); w < cur-rotate.Skew || w > cur+rotate.Skew {
				t.Fatalf("window %d is outside the skew of window %d", w, cur)
			}
		})
	}
}

func TestID(t *testing.T) {
	a, _ := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	b, _ := rotate.ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP")
	p := rotate.DefaultParams()
	q := p
	q.Window = time.Minute
	id := rotate.ID(a, p)
	if len(id) != 16 || id != rotate.ID(a, p) {
		t.Fatalf("rotate.ID = %q, not 16 stable hex digits", id)
	}
	if id == rotate.ID(b, p) || id == rotate.ID(a, q) {
		t.Fatal("rotate.ID does not change with the seed and the parameters")
	}
}

func TestURI(t *testing.T) {
	seed, _ := rotate.ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	p := rotate.Params{Length: 6, PortMin: 2000, PortMax: 2999, Protocols: rotate.Mixed, Window: time.Minute}
	u := rotate.URI(seed, p)
	if u != "sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&length=6&ports=2000-2999&protocols=mixed&window=60" {
		t.Fatalf("URI = %s", u)
	}
	back, q, err := rotate.ParseURI(u)
	if err != nil || back.String() != seed.String() || q != p {
		t.Fatalf("ParseURI = %v %+v %v", back, q, err)
	}
	if _, q, err := rotate.ParseURI("SESAME://rotating?seed=" + seed.String()); err != nil || q != rotate.DefaultParams() {
		t.Fatalf("a URI with the seed only: %+v %v", q, err)
	}
	for _, bad := range []string{
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"sesame://rotating?seed=GEZDGNBV",
		"sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&window=2",
		"sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&ports=5",
		"sesame://rotating?seed=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&length=x",
	} {
		_, _, err := rotate.ParseURI(bad)
		if err == nil {
			t.Errorf("ParseURI(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "GEZDGNBV") {
			t.Errorf("the error quotes the seed: %v", err)
		}
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"30", 30 * time.Second, ""},
		{" 60 ", time.Minute, ""},
		{"1m30s", 90 * time.Second, ""},
		{"2.5s", 2500 * time.Millisecond, ""}, // read; Validate refuses it
		{"", 0, `"" is not seconds`},
		{"soon", 0, `"soon" is not seconds (30) or a duration (30s)`},
	}
	for _, tt := range tests {
		got, err := rotate.ParseWindow(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseWindow(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParamsDescribe(t *testing.T) {
	p := rotate.Params{Length: 6, PortMin: 2000, PortMax: 2999, Protocols: rotate.Mixed, Window: time.Minute}
	if got, want := p.Describe(), "6 knocks (mixed) on ports 2000-2999, a new sequence every 1m0s"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

// TestParseSeedOrURI: what a person pastes as a seed, a bare seed or a
// seed URI, without ever quoting it back.
func TestParseSeedOrURI(t *testing.T) {
	const seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	window := rotate.DefaultParams()
	window.Window = time.Minute
	tests := []struct {
		text   string
		params *rotate.Params
		err    string
	}{
		{strings.ToLower(seed), nil, ""},
		{" " + seed + "\n", nil, ""},
		{"sesame://rotating?seed=" + seed + "&window=60", &window, ""},
		{"hunter1hunter1", nil, "not valid base32 (letters A-Z and digits 2-7): give the door's seed, or a sesame://rotating URI"},
		{"GEZDGNBV", nil, "at least 160 are needed"},
		{"sesame://rotating?seed=" + seed + "&window=2", nil, "window 2s"},
	}
	for _, tt := range tests {
		got, params, err := rotate.ParseSeedOrURI(tt.text)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseSeedOrURI: error %v, want %q", err, tt.err)
		case tt.err != "" && strings.Contains(strings.ToUpper(err.Error()), "GEZDGNBV"):
			t.Errorf("the error quotes the seed: %v", err)
		case tt.err == "" && (err != nil || got.String() != seed):
			t.Errorf("ParseSeedOrURI = %v, %v", got, err)
		case tt.err == "" && (params == nil) != (tt.params == nil) || params != nil && *params != *tt.params:
			t.Errorf("ParseSeedOrURI params %+v, want %+v", params, tt.params)
		}
	}
}
