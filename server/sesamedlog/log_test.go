package sesamedlog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

func TestWhereMessagesGo(t *testing.T) {
	now := time.Date(2024, 3, 5, 7, 9, 0, 0, time.Local)
	tests := []struct {
		name           string
		verbose, debug bool
		stdout, file   string
	}{
		{"quiet", false, false, "",
			"[2024-03-05 07:09] 192.0.2.2: openSSH: Stage 1\n[2024-03-05 07:09] starting up, listening on veth-s\n[2024-03-05 07:09] boom\n"},
		{"verbose", true, false, "192.0.2.2: openSSH: Stage 1\nlistening on veth-s...\n",
			"[2024-03-05 07:09] 192.0.2.2: openSSH: Stage 1\n[2024-03-05 07:09] starting up, listening on veth-s\n[2024-03-05 07:09] boom\n"},
		{"debug", false, true, "tcp: 192.0.2.2:1 -> 192.0.2.1:7000\n",
			"[2024-03-05 07:09] 192.0.2.2: openSSH: Stage 1\n[2024-03-05 07:09] starting up, listening on veth-s\n[2024-03-05 07:09] boom\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr testnet.Buffer
			path := filepath.Join(t.TempDir(), "knockd.log")
			l, err := New(Options{Stdout: &stdout, Stderr: &stderr, Verbose: tt.verbose, Debug: tt.debug, LogFile: path, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			l.Event("%s: %s: Stage %d", "192.0.2.2", "openSSH", 1)
			l.Debug("tcp: 192.0.2.2:1 -> 192.0.2.1:7000")
			l.Log("starting up, listening on %s", "veth-s")
			l.Verbose("listening on %s...", "veth-s")
			l.Error("boom")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
			if stderr.String() != "boom\n" {
				t.Errorf("stderr %q", stderr.String())
			}
			if got, _ := os.ReadFile(path); string(got) != tt.file {
				t.Errorf("log file %q, want %q", got, tt.file)
			}
		})
	}
}

func TestBufferedLinesGoOutSoon(t *testing.T) {
	var stdout testnet.Buffer
	l, err := New(Options{Stdout: &stdout, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 100; i++ {
		l.Event("line %d", i)
	}
	// The burst is flushed by the timer, without another call.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "line 99\n") {
		if time.Now().After(deadline) {
			t.Fatalf("the last line of a burst was never flushed: %q", stdout.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReopenFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "knockd.log")
	l, err := New(Options{LogFile: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Log("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log("after")
	l.Flush()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "before") || strings.Contains(string(old), "after") || !strings.Contains(string(cur), "after") {
		t.Fatalf("rotated %q, current %q", old, cur)
	}
}

// TestBadLogFile: a log file that cannot be opened does not stop sesamed,
// as it does not stop knockd; the log lines go to standard error instead,
// once each, and a reopen (SIGHUP) after the directory appears uses it.
func TestBadLogFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	path := filepath.Join(dir, "knockd.log")
	var stderr bytes.Buffer
	var stdout bytes.Buffer
	l, err := New(Options{LogFile: path, Stdout: &stdout, Stderr: &stderr, Verbose: true})
	if err != nil {
		t.Fatalf("New: %v, want a logger that logs to standard error", err)
	}
	defer l.Close()
	if err := l.FileErr(); err == nil || !strings.Contains(err.Error(), "LogFile or -g") {
		t.Fatalf("FileErr = %v", err)
	}
	l.Event("192.0.2.2: d: OPEN SESAME") // on stdout with -v: not again
	l.Log("d: running command: x")
	l.Error("an error")
	l.Flush()
	if got, want := stderr.String(), "d: running command: x\nan error\n"; got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
	if got, want := stdout.String(), "192.0.2.2: d: OPEN SESAME\n"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil || l.FileErr() != nil {
		t.Fatalf("Reopen = %v, FileErr = %v", err, l.FileErr())
	}
	l.Log("after")
	l.Flush()
	if b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), "] after\n") || strings.Contains(stderr.String(), "after") {
		t.Fatalf("after the reopen: file %q, stderr %q", b, stderr.String())
	}
}

// TestProbe predicts what New meets, without creating the file.
func TestProbe(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "k.log")
	if err := os.WriteFile(existing, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{"", ""},
		{existing, ""},
		{filepath.Join(dir, "new.log"), ""},
		{filepath.Join(dir, "missing", "k.log"), "directory " + filepath.Join(dir, "missing") + " does not exist"},
		{filepath.Join(notDir, "k.log"), "not a directory"},
		{dir, "is a directory"},
	}
	for _, tt := range tests {
		err := Probe(tt.path)
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Probe(%q) = %v, want %q", tt.path, err, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "new.log")); err == nil {
			t.Fatalf("Probe created %s", tt.path)
		}
	}
}

// TestLogFileLinkNotFollowed: a symbolic link where the log file goes, to
// an existing file or to none, is not written through, at start, on a
// reopen or in Probe; the lines go to standard error and the error says
// why.
func TestLogFileLinkNotFollowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(dir string) string
	}{
		{"to a file", func(dir string) string {
			p := filepath.Join(dir, "passwd")
			if err := os.WriteFile(p, []byte("root:x:0:0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"dangling", func(dir string) string { return filepath.Join(dir, "created") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			target := tc.target(dir)
			before, _ := os.ReadFile(target)
			path := filepath.Join(dir, "k.log")
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
			const want = "k.log is a symbolic link, which sesamed does not follow"
			if err := Probe(path); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Probe = %v, want %q", err, want)
			}
			var stderr bytes.Buffer
			l, err := New(Options{LogFile: path, Stderr: &stderr})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if err := l.FileErr(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("FileErr = %v, want %q", err, want)
			}
			if err := l.Reopen(); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Reopen = %v, want %q", err, want)
			}
			l.Log("192.0.2.2: d: OPEN SESAME")
			l.Flush()
			after, _ := os.ReadFile(target)
			if string(after) != string(before) {
				t.Fatalf("the link's target was written: %q", after)
			}
			if !strings.Contains(stderr.String(), "OPEN SESAME") {
				t.Fatalf("the line did not go to standard error: %q", stderr.String())
			}
		})
	}
}
