//go:build windows

package keeper

import (
	"os"
	"os/signal"
	"syscall"
)

// detachedProcess is DETACHED_PROCESS: no console, so closing the client's
// console window does not end the keeper.
const detachedProcess = 0x00000008

// detached runs the keeper without a console, in a process group of its
// own, so Ctrl-C and Ctrl-Break in the client's console spare it.
func detached() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | detachedProcess}
}

// ignoreSignals keeps the keeper alive through what ends its client.
func ignoreSignals() { signal.Ignore(os.Interrupt) }
