// Package keeper makes sure a door Sesame opened is knocked shut even when
// the process that opened it dies first: a panic, a SIGKILL, the OOM
// killer, a power-off of the session.
//
// When a door is about to open, the client starts a keeper: the same
// binary run with the hidden argument Arg, in a session of its own, with
// its standard input a pipe from the client. The client writes the close
// knock (address, sequence, delay) into the pipe — never into argv or the
// environment, which other users of the machine can read — and keeps the
// pipe's other end. When the client has sent the close knock itself, it
// writes "closed" and the keeper exits without a packet. When the pipe ends
// without "closed", the client is gone however it went, and the keeper
// sends the close knock.
package keeper

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"sesame/knock"
	"sesame/knocker"
)

// Arg is the hidden first argument that makes the sesame binary a keeper.
const Arg = "__keeper"

// closedMsg is what the client writes once the door is closed.
const closedMsg = "closed\n"

// Job is the close knock a keeper sends if its client dies.
type Job struct {
	Addr     netip.Addr
	Sequence knocker.Sequence
	// Delay is the gap between knocks, unless a step sets its own.
	Delay time.Duration
}

// wireJob is a Job as it travels through the pipe: one JSON line.
type wireJob struct {
	Addr     string `json:"addr"`
	Sequence string `json:"sequence"`
	DelayNS  int64  `json:"delay_ns"`
}

func (j Job) validate() error {
	if !j.Addr.IsValid() {
		return errors.New("no address to knock on")
	}
	if len(j.Sequence) == 0 {
		return errors.New("no close sequence")
	}
	return j.Sequence.Validate()
}

func (j Job) encode() ([]byte, error) {
	if err := j.validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(wireJob{Addr: j.Addr.String(), Sequence: j.Sequence.String(), DelayNS: int64(j.Delay)})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func decodeJob(line string) (Job, error) {
	var w wireJob
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		return Job{}, fmt.Errorf("read the job: %w", err)
	}
	addr, err := netip.ParseAddr(w.Addr)
	if err != nil {
		return Job{}, fmt.Errorf("read the job's address: %w", err)
	}
	seq, err := knocker.ParseSequence(w.Sequence)
	if err != nil {
		// The token is a secret: say only that the sequence is bad.
		return Job{}, errors.New("read the job: the close sequence does not parse")
	}
	j := Job{Addr: addr, Sequence: seq, Delay: time.Duration(w.DelayNS)}
	return j, j.validate()
}

// Exec starts keepers by running a program.
type Exec struct {
	// Path is the program; empty means this process's own executable.
	Path string
	// Args are the arguments that make it a keeper; nil means {Arg}.
	Args []string
}

// Keeper is a running keeper, as its client holds it.
type Keeper struct {
	w    *os.File
	cmd  *exec.Cmd
	once sync.Once
	err  error
}

// Start starts a keeper for job. The job is in the keeper's pipe when
// Start returns, so the door may be opened from then on: whatever happens
// to this process, the close knock goes out.
func (e *Exec) Start(job Job) (*Keeper, error) {
	line, err := job.encode()
	if err != nil {
		return nil, fmt.Errorf("close keeper: %w", err)
	}
	path := e.Path
	if path == "" {
		if path, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("close keeper: find this program to run it again: %w", err)
		}
	}
	args := e.Args
	if args == nil {
		args = []string{Arg}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("close keeper: %w", err)
	}
	cmd := exec.Command(path, args...)
	// Its standard input is the pipe; its output goes nowhere, so it never
	// holds a terminal or an output pipe someone waits on.
	cmd.Stdin = r
	cmd.SysProcAttr = detached()
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("close keeper: start %s: %w", path, err)
	}
	if _, err := w.Write(line); err != nil {
		w.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("close keeper: hand over the job: %w", err)
	}
	return &Keeper{w: w, cmd: cmd}, nil
}

// Closed tells the keeper the door is closed (or never opened), so it
// exits without knocking, and waits for it to exit. Calling it again does
// nothing.
func (k *Keeper) Closed() error {
	k.once.Do(func() {
		_, werr := io.WriteString(k.w, closedMsg)
		k.w.Close()
		// It exits at once on "closed"; without it (it died already) the
		// write fails and Wait reaps what is left.
		err := k.cmd.Wait()
		switch {
		case werr != nil:
			k.err = fmt.Errorf("close keeper: tell it the door is closed: %w", werr)
		case err != nil:
			k.err = fmt.Errorf("close keeper: %w", err)
		}
	})
	return k.err
}

// Sender sends a sequence; knock.SendTo is the real one.
type Sender func(ctx context.Context, addr netip.Addr, seq knocker.Sequence, opts knock.Options) error

// Outcome is what a keeper did.
type Outcome int

// The outcomes.
const (
	// Released: the client said the door was closed; nothing was sent.
	Released Outcome = iota
	// Knocked: the client went away without saying so; the close knock
	// went out.
	Knocked
)

// closeTimeout bounds the close knock on top of the sequence's own delays,
// so a dead network cannot keep a keeper around.
const closeTimeout = 10 * time.Second

// Serve is the keeper's work: it reads the job from in, waits for in to
// end, and sends the close knock unless the client said "closed" first.
func Serve(ctx context.Context, in io.Reader, send Sender) (Outcome, error) {
	br := bufio.NewReader(in)
	line, err := br.ReadString('\n')
	if err != nil {
		// The client died before handing over a job: it opened nothing.
		return Released, fmt.Errorf("no job from the client: %w", err)
	}
	job, err := decodeJob(strings.TrimSpace(line))
	if err != nil {
		return Released, err
	}
	msg, err := br.ReadString('\n')
	if msg == closedMsg {
		return Released, nil
	}
	if err == nil {
		return Released, fmt.Errorf("unexpected message %q from the client", strings.TrimSpace(msg))
	}
	budget := closeTimeout
	for _, st := range job.Sequence {
		if st.GapSet {
			budget += st.Gap
		} else {
			budget += job.Delay
		}
	}
	cctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	if err := send(cctx, job.Addr, job.Sequence, knock.Options{Delay: job.Delay}); err != nil {
		return Knocked, fmt.Errorf("send the close knock to %s: %w", job.Addr, err)
	}
	return Knocked, nil
}

// Main is the keeper process: the sesame binary's main calls it when its
// first argument is Arg. It returns the exit status.
func Main() int {
	ignoreSignals()
	_, err := Serve(context.Background(), os.Stdin, knock.SendTo)
	if err != nil {
		// Nobody reads a keeper's output; the status is for a debugger.
		return 1
	}
	return 0
}
