// Package sesamedcli is sesamed's command line: knockd's flags with
// knockd's meaning, and the check, install and uninstall commands. Each
// command lives in its own file with an options struct and a run function.
package sesamedcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/internal/version"
)

// IOStreams are the standard streams.
type IOStreams struct {
	In          io.Reader
	Out, ErrOut io.Writer
}

// Deps are what the commands need from outside.
type Deps struct {
	IO IOStreams
	// Getenv reads the environment (os.Getenv).
	Getenv func(string) string
}

// SystemDeps are the process's own.
func SystemDeps() Deps {
	return Deps{IO: IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, Getenv: os.Getenv}
}

// usageError is a bad command line; it exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Defaults that differ from knockd's only where both daemons would
// collide: the pid file.
const (
	DefaultConfig  = "/etc/knockd.conf"
	DefaultPidFile = "/run/sesamed.pid"
)

// NewRootCmd builds the sesamed command tree.
func NewRootCmd(deps Deps) *cobra.Command {
	opts := &runOptions{IO: deps.IO, Getenv: deps.Getenv}
	root := &cobra.Command{
		Use:   "sesamed [-c FILE] [-i IFACE] [-d] [-D] [-v] [-l] [-4] [-p PIDFILE] [-g LOGFILE] [--guard FILE] [-V] [-h]",
		Short: "A port-knock daemon that reads knockd.conf",
		Long: `sesamed watches the network for port-knock sequences and runs the door's
commands, or opens the firewall itself, for the address that knocked. It
reads knockd's configuration and takes knockd's flags, so it can replace
knockd on the same /etc/knockd.conf; where the two differ, sesamed's README
says why.

Unlike knockd, -p and -g win over the config's PidFile and LogFile.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Version {
				fmt.Fprintln(opts.IO.Out, versionLine())
				return nil
			}
			opts.PidFileSet = cmd.Flags().Changed("pidfile")
			return runDaemon(cmd.Context(), opts)
		},
	}
	root.SetIn(deps.IO.In)
	root.SetOut(deps.IO.Out)
	root.SetErr(deps.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&opts.Config, "config", "c", DefaultConfig, "use an alternate config file")
	f := root.Flags()
	f.StringVarP(&opts.Interface, "interface", "i", "", `network interfaces to listen on, comma-separated (default: the config's Interface, else the default route's)`)
	f.BoolVarP(&opts.Daemon, "daemon", "d", false, "run as a daemon")
	f.BoolVarP(&opts.Debug, "debug", "D", false, "output debug messages")
	f.BoolVarP(&opts.Lookup, "lookup", "l", false, "lookup DNS names (may be a security risk)")
	f.BoolVarP(&opts.IPv4Only, "only-ip-v4", "4", false, "do not track ipv6")
	f.StringVarP(&opts.PidFile, "pidfile", "p", "", "use an alternate pidfile (default: the config's PidFile, else "+DefaultPidFile+")")
	f.StringVarP(&opts.LogFile, "logfile", "g", "", "use an alternate logfile (default: the config's LogFile)")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "be verbose")
	f.BoolVarP(&opts.Version, "version", "V", false, "display version")
	f.StringVar(&opts.Guard, "guard", "", "keep the baseline sesamed install recorded in `FILE` (its install.json) in place: built before sesamed reports ready (no start without it), restored when the ruleset is flushed")
	// -i completes the machine's interfaces.
	_ = root.RegisterFlagCompletionFunc("interface", completeInterfaces)
	root.AddCommand(newCmdCheck(deps, opts), newCmdInstall(deps, opts), newCmdUninstall(deps, opts),
		cmdexit.VersionCmd(versionLine()))
	return root
}

// completeInterfaces lists the network interfaces for -i.
func completeInterfaces(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	names := make([]string, len(ifs))
	for i, ifc := range ifs {
		names[i] = ifc.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// versionLine is what -V, --version and `sesamed version` print.
func versionLine() string { return "sesamed " + version.Version + " (knockd 0.8 compatible)" }

// Main runs the command line with args (without the program name) and
// returns the exit status. Errors are one line on ErrOut.
func Main(ctx context.Context, args []string, deps Deps) int {
	return cmdexit.Run(ctx, NewRootCmd(deps), args, deps.IO.ErrOut, func(err error) bool {
		var usage *usageError
		return errors.As(err, &usage)
	})
}
