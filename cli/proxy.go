package cli

import (
	"context"
	"fmt"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/profiles"
	"sesame/sshlaunch"
)

type proxyOptions struct {
	Deps

	Profile string
	Host    string
	Port    int
	Verbose bool
	Family4 bool
	Family6 bool
	Jump    string
}

func newCmdProxy(deps Deps) *cobra.Command {
	opts := &proxyOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "proxy [flags] NAME [HOST PORT]",
		Short: "Knock, then relay stdin/stdout to the SSH port (for ssh's ProxyCommand)",
		Long: `Knock with the profile's open sequence, connect to its SSH port (or HOST
PORT) on the address the knock went to, and relay standard input and output
through the connection; send the close sequence when the connection ends.
Made for ssh's ProxyCommand, so ssh, scp, sftp, rsync, git and editors'
remote modes all knock first and close the door after them:

  Host web
      ProxyCommand sesame proxy %n

NAME is a profile name or, failing that, the host of exactly one profile.
A profile with jump hosts (--jump) is reached through them, each hop's
door knocked from the hop before, as sesame connect does; the hops log in
with keys and host keys already known, since ssh owns the terminal.
OpenSSH sends its ProxyCommand SIGHUP when it exits; the close knock still
goes out.`,
		Example: `  ssh -o ProxyCommand='sesame proxy web' web
  ssh -o ProxyCommand='sesame proxy web %h %p' web`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 && len(args) != 3 {
				return usageErrorf("give a profile, and optionally HOST PORT: sesame proxy NAME [HOST PORT]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			if len(args) == 3 {
				port, err := strconv.Atoi(args[2])
				if err != nil || port < 1 || port > 65535 {
					return usageErrorf("bad port %q: use 1-65535", args[2])
				}
				opts.Host, opts.Port = args[1], port
			}
			return runProxy(cmd.Context(), opts)
		},
	}
	// ssh reads any status of its ProxyCommand as the connection failing;
	// 255 is ssh's own, which scripts already treat so.
	cmdexit.FailWith(cmd, ExitSSH)
	f := cmd.Flags()
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "report each step on stderr")
	f.StringVarP(&opts.Jump, "jump", "J", "", "go through the hosts of these profiles, each knocked from the hop before it, in place of the profile's --jump (none goes direct) (`PROFILE[,PROFILE]`)")
	f.BoolVarP(&opts.Family4, "ipv4", "4", false, "use IPv4 only")
	f.BoolVarP(&opts.Family6, "ipv6", "6", false, "use IPv6 only")
	return cmd
}

func runProxy(ctx context.Context, o *proxyOptions) error {
	// ssh closes our stdout as it exits; a write to it must fail with EPIPE
	// rather than kill the process before the close knock goes out.
	signal.Ignore(syscall.SIGPIPE)
	name, err := proxyProfileName(o.Deps, o.Profile)
	if err != nil {
		return err
	}
	store, p, err := loadForConnect(ctx, o.Deps, "sesame proxy", name, o.Family4, o.Family6)
	if err != nil {
		return err
	}
	ui := newTermUI(IOStreams{ErrOut: o.IO.ErrOut}, p.Name, o.Verbose, false, false)
	cfg := sshlaunch.Config{Profile: *p, UI: ui, Env: sshlaunch.DefaultEnv(), Resolver: o.Resolver, CloseKeeper: o.CloseKeeper}
	// ssh owns the terminal: a jump host's unknown key or password
	// cannot be asked about here, so hops log in with keys they know.
	hops, err := loadHops(ctx, o.Deps, "sesame proxy", o.Jump, p, o.Family4, o.Family6, func(hp *profiles.Profile, _ *profiles.Store) sshlaunch.Config {
		return sshlaunch.Config{Profile: *hp, UI: newTermUI(IOStreams{ErrOut: o.IO.ErrOut}, hp.Name, o.Verbose, false, false),
			Env: sshlaunch.DefaultEnv(), Resolver: o.Resolver, CloseKeeper: o.CloseKeeper}
	})
	if err != nil {
		return &cmdexit.Coded{Code: ExitSSH, Err: err}
	}
	err = sshlaunch.ProxyVia(ctx, hops, cfg, o.Host, o.Port, o.IO.In, o.IO.Out)
	unspendChain(o.IO.ErrOut, "sesame proxy", store, p, hops, err)
	if err != nil {
		return &cmdexit.Coded{Code: ExitSSH, Err: withAdvice(err)}
	}
	return nil
}

// proxyProfileName finds the profile for ProxyCommand's %n: a profile of
// that name, else the one profile whose host it is.
func proxyProfileName(deps Deps, arg string) (string, error) {
	store, err := deps.store()
	if err != nil {
		return "", err
	}
	list, err := store.List()
	if err != nil {
		return "", err
	}
	var byHost []string
	for _, p := range list {
		if strings.EqualFold(p.Name, arg) {
			return p.Name, nil
		}
		if p.Host == arg {
			byHost = append(byHost, p.Name)
		}
	}
	switch len(byHost) {
	case 1:
		return byHost[0], nil
	case 0:
		return "", &UsageError{Err: fmt.Errorf("no profile named %q and none for that host: %w", arg, profiles.ErrNotFound)}
	}
	return "", usageErrorf("host %q belongs to %d profiles (%s): name one", arg, len(byHost), strings.Join(byHost, ", "))
}
