package action

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Event(f string, a ...any) { r.add(fmt.Sprintf(f, a...)) }
func (r *recorder) Error(f string, a ...any) { r.add("E " + fmt.Sprintf(f, a...)) }
func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}
func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExpand(t *testing.T) {
	for _, tt := range []struct{ cmd, addr, want string }{
		{"iptables -I INPUT -s %IP% -j ACCEPT", "192.0.2.2", "iptables -I INPUT -s 192.0.2.2 -j ACCEPT"},
		{"a %IP% b %IP%", "2001:db8::2", "a 2001:db8::2 b 2001:db8::2"},
		{"x %IP%", "::ffff:192.0.2.2", "x 192.0.2.2"},
		{"no address", "192.0.2.2", "no address"},
	} {
		if got := Expand(tt.cmd, netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Expand(%q, %s) = %q, want %q", tt.cmd, tt.addr, got, tt.want)
		}
	}
}

func TestStartThenStopAfterTimeout(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	log := &recorder{}
	r := NewRunner(log, Options{})
	defer r.Close(context.Background())
	src := netip.MustParseAddr("192.0.2.2")
	err := r.RunCommands(Commands{Door: "SSH", Who: "192.0.2.2", Src: src,
		Start: "echo open %IP% >> " + out, Stop: "echo close %IP% >> " + out, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stop command", func() bool { b, _ := os.ReadFile(out); return strings.Contains(string(b), "close") })
	b, _ := os.ReadFile(out)
	if string(b) != "open 192.0.2.2\nclose 192.0.2.2\n" {
		t.Fatalf("commands wrote %q", b)
	}
	want := []string{
		"SSH: running command: echo open 192.0.2.2 >> " + out,
		"192.0.2.2: SSH: command timeout",
		"SSH: running command: echo close 192.0.2.2 >> " + out,
	}
	waitFor(t, "the log lines", func() bool { return len(log.get()) == 3 })
	if got := log.get(); !slices.Equal(got, want) {
		t.Fatalf("log:\n%q\nwant\n%q", got, want)
	}
}

func TestFailingCommandIsLogged(t *testing.T) {
	log := &recorder{}
	r := NewRunner(log, Options{})
	if err := r.RunCommands(Commands{Door: "SSH", Src: netip.MustParseAddr("192.0.2.2"), Start: "exit 3"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := log.get(); len(got) != 2 || got[1] != "E SSH: command returned non-zero status code (3)" {
		t.Fatalf("log %q", got)
	}
}

func TestOrderPerAddressAndNoHeadOfLineBlocking(t *testing.T) {
	r := NewRunner(&recorder{}, Options{Workers: 2})
	defer r.Close(context.Background())
	a, b := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	release := make(chan struct{})
	r.Do(a, "slow", func() { <-release; note("a1") })
	r.Do(a, "next", func() { note("a2") })
	done := make(chan struct{})
	r.Do(b, "other address", func() { note("b1"); close(done) })
	select {
	case <-done: // b ran while a's first job was stuck
	case <-time.After(30 * time.Second):
		t.Fatal("a slow job for one address held up another address")
	}
	close(release)
	waitFor(t, "a's jobs", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 3 })
	if !slices.Equal(order, []string{"b1", "a1", "a2"}) {
		t.Fatalf("order %v", order)
	}
}

func TestCloseRunsPendingStopCommands(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	log := &recorder{}
	r := NewRunner(log, Options{})
	src := netip.MustParseAddr("2001:db8::2")
	if err := r.RunCommands(Commands{Door: "SSH", Who: src.String(), Src: src, Start: "echo open >> " + out, Stop: "echo close %IP% >> " + out, Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the start command", func() bool { b, _ := os.ReadFile(out); return len(b) > 0 })
	waitFor(t, "the stop to be scheduled", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.stops) == 1 })
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "open\nclose 2001:db8::2\n" {
		t.Fatalf("commands wrote %q", b)
	}
	if got := log.get(); !slices.Contains(got, "2001:db8::2: SSH: shutting down, running the stop command now") {
		t.Fatalf("log %q", got)
	}
	if err := r.RunCommands(Commands{Door: "SSH", Src: src, Start: "true"}); err != ErrClosed {
		t.Fatalf("after Close: %v", err)
	}
}

// A hung command is killed with what it started, and the worker it held
// goes back to the other addresses' actions.
func TestHungCommandIsKilled(t *testing.T) {
	dir := t.TempDir()
	pidFile, out := filepath.Join(dir, "child.pid"), filepath.Join(dir, "out")
	log := &recorder{}
	r := NewRunner(log, Options{Workers: 1, CommandTimeout: 200 * time.Millisecond})
	defer r.Close(context.Background())
	hung := netip.MustParseAddr("192.0.2.2")
	if err := r.RunCommands(Commands{Door: "SSH", Who: "192.0.2.2", Src: hung,
		Start: "sleep 600 & echo $! > " + pidFile + "; wait"}); err != nil {
		t.Fatal(err)
	}
	// The hung command holds the only worker before the other is queued.
	waitFor(t, "the hung command to start", func() bool { _, err := os.Stat(pidFile); return err == nil })
	other := netip.MustParseAddr("192.0.2.3")
	if err := r.RunCommands(Commands{Door: "SSH", Who: "192.0.2.3", Src: other, Start: "echo ran > " + out}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other address's command", func() bool { _, err := os.Stat(out); return err == nil })
	if !slices.ContainsFunc(log.get(), func(l string) bool { return strings.Contains(l, "SSH: command still running after 200ms: killed") }) {
		t.Fatalf("no kill logged: %q", log.get())
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child := "/proc/" + strings.TrimSpace(string(b))
	waitFor(t, "the command's background child to be killed", func() bool {
		stat, err := os.ReadFile(child + "/stat")
		// Gone, or a zombie waiting for its reaper.
		return err != nil || strings.Contains(string(stat), ") Z ")
	})
}
