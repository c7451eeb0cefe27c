// Package sesamedlog writes sesamed's messages where knockd writes them, in
// knockd's wording and format, so that log watchers (fail2ban filters,
// scripts grepping "OPEN SESAME") keep working:
//
//   - verbose lines (-v) on standard output, as they are;
//   - debug lines (-D) on standard output;
//   - log lines to the log file as "[YYYY-MM-DD HH:MM] message" and, with
//     UseSyslog, to syslog (facility user, priority notice);
//   - errors on standard error, and to the log file and syslog.
//
// Output is buffered and flushed within a few milliseconds, so that a flood
// of knocks costs a write per batch rather than per line.
package sesamedlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/syslog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Options say where the messages go.
type Options struct {
	Stdout, Stderr io.Writer
	Verbose, Debug bool
	// LogFile is the log file's path; empty for none.
	LogFile string
	// Syslog sends log lines to the system logger, tagged SyslogTag.
	Syslog    bool
	SyslogTag string
	// Now is the clock for log file timestamps (default time.Now).
	Now func() time.Time
}

// flushDelay bounds how long a line waits in the buffer.
const flushDelay = 5 * time.Millisecond

// Logger writes sesamed's messages. Its methods may be called from any
// goroutine.
type Logger struct {
	opt Options

	mu        sync.Mutex
	stdout    *bufio.Writer
	file      *os.File
	fileBuf   *bufio.Writer
	sys       *syslog.Writer
	lastFlush time.Time
	pending   bool
	// fileErr is why LogFile could not be opened; the log lines then go
	// to standard error.
	fileErr error
}

// New opens the log file (for appending) and syslog. Neither stops
// sesamed, as neither stops knockd, so that a box without the log
// directory or a syslog daemon still runs: when none of the places asked
// for can be opened, the log lines go to standard error (FileErr says why
// the file could not). New says nothing of either: sesamed's config loading warns
// about both (Probe, ProbeSyslog), in the words `sesamed check` prints.
func New(opt Options) (*Logger, error) {
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SyslogTag == "" {
		opt.SyslogTag = "sesamed"
	}
	l := &Logger{opt: opt, stdout: bufio.NewWriter(opt.Stdout)}
	l.fileErr = l.openFile()
	if opt.Syslog {
		if sys, err := syslog.New(syslog.LOG_NOTICE|syslog.LOG_USER, opt.SyslogTag); err == nil {
			l.sys = sys
		}
	}
	return l, nil
}

func (l *Logger) openFile() error {
	if l.opt.LogFile == "" {
		return nil
	}
	f, err := openAppend(l.opt.LogFile, os.O_CREATE)
	if err != nil {
		return fmt.Errorf("open log file: %w (fix LogFile or -g)", err)
	}
	l.file = f
	l.fileBuf = bufio.NewWriter(f)
	return nil
}

// FileErr is why the log file could not be opened, nil when it was (or
// when there is none).
func (l *Logger) FileErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fileErr
}

// ProbeSyslog says why syslog cannot be reached, as New tries it.
func ProbeSyslog() error {
	w, err := syslog.New(syslog.LOG_NOTICE|syslog.LOG_USER, "sesamed")
	if err != nil {
		return err
	}
	return w.Close()
}

// Probe says why a log file at path could not be opened for appending,
// without creating it: the file exists and cannot be written, or it does
// not and its directory is missing or not writable. It is what New will
// meet, for `sesamed check` and the start-up warning.
func Probe(path string) error {
	if path == "" {
		return nil
	}
	f, err := openAppend(path, unix.O_NONBLOCK)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, err)
	}
	return nil
}

// openAppend opens the log file at path for appending, never through a
// symbolic link: root's log file is a place where a link planted by
// someone who can write its directory would make sesamed append to any
// file. An existing file keeps its owner and mode; a new one is 0640.
func openAppend(path string, flags int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|unix.O_NOFOLLOW|flags, 0o640)
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link, which sesamed does not follow (a link planted there could make it write to any file): name the file itself", path)
	}
	return f, err
}

