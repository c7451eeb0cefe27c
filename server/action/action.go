// Package action runs what a door does when it opens, away from the
// capture path: knockd's Start_Command and Stop_Command through /bin/sh,
// and sesamed's native open and close through a firewall grant manager
// (never a shell). Jobs for one address run in order, one at a time — so
// a close door's command never overtakes the open door's — while jobs for
// different addresses run side by side, a few at once; a slow command holds
// up only its own address, and never the capture.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Logger is what the runner says, in knockd's words.
type Logger interface {
	Event(format string, args ...any)
	Error(format string, args ...any)
}

// Options configure a Runner.
type Options struct {
	// Workers bounds the jobs running at once (default 4).
	Workers int
	// Queue bounds the jobs waiting for one address (default 64).
	Queue int
	// Shell runs knockd-style commands (default /bin/sh), as `Shell -c CMD`.
	Shell string
	// Stdout and Stderr receive the commands' output (default discarded);
	// knockd's commands share knockd's.
	Stdout, Stderr io.Writer
	// CommandTimeout bounds one command's run (default
	// DefaultCommandTimeout): a hung command is killed, with everything it
	// started, so that a few of them can never hold every worker and stall
	// every other address's actions.
	CommandTimeout time.Duration
}

// DefaultCommandTimeout is how long a Start_Command or Stop_Command may run
// before it is killed. The guides' commands take milliseconds.
const DefaultCommandTimeout = 30 * time.Second

// Runner runs door actions.
type Runner struct {
	log  Logger
	opt  Options
	slot chan struct{} // a token per running job
	wg   sync.WaitGroup

	mu     sync.Mutex
	closed bool
	queues map[netip.Addr][]job // jobs waiting, per address with a running drainer
	stops  map[*pendingStop]struct{}
}

type job struct {
	what string
	run  func()
}

type pendingStop struct {
	timer *time.Timer
	src   netip.Addr
	what  string
	run   func(atShutdown bool)
}

// NewRunner starts the workers. Close stops them.
func NewRunner(log Logger, opt Options) *Runner {
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Queue <= 0 {
		opt.Queue = 64
	}
	if opt.Shell == "" {
		opt.Shell = "/bin/sh"
	}
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	if opt.CommandTimeout <= 0 {
		opt.CommandTimeout = DefaultCommandTimeout
	}
	return &Runner{log: log, opt: opt, slot: make(chan struct{}, opt.Workers),
		queues: map[netip.Addr][]job{}, stops: map[*pendingStop]struct{}{}}
}

// ErrClosed is returned for work handed to a closed Runner.
var ErrClosed = errors.New("sesamed is shutting down")

// Do queues fn for the address src: it runs after the jobs already queued
// for src. It never blocks: a full queue drops the job with an error.
func (r *Runner) Do(src netip.Addr, what string, fn func()) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.doLocked(src, what, fn)
}

func (r *Runner) doLocked(src netip.Addr, what string, fn func()) error {
	if r.closed {
		return ErrClosed
	}
	q, running := r.queues[src]
	if len(q) >= r.opt.Queue {
		return fmt.Errorf("%s for %s dropped: %d actions for that address are waiting already", what, src, len(q))
	}
	r.queues[src] = append(q, job{what: what, run: fn})
	if !running {
		r.wg.Add(1)
		go r.drain(src)
	}
	return nil
}

// drain runs src's jobs in order, then ends.
func (r *Runner) drain(src netip.Addr) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		q := r.queues[src]
		if len(q) == 0 {
			delete(r.queues, src)
			r.mu.Unlock()
			return
		}
		j := q[0]
		r.queues[src] = q[1:]
		r.mu.Unlock()
		r.slot <- struct{}{}
		j.run()
		<-r.slot
	}
}

