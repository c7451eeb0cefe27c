package knockdconf

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/rotate"
	"sesame/rotate/rotatetest"
)

const testSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestParseRotating(t *testing.T) {
	cfg, err := Parse(strings.NewReader(`
[options]
	StateDir = /srv/sesamed
[SSH]
	rotating_seed      = `+strings.ToLower(testSeed)+`
	Rotating_Length    = 6
	Rotating_Ports     = 2000-2999
	Rotating_Protocols = mixed
	Rotating_Window    = 60
	command            = /bin/true
[defaults]
	Rotating_Seed_File = /etc/sesamed/web.seed
`), "r.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "/srv/sesamed" {
		t.Errorf("StateDir = %q", cfg.StateDir)
	}
	d := cfg.Doors[0]
	want := rotate.Params{Length: 6, PortMin: 2000, PortMax: 2999, Protocols: rotate.Mixed, Window: time.Minute}
	if !d.IsRotating() || d.Rotating.Params != want || d.Rotating.Seed.String() != testSeed || len(d.Sequence) != 0 {
		t.Fatalf("SSH door: %+v", d.Rotating)
	}
	def := cfg.Doors[1]
	if !def.IsRotating() || def.Rotating.Params != rotate.DefaultParams() || def.Rotating.SeedFile != "/etc/sesamed/web.seed" || def.Rotating.Seed != nil {
		t.Fatalf("a door with only a seed file must get the default parameters: %+v", def.Rotating)
	}
}

func TestParseRotatingErrors(t *testing.T) {
	seed := "rotating_seed = " + testSeed + "\n"
	tests := []struct {
		name, conf string
		line       int
		want       string
	}{
		{"bad seed", "[d]\nrotating_seed = not-base32!\n", 2, "not valid base32"},
		{"short seed", "[d]\nrotating_seed = GEZDGNBV\n", 2, "at least 160"},
		{"params without a seed", "[d]\nsequence = 1\nrotating_window = 30\n", 3, "Rotating_Window in door [d] needs Rotating_Seed"},
		{"seed and seed file", "[d]\n" + seed + "rotating_seed_file = /x\n", 3, "both Rotating_Seed and Rotating_Seed_File"},
		{"seed and sequence", "[d]\nsequence = 1,2\n" + seed, 2, "both Sequence and a rotating seed"},
		{"seed and one-time", "[d]\none_time_sequences = /x\n" + seed, 2, "both One_Time_Sequences"},
		{"bad length", "[d]\n" + seed + "rotating_length = 40\n", 3, "1 to 32"},
		{"bad range", "[d]\n" + seed + "rotating_ports = 9000\n", 3, "LOW-HIGH"},
		{"range too small", "[d]\n" + seed + "rotating_ports = 2000-2002\n", 1, "smaller than the 4 distinct ports"},
		{"bad protocols", "[d]\n" + seed + "rotating_protocols = icmp\n", 3, "tcp, udp or mixed"},
		{"short window", "[d]\n" + seed + "rotating_window = 2\n", 3, "from 5 to 86400"},
		{"window not seconds", "[d]\n" + seed + "rotating_window = 30s\n", 3, "number of seconds"},
		{"empty state dir", "[options]\nstatedir =\n", 2, "StateDir is empty"},
		{"typo", "[d]\n" + seed + "rotating_lenght = 5\n", 3, "did you mean Rotating_Length?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.conf), "r.conf")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a *Error", err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %q, want line %d saying %q", err, tt.line, tt.want)
			}
			if strings.Contains(strings.ToUpper(err.Error()), "GEZDGNBV") {
				t.Fatalf("error %q quotes the seed", err)
			}
		})
	}
}

func TestReadSeedFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", " "+testSeed+"\r\n", 0o600)
	if s, err := ReadSeedFile(good); err != nil || s.String() != testSeed {
		t.Fatalf("ReadSeedFile = %v, %v", s, err)
	}
	r := &Rotating{SeedFile: good}
	if s, err := r.LoadSeed(); err != nil || s.String() != testSeed {
		t.Fatalf("LoadSeed = %v, %v", s, err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"readable by others", write("open", testSeed, 0o644), "has mode 0644"},
		{"readable by the group", write("group", testSeed, 0o640), "chmod 600"},
		{"empty", write("empty", "\n", 0o600), "is empty"},
		{"not a seed", write("bad", "hello, world", 0o400), "not valid base32"},
		{"a directory", dir, "not a regular file"},
		{"missing", filepath.Join(dir, "none"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadSeedFile(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadSeedFile = %v, want an error saying %q", err, c.want)
			}
		})
	}
}

// TestRotatingVectors holds sesamed's reading of a door to the derivation
// vectors the client is tested against: a door written with a vector's
// seed and parameters derives the vector's sequence at the vector's time.
func TestRotatingVectors(t *testing.T) {
	for _, v := range rotatetest.Load(t) {
		conf := "[v]\n\tRotating_Seed = " + v.Seed + "\n\tRotating_Length = " + strconv.Itoa(v.Length) +
			"\n\tRotating_Ports = " + v.Ports + "\n\tRotating_Protocols = " + v.Protocols +
			"\n\tRotating_Window = " + v.WindowSeconds() + "\n"
		cfg, err := Parse(strings.NewReader(conf), "v.conf")
		if err != nil {
			t.Fatal(err)
		}
		r := cfg.Doors[0].Rotating
		_, _, at, err := v.Inputs()
		if err != nil {
			t.Fatal(err)
		}
		seq, err := rotate.At(r.Seed, r.Params, at)
		if err != nil {
			t.Fatal(err)
		}
		if seq.String() != v.Sequence {
			t.Errorf("door from vector %s %s %s at %s derives %s, the vector says %s", v.Seed[:8], v.Ports, v.Window, v.Time, seq, v.Sequence)
		}
	}
}

// What RotatingLines writes, Parse reads back as the same door.
func TestRotatingLinesRoundTrip(t *testing.T) {
	seed, err := rotate.ParseSeed(testSeed)
	if err != nil {
		t.Fatal(err)
	}
	tests := []rotate.Params{
		rotate.DefaultParams(),
		{Length: 6, PortMin: 2000, PortMax: 2999, Protocols: rotate.Mixed, Window: time.Minute},
		{Length: 1, PortMin: 1, PortMax: 1, Protocols: rotate.UDPOnly, Window: 24 * time.Hour},
	}
	for _, p := range tests {
		conf := "[SSH]\n" + RotatingLines(seed, p) + "\tcommand = /bin/true\n"
		cfg, err := Parse(strings.NewReader(conf), "r.conf")
		if err != nil {
			t.Fatalf("%+v: %v\n%s", p, err, conf)
		}
		r := cfg.Doors[0].Rotating
		if r == nil || r.Seed.String() != testSeed || r.Params != p {
			t.Errorf("%+v: read back %+v from\n%s", p, r, conf)
		}
	}
}
