package sesamedlog

import (
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

func TestBadLogFile(t *testing.T) {
	_, err := New(Options{LogFile: filepath.Join(t.TempDir(), "missing", "knockd.log")})
	if err == nil || !strings.Contains(err.Error(), "LogFile or -g") {
		t.Fatalf("New = %v, want an error naming the setting to fix", err)
	}
}
