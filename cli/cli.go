// Package cli is Sesame's command line, the same in the desktop and the
// headless builds: `sesame knock` (a drop-in for knock(1)), `connect` and
// `proxy` (the knock → SSH → close flow of package sshlaunch), and
// `profile ...`. Each command lives in its own file with an options struct
// that carries Deps (streams, store, resolver, clock, close keeper) and a
// run function that tests call directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/internal/keeper"
	"sesame/internal/version"

	"sesame/internal/clock"
	"sesame/profiles"
)

// Exit statuses. Usage errors use 2 and a failure while working 1, except
// where users expect another tool's: `connect` and `proxy` exit 255 for
// every failure of their own as ssh does (ExitSSH), `knock` 1 as knock(1)
// does (ExitKnock).
const (
	ExitOK    = cmdexit.OK
	ExitError = cmdexit.Error
	ExitUsage = cmdexit.Usage
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// SystemStreams returns the process's own streams.
func SystemStreams() IOStreams {
	return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// Deps are what the commands need from the outside world. Main's caller
// passes them in, so tests can replace any of them.
type Deps struct {
	IO IOStreams
	// Resolver looks host names up; nil means the system's.
	Resolver *net.Resolver
	// Profiles opens the profile store. Only commands that use profiles
	// call it, so `sesame knock HOST PORT...` needs no config directory
	// and no keyring. nil means profiles.OpenDefault.
	Profiles func() (*profiles.Store, error)
	// Clock is the time rotating sequences are derived for, and waits for
	// the next window; nil means the system's.
	Clock clock.Clock
	// CloseKeeper starts the process that knocks a door shut if this one
	// dies with the door open (package keeper); nil runs without one.
	CloseKeeper *keeper.Exec
	// Headless is set by the build without the desktop app, whose help
	// must not offer it.
	Headless bool
}

// store opens the profile store.
func (d Deps) store() (*profiles.Store, error) {
	if d.Profiles == nil {
		return profiles.OpenDefault()
	}
	return d.Profiles()
}

// UsageError is bad input from the user: a bad flag, argument or token. It
// exits with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// NewRootCmd builds the `sesame` command tree.
func NewRootCmd(deps Deps) *cobra.Command {
	long := `Sesame sends a port-knock sequence, opens an SSH session on the same
address, and sends the close sequence when the session ends.`
	if !deps.Headless {
		long += "\n\nRun it without arguments to open the desktop app."
	}
	root := &cobra.Command{
		Use:           "sesame",
		Short:         "Knock, connect over SSH, and knock the door shut again",
		Long:          long,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// -V as knock(1) and sshd have it; cobra would take -v, which the
	// subcommands use for --verbose.
	root.Flags().BoolP("version", "V", false, "print the version and exit")
	root.SetVersionTemplate("sesame {{.Version}}\n")
	root.SetIn(deps.IO.In)
	root.SetOut(deps.IO.Out)
	root.SetErr(deps.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &UsageError{Err: err}
	})
	root.AddCommand(newCmdKnock(deps), newCmdConnect(deps), newCmdProxy(deps), newCmdProfile(deps), newCmdFwknop(deps),
		cmdexit.VersionCmd("sesame "+version.Version))
	root.AddCommand(newCmdSSHConfig(deps))
	addCompletion(root, deps)
	return root
}

// Main runs the command line with args (without the program name) and
// returns the exit status. Errors are printed as one line on ErrOut, prefixed
// with the command that failed.
func Main(ctx context.Context, args []string, deps Deps) int {
	return cmdexit.Run(ctx, NewRootCmd(deps), args, deps.IO.ErrOut, func(err error) bool {
		var usage *UsageError
		return errors.As(err, &usage)
	})
}
