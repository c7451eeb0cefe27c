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

// runDaemon is sesamed itself.
func runDaemon(ctx context.Context, opts *runOptions) error {
	cfg, err := knockdconf.ParseFile(opts.Config)
	if err != nil {
		return err
	}
	if opts.Daemon && opts.Getenv(daemonChildEnv) == "" {
		return detach(opts)
	}
	var readyPipe *os.File
	if fd := opts.Getenv(daemonChildEnv); fd != "" {
		n, err := strconv.Atoi(fd)
		if err != nil {
			return fmt.Errorf("bad %s=%q", daemonChildEnv, fd)
		}
		readyPipe = os.NewFile(uintptr(n), "ready")
		defer readyPipe.Close()
		// The doors' commands need not know.
		os.Unsetenv(daemonChildEnv)
	}
	// One sesamed per network namespace, decided before anything is
	// touched: a second copy (an admin debugging with -D beside the
	// service) would clear the first one's firewall rules, and its exit
	// would remove them and the first one's pid file.
	lock, err := instance.Acquire(instance.DefaultName)
	if err != nil {
		return reportStart(readyPipe, err)
	}
	defer lock.Release()
	logFile := cfg.LogFile
	if opts.LogFile != "" {
		logFile = opts.LogFile
	}
	log, err := sesamedlog.New(sesamedlog.Options{
		Stdout: opts.IO.Out, Stderr: opts.IO.ErrOut,
		Verbose: opts.Verbose, Debug: opts.Debug,
		LogFile: logFile, Syslog: cfg.UseSyslog,
	})
	if err != nil {
		return reportStart(readyPipe, err)
	}
	defer log.Close()

	pidFile := ""
	switch {
	case opts.PidFileSet:
		pidFile = opts.PidFile
	case opts.Daemon && cfg.PidFile != "":
		pidFile = cfg.PidFile
	case opts.Daemon:
		pidFile = DefaultPidFile
	}
	if pidFile != "" {
		// Replaced, never written through a symbolic link planted there.
		if err := atomicfile.Write(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Error("could not create pid file %s: %v", pidFile, err)
		} else {
			defer os.Remove(pidFile)
		}
	}

	// The attempt table is bounded; a soft memory limit keeps the garbage
	// a flood of knocks leaves behind from growing the heap past it.
	if opts.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if opts.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				notify(opts.Getenv, "RELOADING=1")
				select {
				case reload <- struct{}{}:
				case <-ctx.Done():
					return
				}
				notify(opts.Getenv, "READY=1")
			}
		}
	}()

	ready := func() {
		if readyPipe != nil {
			fmt.Fprintln(readyPipe, "ok")
			readyPipe.Close()
			readyPipe = nil
		}
		notify(opts.Getenv, fmt.Sprintf("READY=1\nMAINPID=%d", os.Getpid()))
	}
	var ifaces []string
	if opts.Interface != "" {
		ifaces = loadconf.SplitInterfaces(opts.Interface)
	}
	err = daemon.Run(ctx, daemon.Options{
		ConfigPath: opts.Config,
		Interfaces: ifaces,
		LogFile:    opts.LogFile,
		IPv4Only:   opts.IPv4Only,
		Lookup:     opts.Lookup,
		Log:        log,
		Stdout:     opts.IO.Out,
		Stderr:     opts.IO.ErrOut,
		NewNative:  newNative(log, guardFile(opts.Guard)),
		Reload:     reload,
		Ready:      ready,
	})
	notify(opts.Getenv, "STOPPING=1")
	if err != nil {
		log.Error("error: %v", err)
		reportStart(readyPipe, err)
		return &cmdexit.Status{Code: cmdexit.Error}
	}
	return nil
}

// reportStart tells the waiting parent of a -d start why it failed.
func reportStart(pipe *os.File, err error) error {
	if pipe != nil {
		fmt.Fprintln(pipe, err)
	}
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
