package replay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", File)
	now := time.Unix(1_800_000_000, 0)
	c, err := Open(path, now, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		digest  string
		expires time.Duration
		at      time.Duration
		replay  bool
		err     error
	}{
		{"a", 240 * time.Second, 0, false, nil},
		{"a", 240 * time.Second, time.Second, true, nil},
		{"b", 10 * time.Second, 0, false, nil},
		{"c", 240 * time.Second, 0, false, nil},
		{"d", 240 * time.Second, 0, false, ErrFull},            // full: refused, nothing forgotten
		{"d", 240 * time.Second, 11 * time.Second, false, nil}, // b expired and made room
		{"b", 240 * time.Second, 12 * time.Second, false, ErrFull},
		{"a", 240 * time.Second, 239 * time.Second, true, nil},
	} {
		replay, err := c.Record(tc.digest, now.Add(tc.expires), now.Add(tc.at))
		if replay != tc.replay || !errors.Is(err, tc.err) {
			t.Errorf("Record(%s) at +%s = %v, %v; want %v, %v", tc.digest, tc.at, replay, err, tc.replay, tc.err)
		}
	}
	if !c.Seen("a", now.Add(time.Second)) || c.Seen("b", now.Add(12*time.Second)) || c.Seen("z", now) {
		t.Error("Seen")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi.Mode(), err)
	}
	// A restart knows the live digests, and forgets the expired ones.
	c, err = Open(path, now.Add(20*time.Second), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Len() != 3 {
		t.Errorf("after restart: %d live", c.Len())
	}
	for _, d := range []string{"a", "c", "d"} {
		if replay, err := c.Record(d, now.Add(300*time.Second), now.Add(21*time.Second)); !replay || err != nil {
			t.Errorf("%s after a restart: replay %v, %v", d, replay, err)
		}
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "\n") != 3 || strings.Contains(string(data), "b ") {
		t.Errorf("the file after a restart:\n%s", data)
	}
}

// TestTornLine: a line cut short by a crash is skipped, not fatal.
func TestTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	if err := os.WriteFile(path, []byte("x 9999999999\ny 99"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path, time.Unix(1_800_000_000, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if replay, _ := c.Record("x", time.Unix(1_800_000_100, 0), time.Unix(1_800_000_000, 0)); !replay || c.Len() != 1 {
		t.Errorf("x: replay %v, %d live", replay, c.Len())
	}
}

// TestCompaction: the file is rewritten as it grows, holding what is live.
func TestCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	now := time.Unix(1_800_000_000, 0)
	c, err := Open(path, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3000 {
		at := now.Add(time.Duration(i) * time.Second)
		if _, err := c.Record("d"+time.Duration(i).String(), at.Add(5*time.Second), at); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n > 2000 {
		t.Errorf("the file holds %d lines for %d live digests", n, c.Len())
	}
}

func TestUnwritable(t *testing.T) {
	// A file where the directory should be fails for root too.
	dir := t.TempDir()
	block := filepath.Join(dir, "block")
	if err := os.WriteFile(block, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(block, File), time.Now(), 0); err == nil || !strings.Contains(err.Error(), "SPA replay cache") {
		t.Errorf("Open under a file: %v", err)
	}
}
