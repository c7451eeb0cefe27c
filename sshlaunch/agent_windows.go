//go:build windows

package sshlaunch

import (
	"errors"
	"net"
	"os"
	"time"
)

// The Windows OpenSSH agent listens on a named pipe; SSH_AUTH_SOCK may name
// another pipe (or a unix socket, which Windows 10+ also has).
const openSSHAgentPipe = `\\.\pipe\openssh-ssh-agent`

func defaultAgentSocket() string {
	if s := os.Getenv("SSH_AUTH_SOCK"); s != "" {
		return s
	}
	return openSSHAgentPipe
}

func dialAgent(sock string) (net.Conn, error) {
	if len(sock) > 9 && sock[:9] == `\\.\pipe\` {
		f, err := os.OpenFile(sock, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		return &pipeConn{File: f}, nil
	}
	return net.DialTimeout("unix", sock, 2*time.Second)
}

// pipeConn adapts an opened named pipe to net.Conn for the agent client,
// which only reads, writes and closes.
type pipeConn struct{ *os.File }

func (pipeConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (pipeConn) RemoteAddr() net.Addr { return pipeAddr{} }
func (p pipeConn) SetDeadline(t time.Time) error {
	return errors.New("deadlines are not supported on the agent pipe")
}
func (p pipeConn) SetReadDeadline(t time.Time) error  { return p.SetDeadline(t) }
func (p pipeConn) SetWriteDeadline(t time.Time) error { return p.SetDeadline(t) }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return openSSHAgentPipe }
