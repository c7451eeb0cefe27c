//go:build linux

package testnet

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Proc is a program running in the background inside a namespace. Its
// output (stdout and stderr together) is kept, and tests can wait for a line
// to appear. It is stopped when the test ends.
type Proc struct {
	Name string

	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
	done    chan struct{}
	err     error
	pid     int
}

// Start starts a program inside the namespace and stops it (SIGTERM, then
// SIGKILL) when the test ends.
func (ns *NS) Start(t testing.TB, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, changed: make(chan struct{}), done: make(chan struct{})}
	cmd := ns.Command(context.Background(), name, args...)
	cmd.Stdout = p
	cmd.Stderr = p
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s in %s: %v", name, ns.Name, err)
	}
	p.pid = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.Output())
		}
	})
	return p
}

// Write collects output; it lets Proc be a command's Stdout and Stderr.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.out.Write(b)
	close(p.changed)
	p.changed = make(chan struct{})
	return len(b), nil
}

// Output returns everything the program has printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Pid is the process id of the `ip netns exec` wrapper, which execs the program.
func (p *Proc) Pid() int { return p.pid }

// Signal sends sig to the program's process group.
func (p *Proc) Signal(sig unix.Signal) error { return unix.Kill(-p.pid, sig) }

// Done is closed when the program has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the program's exit error once Done is closed.
func (p *Proc) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Stop ends the program: SIGTERM, then SIGKILL if it is still there after a
// few seconds.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = unix.Kill(-p.pid, unix.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = unix.Kill(-p.pid, unix.SIGKILL)
		<-p.done
	}
}

// WaitOutput waits until the output contains substr and returns the output
// up to that point. It fails the test if the program exits first or after
// Await.
func (p *Proc) WaitOutput(t testing.TB, substr string) string {
	t.Helper()
	return p.WaitOutputAfter(t, 0, substr)
}

// Len is the number of bytes of output so far, for WaitOutputAfter.
func (p *Proc) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Len()
}

// WaitOutputAfter is WaitOutput that only looks at output after byte offset
// from, so a test can wait for the second occurrence of a line.
func (p *Proc) WaitOutputAfter(t testing.TB, from int, substr string) string {
	t.Helper()
	deadline := time.NewTimer(Await)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		out := p.out.String()
		changed := p.changed
		p.mu.Unlock()
		if from > len(out) {
			from = len(out)
		}
		if i := strings.Index(out[from:], substr); i >= 0 {
			return out[:from+i+len(substr)]
		}
		select {
		case <-changed:
		case <-p.done:
			if !strings.Contains(p.Output()[from:], substr) {
				t.Fatalf("%s exited (%v) before printing %q; output:\n%s", p.Name, p.Err(), substr, p.Output())
			}
		case <-deadline.C:
			t.Fatalf("gave up after %s waiting for %s to print %q; output:\n%s", Await, p.Name, substr, p.Output())
		}
	}
}

var _ io.Writer = (*Proc)(nil)
