//go:build linux

// Package instance keeps sesamed to one running copy per network namespace.
// Two copies would fight over the same firewall chain or table: the second
// one's start clears the first one's rules, and its exit removes them and
// the first one's pid file. The lock is an abstract unix socket, which the
// kernel scopes to the network namespace (the same scope as the firewall)
// and releases when the process dies, even by kill -9: no stale lock file
// to clean up, and the holder's pid comes from the socket itself.
package instance

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultName is the abstract socket sesamed holds while it runs.
const DefaultName = "sesamed"

// RunningError says another process holds the lock.
type RunningError struct {
	Pid int // 0 when it could not be told
}

func (e *RunningError) Error() string {
	if e.Pid == 0 {
		return "sesamed is already running: stop it first (systemctl stop sesamed); sesamed check tests a config without touching the firewall"
	}
	return fmt.Sprintf("sesamed is already running (pid %d): stop it first (systemctl stop sesamed, or kill %d); sesamed check tests a config without touching the firewall", e.Pid, e.Pid)
}

// Lock is held until Release or the process's end.
type Lock struct {
	l    *net.UnixListener
	done chan struct{}
}

// Acquire takes the lock called name in this network namespace, or returns
// a *RunningError naming the process that holds it.
func Acquire(name string) (*Lock, error) {
	addr := &net.UnixAddr{Name: "@" + name, Net: "unix"}
	l, err := net.ListenUnix("unix", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &RunningError{Pid: holder(addr)}
		}
		return nil, fmt.Errorf("take the single-instance lock (abstract socket @%s): %w", name, err)
	}
	lk := &Lock{l: l, done: make(chan struct{})}
	// Callers connect only to learn the pid (from the socket's
	// credentials); accepting and closing keeps the backlog from filling.
	go func() {
		defer close(lk.done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return lk, nil
}

// holder is the pid of the process listening on addr, from the kernel's
// record of the listener's credentials; 0 if it cannot be told.
func holder(addr *net.UnixAddr) int {
	c, err := net.DialUnix("unix", nil, addr)
	if err != nil {
		return 0
	}
	defer c.Close()
	raw, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	pid := 0
	_ = raw.Control(func(fd uintptr) {
		if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
			pid = int(cred.Pid)
		}
	})
	return pid
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	err := l.l.Close()
	<-l.done
	return err
}
