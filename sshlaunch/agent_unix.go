//go:build !windows

package sshlaunch

import (
	"net"
	"os"
	"time"
)

func defaultAgentSocket() string { return os.Getenv("SSH_AUTH_SOCK") }

func dialAgent(sock string) (net.Conn, error) {
	return net.DialTimeout("unix", sock, 2*time.Second)
}