// after runs fn for src once d has passed, or at once when the runner
// closes first (atShutdown true), so that what an open did is undone.
func (r *Runner) after(src netip.Addr, d time.Duration, what string, fn func(atShutdown bool)) {
	r.mu.Lock()
	if r.closed {
		// A start command that was still queued at shutdown: undo it now.
		r.mu.Unlock()
		fn(true)
		return
	}
	defer r.mu.Unlock()
	p := &pendingStop{src: src, what: what, run: fn}
	p.timer = time.AfterFunc(d, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		// Close may have taken it first, to run it at once.
		if _, ok := r.stops[p]; ok {
			delete(r.stops, p)
			if err := r.doLocked(src, what, func() { fn(false) }); err != nil {
				r.log.Error("error: %v", err)
			}
		}
	})
	r.stops[p] = struct{}{}
}

// Close runs the pending stop commands now, waits for every queued job and
// stops the workers, or gives up when ctx ends.
func (r *Runner) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	for p := range r.stops {
		p.timer.Stop()
		run := p.run
		if err := r.doLocked(p.src, p.what, func() { run(true) }); err != nil {
			r.log.Error("error: %v", err)
		}
	}
	r.stops = map[*pendingStop]struct{}{}
	r.closed = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("actions still running at shutdown: %w", ctx.Err())
	}
}

// Commands is a door's knockd-style commands for one opening.
type Commands struct {
	Door string
	// Who is the address as the log shows it ("192.0.2.2" or, with -l,
	// "192.0.2.2 (host.example)").
	Who   string
	Src   netip.Addr
	Start string
	// Stop runs Timeout after Start has finished; empty for none.
	Stop    string
	Timeout time.Duration
}

// Expand replaces every %IP% in a knockd command with the address. The
// address comes from the packet's parsed header, so it holds only digits,
// hex, dots and colons: nothing a shell would read as syntax.
func Expand(cmd string, src netip.Addr) string {
	return strings.ReplaceAll(cmd, "%IP%", src.Unmap().WithZone("").String())
}

// RunCommands queues the start command and, after it, schedules the stop
// command, as knockd's forked child does (start, sleep Cmd_Timeout, stop).
func (r *Runner) RunCommands(c Commands) error {
	if c.Start == "" {
		return nil
	}
	return r.Do(c.Src, "start command of "+c.Door, r.CommandsJob(c))
}

// CommandsJob is RunCommands' job, for a caller that runs it inside a job
// of its own for the same address: it runs the start command and schedules
// the stop command.
func (r *Runner) CommandsJob(c Commands) func() {
	start := Expand(c.Start, c.Src)
	stop := ""
	if c.Stop != "" {
		stop = Expand(c.Stop, c.Src)
	}
	return func() {
		if start == "" {
			return
		}
		r.shell(c.Door, start)
		if stop == "" {
			return
		}
		r.after(c.Src, c.Timeout, "stop command of "+c.Door, func(atShutdown bool) {
			if atShutdown {
				r.log.Event("%s: %s: shutting down, running the stop command now", c.Who, c.Door)
			} else {
				r.log.Event("%s: %s: command timeout", c.Who, c.Door)
			}
			r.shell(c.Door, stop)
		})
	}
}

// shell runs one knockd command with knockd's log lines. A command that
// runs past CommandTimeout is killed with its whole process group.
func (r *Runner) shell(door, cmdline string) {
	r.log.Event("%s: running command: %s", door, cmdline)
	ctx, cancel := context.WithTimeout(context.Background(), r.opt.CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.opt.Shell, "-c", cmdline)
	cmd.Stdout, cmd.Stderr = r.opt.Stdout, r.opt.Stderr
	// Its own session, as knockd's setsid(): a Ctrl-C meant for a
	// foreground sesamed does not cut a firewall command short. Being a
	// group leader also lets the timeout kill what the shell started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Guides background part of a command with &; that child may hold the
	// output open long after the shell is gone.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.log.Error("%s: command still running after %s: killed (it may hang on a lock or the network; the door's other actions go on)",
			door, r.opt.CommandTimeout)
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		r.log.Error("%s: command returned non-zero status code (%d)", door, exit.ExitCode())
	case errors.Is(err, exec.ErrWaitDelay):
	default:
		r.log.Error("error: %s: command could not run: %v", door, err)
	}
}
