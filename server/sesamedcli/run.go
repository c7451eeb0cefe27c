package sesamedcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sesame/internal/atomicfile"
	"sesame/internal/cmdexit"
	"sesame/knockdconf"
	"sesame/server/daemon"
	"sesame/server/instance"
	"sesame/server/internal/steps"
	"sesame/server/loadconf"
	"sesame/server/sesamedlog"
)

// runOptions are sesamed's flags, named after knockd's.
type runOptions struct {
	IO     IOStreams
	Getenv func(string) string

	Config     string
	Interface  string
	Daemon     bool
	Debug      bool
	Lookup     bool
	IPv4Only   bool
	PidFile    string
	PidFileSet bool
	LogFile    string
	Verbose    bool
	Version    bool
	// Guard is the install record whose baseline sesamed keeps in place.
	Guard string
}

// memoryLimit is sesamed's soft heap limit (GOMEMLIMIT overrides it).
const memoryLimit = 24 << 20

// gcPercent is sesamed's GOGC (the environment's overrides it): its live
// heap is small (a few MB, the attempt table), and a flood of knocks is
// mostly garbage, so collecting at half the live heap again keeps the
// peak low for little CPU (measured by BenchmarkFlood).
const gcPercent = 50

// daemonChildEnv marks the detached copy -d starts; its value is the file
// descriptor on which the copy reports that it is listening.
const daemonChildEnv = "SESAMED_DAEMON_READY_FD"

// runDaemon is sesamed itself: the steps that set the process up, each
// undone at exit in reverse, then the daemon until SIGINT or SIGTERM.
func runDaemon(ctx context.Context, opts *runOptions) error {
	cfg, err := knockdconf.ParseFile(opts.Config)
	if err != nil {
		return err
	}
	if opts.Daemon && opts.Getenv(daemonChildEnv) == "" {
		return detach(opts)
	}
	p := &process{opts: opts, cfg: cfg}
	stop, err := steps.Start(ctx,
		p.takeReadyPipe,
		p.told(p.lockInstance),
		p.told(p.openLog),
		p.told(p.writePidFile),
		p.told(p.limitMemory),
		p.told(p.handleSignals),
	)
	defer stop()
	if err != nil {
		return err
	}
	return p.run()
}

// process is sesamed's process as runDaemon's steps set it up.
type process struct {
	opts *runOptions
	cfg  *knockdconf.Config
	// readyPipe is where the copy -d started says it listens (or why it
	// cannot); nil elsewhere, and once said.
	readyPipe *os.File
	// failed is why the start failed, told on readyPipe as the last undo,
	// once the instance lock is released: the parent's -d returns only
	// when another start can take the lock.
	failed error
	log    *sesamedlog.Logger
	ctx    context.Context // ends on SIGINT or SIGTERM
	reload chan struct{}   // SIGHUP
}

// takeReadyPipe takes, in the copy -d started, the pipe its parent waits
// on.
func (p *process) takeReadyPipe(context.Context) (func(), error) {
	fd := p.opts.Getenv(daemonChildEnv)
	if fd == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(fd)
	if err != nil {
		return nil, fmt.Errorf("bad %s=%q", daemonChildEnv, fd)
	}
	pipe := os.NewFile(uintptr(n), "ready")
	p.readyPipe = pipe
	// The doors' commands need not know.
	os.Unsetenv(daemonChildEnv)
	return func() {
		if p.readyPipe != nil && p.failed != nil {
			fmt.Fprintln(p.readyPipe, p.failed)
		}
		pipe.Close()
	}, nil
}

// lockInstance makes this the one sesamed of its network namespace,
// decided before anything is touched: a second copy (an admin debugging
// with -D beside the service) would clear the first one's firewall rules,
// and its exit would remove them and the first one's pid file.
func (p *process) lockInstance(context.Context) (func(), error) {
	lock, err := instance.Acquire(instance.DefaultName)
	if err != nil {
		return nil, err
	}
	return func() { lock.Release() }, nil
}

// openLog opens the log: -g, else the config's LogFile, and syslog.
func (p *process) openLog(context.Context) (func(), error) {
	logFile := p.cfg.LogFile
	if p.opts.LogFile != "" {
		logFile = p.opts.LogFile
	}
	log, err := sesamedlog.New(sesamedlog.Options{
		Stdout: p.opts.IO.Out, Stderr: p.opts.IO.ErrOut,
		Verbose: p.opts.Verbose, Debug: p.opts.Debug,
		LogFile: logFile, Syslog: p.cfg.UseSyslog,
	})
	if err != nil {
		return nil, err
	}
	p.log = log
	return func() { log.Close() }, nil
}

