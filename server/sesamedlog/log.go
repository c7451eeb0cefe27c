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
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"time"
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
}

// New opens the log file (for appending) and syslog. A log file that
// cannot be opened is an error; syslog that cannot be reached is only
// reported, as knockd does, so that a box without a syslog daemon still
// runs.
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
	if err := l.openFile(); err != nil {
		return nil, err
	}
	if opt.Syslog {
		sys, err := syslog.New(syslog.LOG_NOTICE|syslog.LOG_USER, opt.SyslogTag)
		if err != nil {
			fmt.Fprintf(opt.Stderr, "warning: cannot reach syslog (UseSyslog): %v\n", err)
		} else {
			l.sys = sys
		}
	}
	return l, nil
}

func (l *Logger) openFile() error {
	if l.opt.LogFile == "" {
		return nil
	}
	f, err := os.OpenFile(l.opt.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w (fix LogFile or -g)", err)
	}
	l.file = f
	l.fileBuf = bufio.NewWriter(f)
	return nil
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
	l.logLocked(msg)
	l.scheduleFlushLocked()
}

// Log writes to the log file and syslog only (knockd's logprint).
func (l *Logger) Log(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.logLocked(msg)
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
	l.logLocked(msg)
	l.scheduleFlushLocked()
}

func (l *Logger) logLocked(msg string) {
	msg = strings.TrimRight(msg, "\n")
	if l.fileBuf != nil {
		t := l.opt.Now()
		fmt.Fprintf(l.fileBuf, "[%04d-%02d-%02d %02d:%02d] %s\n", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), msg)
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
