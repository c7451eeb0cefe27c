package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Stdio are the streams of a session.
type Stdio struct {
	In  io.Reader // nil: no input
	Out io.Writer
	Err io.Writer // with a PTY the remote merges stderr into Out
}

// WindowSize is a terminal size in character cells.
type WindowSize struct{ Cols, Rows int }

// PTY asks for a pseudo-terminal on the server.
type PTY struct {
	// Term is the TERM to announce; empty means xterm-256color.
	Term string
	Size WindowSize
	// Resize delivers new sizes; each becomes a window-change request.
	Resize <-chan WindowSize
}

// ExitError is a remote command or shell that ended with a non-zero status
// or a signal; the CLI makes the status its own, as ssh does.
type ExitError struct {
	Status int
	Signal string
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return fmt.Sprintf("remote command killed by signal %s", e.Signal)
	}
	return fmt.Sprintf("remote command exited with status %d", e.Status)
}

// ConnectionLostError ends a session whose server stopped answering
// keepalives or closed the connection without an exit status.
type ConnectionLostError struct{ Reason string }

func (e *ConnectionLostError) Error() string { return "connection lost: " + e.Reason }

// JoinCommand joins command arguments with spaces, as ssh does: the remote
// shell splits them again, so `-- ls -l "a b"` means what it means to ssh.
func JoinCommand(args []string) string { return strings.Join(args, " ") }

// Run runs cmd on the server (an empty cmd starts the login shell), wired
// to stdio, with a PTY if pty is non-nil. It returns nil when the remote
// side exits 0, an *ExitError for another status, a *ConnectionLostError
// when the server goes away, or ctx's error when ctx is cancelled (which
// closes the session).
func (c *Conn) Run(ctx context.Context, cmd string, stdio Stdio, pty *PTY) error {
	sess, err := c.Client.NewSession()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()

	if pty != nil {
		term := pty.Term
		if term == "" {
			term = "xterm-256color"
		}
		size := pty.Size
		if size.Cols <= 0 || size.Rows <= 0 {
			size = WindowSize{Cols: 80, Rows: 24}
		}
		modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
		if err := sess.RequestPty(term, size.Rows, size.Cols, modes); err != nil {
			return fmt.Errorf("request a terminal: %w", err)
		}
	}
	sess.Stdout = stdio.Out
	sess.Stderr = stdio.Err
	if sess.Stderr == nil {
		sess.Stderr = io.Discard
	}
	var stdin io.WriteCloser
	if stdio.In != nil {
		stdin, err = sess.StdinPipe()
		if err != nil {
			return fmt.Errorf("session input: %w", err)
		}
	}
	if cmd == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(cmd)
	}
	if err != nil {
		return fmt.Errorf("start remote command: %w", err)
	}
	if stdin != nil {
		go func() {
			// EOF on our input becomes EOF on the remote side, as with ssh.
			_, _ = io.Copy(stdin, stdio.In)
			stdin.Close()
		}()
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()

	kctx, stopKeepalive := context.WithCancel(ctx)
	defer stopKeepalive()
	lost := c.keepalive(kctx)

	var resize <-chan WindowSize
	if pty != nil {
		resize = pty.Resize
	}
	for {
		select {
		case err := <-done:
			return exitError(err)
		case sz, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			if sz.Cols > 0 && sz.Rows > 0 {
				_ = sess.WindowChange(sz.Rows, sz.Cols)
			}
		case reason := <-lost:
			c.Client.Close()
			<-done
			return &ConnectionLostError{Reason: reason}
		case <-ctx.Done():
			// Ask politely first; the connection is closed anyway when the
			// flow returns.
			_ = sess.Signal(ssh.SIGHUP)
			c.Client.Close()
			<-done
			return ctx.Err()
		}
	}
}

func exitError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Status: ee.ExitStatus(), Signal: ee.Signal()}
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) || errors.Is(err, io.EOF) {
		return &ConnectionLostError{Reason: "the server closed the connection without an exit status"}
	}
	return fmt.Errorf("session: %w", err)
}

// keepalive sends keepalive@openssh.com every KeepaliveInterval and reports
// on the returned channel once KeepaliveMax of them in a row went
// unanswered, as ssh's ServerAliveInterval/ServerAliveCountMax do.
func (c *Conn) keepalive(ctx context.Context) <-chan string {
	lost := make(chan string, 1)
	interval, max := c.cfg.KeepaliveInterval, c.cfg.KeepaliveMax
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		missed := 0
		var pending chan error
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if pending != nil {
				select {
				case err := <-pending:
					pending = nil
					if err == nil {
						missed = 0
					} else {
						missed++
					}
				default:
					missed++
				}
			}
			if missed >= max {
				lost <- fmt.Sprintf("no answer to %d keepalives in %s", missed, time.Duration(missed)*interval)
				return
			}
			if pending == nil {
				pending = make(chan error, 1)
				p := pending
				go func() {
					_, _, err := c.Client.SendRequest("keepalive@openssh.com", true, nil)
					p <- err
				}()
			}
		}
	}()
	return lost
}
