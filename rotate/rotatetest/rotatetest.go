// Package rotatetest holds the derivation test vectors of package rotate
// (rotate/testdata/vectors.json), so that the client's tests and sesamed's
// are held to the same sequences.
package rotatetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"sesame/rotate"
)

// Vector is one test vector: a seed and parameters, a time, and the
// sequence of the window holding that time.
type Vector struct {
	Seed      string `json:"seed"`
	Length    int    `json:"length"`
	Ports     string `json:"ports"`
	Protocols string `json:"protocols"`
	Window    string `json:"window"` // a Go duration, whole seconds
	Time      string `json:"time"`   // RFC 3339
	Sequence  string `json:"sequence"`
}

// Path is the vectors file.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "vectors.json")
}

// Load reads the vectors; it fails the test when they cannot be read.
func Load(t testing.TB) []Vector {
	t.Helper()
	b, err := os.ReadFile(Path())
	if err != nil {
		t.Fatal(err)
	}
	var vs []Vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatalf("%s: %v", Path(), err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s holds no vectors", Path())
	}
	return vs
}

// Inputs reads the vector's seed, parameters and time.
func (v Vector) Inputs() (rotate.Seed, rotate.Params, time.Time, error) {
	seed, err := rotate.ParseSeed(v.Seed)
	if err != nil {
		return nil, rotate.Params{}, time.Time{}, err
	}
	p := rotate.Params{Length: v.Length}
	if p.PortMin, p.PortMax, err = rotate.ParsePortRange(v.Ports); err != nil {
		return nil, rotate.Params{}, time.Time{}, err
	}
	if p.Protocols, err = rotate.ParseProtocols(v.Protocols); err != nil {
		return nil, rotate.Params{}, time.Time{}, err
	}
	if p.Window, err = time.ParseDuration(v.Window); err != nil {
		return nil, rotate.Params{}, time.Time{}, err
	}
	tm, err := time.Parse(time.RFC3339, v.Time)
	if err != nil {
		return nil, rotate.Params{}, time.Time{}, err
	}
	return seed, p, tm, nil
}

// Derive computes the vector's sequence with package rotate.
func (v Vector) Derive() (string, error) {
	seed, p, tm, err := v.Inputs()
	if err != nil {
		return "", err
	}
	seq, err := rotate.At(seed, p, tm)
	if err != nil {
		return "", err
	}
	return seq.String(), nil
}

// WindowSeconds is the vector's window in seconds, as knockd.conf writes it.
func (v Vector) WindowSeconds() string {
	d, err := time.ParseDuration(v.Window)
	if err != nil {
		return v.Window
	}
	return fmt.Sprint(int(d / time.Second))
}
