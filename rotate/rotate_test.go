package rotate

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the current derivation")

// Vector is one derivation test vector. The file is shared with sesamed's
// tests, so the client and the daemon are held to the same sequences.
type Vector struct {
	Seed      string `json:"seed"`
	Length    int    `json:"length"`
	Ports     string `json:"ports"`
	Protocols string `json:"protocols"`
	Window    string `json:"window"`
	Time      string `json:"time"` // RFC 3339
	Sequence  string `json:"sequence"`
}

const vectorsFile = "testdata/vectors.json"

func vectorInputs() []Vector {
	seeds := []string{
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", // "12345678901234567890", as in RFC 6238
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP",
	}
	var in []Vector
	for _, s := range seeds {
		for _, tm := range []string{"1970-01-01T00:00:59Z", "2005-03-18T01:58:29Z", "2009-02-13T23:31:30Z", "2033-05-18T03:33:20Z"} {
			in = append(in,
				Vector{Seed: s, Length: 4, Ports: "10000-60000", Protocols: "tcp", Window: "30s", Time: tm},
				Vector{Seed: s, Length: 3, Ports: "2000-2010", Protocols: "mixed", Window: "60s", Time: tm},
				Vector{Seed: s, Length: 6, Ports: "1-65535", Protocols: "udp", Window: "5s", Time: tm},
			)
		}
	}
	return in
}

// derive computes a vector's sequence.
func (v Vector) derive() (string, error) {
	seed, err := ParseSeed(v.Seed)
	if err != nil {
		return "", err
	}
	p := Params{Length: v.Length}
	if p.PortMin, p.PortMax, err = ParsePortRange(v.Ports); err != nil {
		return "", err
	}
	if p.Protocols, err = ParseProtocols(v.Protocols); err != nil {
		return "", err
	}
	if p.Window, err = time.ParseDuration(v.Window); err != nil {
		return "", err
	}
	tm, err := time.Parse(time.RFC3339, v.Time)
	if err != nil {
		return "", err
	}
	seq, err := At(seed, p, tm)
	if err != nil {
		return "", err
	}
	return seq.String(), nil
}

func TestVectors(t *testing.T) {
	if *update {
		in := vectorInputs()
		for i := range in {
			s, err := in[i].derive()
			if err != nil {
				t.Fatal(err)
			}
			in[i].Sequence = s
		}
		b, _ := json.MarshalIndent(in, "", "  ")
		if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var vs []Vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		got, err := v.derive()
		if err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
		if got != v.Sequence {
			t.Errorf("%s %s at %s: derived %s, vector says %s", v.Seed[:8], v.Ports, v.Time, got, v.Sequence)
		}
	}
}

func TestSequenceProperties(t *testing.T) {
	seed, _ := ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	p := Params{Length: 5, PortMin: 3000, PortMax: 3010, Protocols: Mixed, Window: 30 * time.Second}
	seen := map[string]bool{}
	sawUDP, sawTCP := false, false
	for w := int64(0); w < 200; w++ {
		seq, err := Sequence(seed, p, w)
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
	a, _ := Sequence(seed, p, 7)
	other, _ := ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP")
	b, _ := Sequence(other, p, 7)
	if a.String() == b.String() {
		t.Fatal("two seeds gave the same sequence")
	}
}

func TestWindows(t *testing.T) {
	p := DefaultParams()
	t0 := time.Unix(59, 0)
	if p.WindowAt(t0) != 1 || !p.WindowStart(1).Equal(time.Unix(30, 0)) {
		t.Fatalf("window of 59 s = %d, start of 1 = %v", p.WindowAt(t0), p.WindowStart(1))
	}
}

func TestParseSeed(t *testing.T) {
	s, err := NewSeed()
	if err != nil || len(s) != MinSeedBytes {
		t.Fatalf("NewSeed = %d bytes, %v", len(s), err)
	}
	back, err := ParseSeed(strings.ToLower(s.String()[:8]) + " " + s.String()[8:])
	if err != nil || back.String() != s.String() {
		t.Fatalf("round trip: %v %v", back, err)
	}
	if back, err := ParseSeed(s.String() + "\r\n"); err != nil || back.String() != s.String() {
		t.Fatalf("a seed file's CR LF: %v", err)
	}
	for _, bad := range []string{"", "not base32!", "GEZDGNBV", strings.Repeat("A", 120)} {
		_, err := ParseSeed(bad)
		if err == nil {
			t.Errorf("ParseSeed(%q) succeeded", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q quotes the seed", err)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{
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
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestChoose(t *testing.T) {
	p := DefaultParams()      // 30 s windows
	now := time.Unix(3010, 0) // window 100, 10 s in
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
			if cur := p.WindowAt(now.Add(wait)); w < cur-Skew || w > cur+Skew {
				t.Fatalf("window %d is outside the skew of window %d", w, cur)
			}
		})
	}
}

func TestID(t *testing.T) {
	a, _ := ParseSeed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	b, _ := ParseSeed("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP")
	p := DefaultParams()
	q := p
	q.Window = time.Minute
	id := ID(a, p)
	if len(id) != 16 || id != ID(a, p) {
		t.Fatalf("ID = %q, not 16 stable hex digits", id)
	}
	if id == ID(b, p) || id == ID(a, q) {
		t.Fatal("ID does not change with the seed and the parameters")
	}
}
