//go:build unix

package keeper

import (
	"os/signal"
	"syscall"
)

// detached runs the keeper in a session of its own: no controlling
// terminal, so neither the terminal's Ctrl-C nor its hang-up reaches it,
// and a kill of the client's process group spares it.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }

// ignoreSignals keeps the keeper alive through what ends its client.
func ignoreSignals() { signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGPIPE) }