// writePidFile writes the pid file, removed at exit. One that cannot be
// written is logged, as knockd does, and sesamed runs on.
func (p *process) writePidFile(context.Context) (func(), error) {
	pidFile := pidFilePath(p.opts, p.cfg)
	if pidFile == "" {
		return nil, nil
	}
	// Replaced, never written through a symbolic link planted there.
	if err := atomicfile.Write(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		p.log.Error("could not create pid file %s: %v", pidFile, err)
		return nil, nil
	}
	return func() { os.Remove(pidFile) }, nil
}

// pidFilePath is the pid file to write: -p, else with -d the config's
// PidFile or the default; "" for none.
func pidFilePath(opts *runOptions, cfg *knockdconf.Config) string {
	switch {
	case opts.PidFileSet:
		return opts.PidFile
	case opts.Daemon && cfg.PidFile != "":
		return cfg.PidFile
	case opts.Daemon:
		return DefaultPidFile
	}
	return ""
}

// limitMemory sets sesamed's soft memory limit and GOGC, unless the
// environment sets them: the attempt table is bounded, and the limit keeps
// the garbage a flood of knocks leaves behind from growing the heap past
// it.
func (p *process) limitMemory(context.Context) (func(), error) {
	if p.opts.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if p.opts.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	return nil, nil
}

// handleSignals ends p.ctx on SIGINT and SIGTERM, and turns SIGHUP into a
// reload, told to systemd as it starts and ends.
func (p *process) handleSignals(ctx context.Context) (func(), error) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	p.ctx, p.reload = ctx, make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				notify(p.opts.Getenv, "RELOADING=1")
				select {
				case p.reload <- struct{}{}:
				case <-ctx.Done():
					return
				}
				notify(p.opts.Getenv, "READY=1")
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		stop()
	}, nil
}

// run runs the daemon until p.ctx ends, and tells the -d parent and
// systemd when it is ready and when it stops.
func (p *process) run() error {
	ready := func() {
		if p.readyPipe != nil {
			fmt.Fprintln(p.readyPipe, "ok")
			p.readyPipe.Close()
			p.readyPipe = nil
		}
		notify(p.opts.Getenv, fmt.Sprintf("READY=1\nMAINPID=%d", os.Getpid()))
	}
	var ifaces []string
	if p.opts.Interface != "" {
		ifaces = loadconf.SplitInterfaces(p.opts.Interface)
	}
	err := daemon.Run(p.ctx, daemon.Options{
		ConfigPath: p.opts.Config,
		Interfaces: ifaces,
		LogFile:    p.opts.LogFile,
		IPv4Only:   p.opts.IPv4Only,
		Lookup:     p.opts.Lookup,
		Log:        p.log,
		Stdout:     p.opts.IO.Out,
		Stderr:     p.opts.IO.ErrOut,
		NewNative:  newNative(p.log, guardFile(p.opts.Guard)),
		Reload:     p.reload,
		Ready:      ready,
	})
	notify(p.opts.Getenv, "STOPPING=1")
	if err != nil {
		p.log.Error("error: %v", err)
		p.fail(err)
		return &cmdexit.Status{Code: cmdexit.Error}
	}
	return nil
}

// told is step s, whose failure the parent of a -d start is told.
func (p *process) told(s steps.Step) steps.Step {
	return func(ctx context.Context) (func(), error) {
		undo, err := s(ctx)
		if err != nil {
			p.fail(err)
		}
		return undo, err
	}
}

// fail records why the start failed, for the waiting parent of a -d
// start (takeReadyPipe's undo tells it), and returns err.
func (p *process) fail(err error) error {
	p.failed = err
	return err
}

// detach is -d. Go cannot fork, so sesamed starts a copy of itself in a new
// session with its standard streams on /dev/null, waits until the copy
// listens (or says why it cannot) and exits; the copy writes the pid file.
func detach(opts *runOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemon mode: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("daemon mode: %w", err)
	}
	defer r.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return fmt.Errorf("daemon mode: %w", err)
	}
	defer null.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonChildEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w}
	// A new session, as daemon(3) makes; the working directory stays, so
	// that relative -c, -p and -g paths mean the same to the copy.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("daemon mode: %w", err)
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	_ = cmd.Process.Release()
	switch line {
	case "ok":
		return nil
	case "":
		return errors.New("the daemon exited before it was listening (see the log file or syslog)")
	}
	return errors.New(line)
}

// notify speaks systemd's sd_notify protocol when sesamed runs as a
// Type=notify service; elsewhere it does nothing.
func notify(getenv func(string) string, state string) {
	sock := getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if strings.HasPrefix(sock, "@") {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialTimeout("unixgram", sock, time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(state))
}