// Reopen closes and reopens the log file, for log rotation (SIGHUP). On
// failure the old file stays in use.
func (l *Logger) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opt.LogFile == "" {
		return nil
	}
	old, oldBuf := l.file, l.fileBuf
	if err := l.openFile(); err != nil {
		l.file, l.fileBuf = old, oldBuf
		return err
	}
	l.fileErr = nil
	if oldBuf != nil {
		_ = oldBuf.Flush()
		old.Close()
	}
	return nil
}

// Event is knockd's vprint and logprint pair: the message on standard
// output with -v, and in the log file and syslog.
func (l *Logger) Event(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opt.Verbose {
		l.stdout.WriteString(msg)
		l.stdout.WriteByte('\n')
	}
	l.logLocked(msg, l.opt.Verbose)
	l.scheduleFlushLocked()
}

// Log writes to the log file and syslog only (knockd's logprint).
func (l *Logger) Log(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logLocked(msg, false)
	l.scheduleFlushLocked()
}

// Verbose writes to standard output with -v only (knockd's vprint).
func (l *Logger) Verbose(format string, args ...any) {
	if l.opt.Verbose {
		l.stdoutLine(format, args...)
	}
}

// DebugOn reports whether debug lines are wanted, so that callers can skip
// formatting them.
func (l *Logger) DebugOn() bool { return l.opt.Debug }

// Debug writes to standard output with -D only (knockd's dprint).
func (l *Logger) Debug(format string, args ...any) {
	if l.opt.Debug {
		l.stdoutLine(format, args...)
	}
}

func (l *Logger) stdoutLine(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.stdout, format, args...)
	l.stdout.WriteByte('\n')
	l.scheduleFlushLocked()
}

// Error writes to standard error at once, and to the log file and syslog.
func (l *Logger) Error(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked() // keep the order of what was said before
	fmt.Fprintln(l.opt.Stderr, msg)
	l.logLocked(msg, true)
	l.scheduleFlushLocked()
}

// logLocked writes msg to the log file and syslog; shown says it is on
// standard output or standard error already.
func (l *Logger) logLocked(msg string, shown bool) {
	msg = strings.TrimRight(msg, "\n")
	if l.fileBuf != nil {
		t := l.opt.Now()
		fmt.Fprintf(l.fileBuf, "[%04d-%02d-%02d %02d:%02d] %s\n", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), msg)
	} else if l.sys == nil && (l.opt.LogFile != "" || l.opt.Syslog) && !shown {
		// Neither the log file nor syslog asked for could be opened: the
		// lines go where a service manager keeps them, unless they went
		// to one of its streams already (Error, or Event with -v).
		fmt.Fprintln(l.opt.Stderr, msg)
	}
	if l.sys != nil {
		_ = l.sys.Notice(msg)
	}
}

// scheduleFlushLocked flushes now if nothing was flushed for flushDelay,
// and otherwise within flushDelay: a lone line goes out at once, a burst in
// a few writes.
func (l *Logger) scheduleFlushLocked() {
	if l.pending {
		return
	}
	since := time.Since(l.lastFlush)
	if since >= flushDelay {
		l.flushLocked()
		return
	}
	l.pending = true
	time.AfterFunc(flushDelay-since, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.flushLocked()
	})
}

func (l *Logger) flushLocked() {
	l.pending = false
	l.lastFlush = time.Now()
	_ = l.stdout.Flush()
	if l.fileBuf != nil {
		_ = l.fileBuf.Flush()
	}
}

// Flush writes out everything buffered.
func (l *Logger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

// Close flushes and closes the log file and syslog.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
	var err error
	if l.file != nil {
		err = l.file.Close()
		l.file, l.fileBuf = nil, nil
	}
	if l.sys != nil {
		l.sys.Close()
		l.sys = nil
	}
	return err
}
