//go:build linux

package sesamedcli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"

	"github.com/spf13/cobra"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/install"
	"sesame/server/rotating"
)

// installOptions are the flags of install and uninstall.
type installOptions struct {
	IO     IOStreams
	Getenv func(string) string
	Config *string

	DryRun        bool
	Force         bool
	Port          uint16
	Proto         string
	Firewall      string
	Allow         []string
	NoSessionKeep bool
	RewriteConfig bool
	Root          string
	Binary        string
	NoSystemctl   bool
	RestoreBackup bool
}

func (o *installOptions) addCommon(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVarP(&o.DryRun, "dry-run", "n", false, "print every change and make none")
	f.BoolVar(&o.Force, "force", false, "go on when the SSH session's address could be cut off (install) or there is no record of an install (uninstall)")
	f.StringVar(&o.Root, "root", "/", "the root of the file system to install into (an image, say)")
	f.BoolVar(&o.NoSystemctl, "no-systemctl", false, "do not run systemctl (no systemd: an image or a container)")
}

func newCmdInstall(deps Deps, run *runOptions) *cobra.Command {
	o := &installOptions{IO: deps.IO, Getenv: deps.Getenv, Config: &run.Config}
	cmd := &cobra.Command{
		Use:   "install [-c FILE] [--dry-run] [--port 22] [--proto tcp] [--firewall auto] [--allow PREFIX]...",
		Short: "Set up the config, the systemd unit and the baseline firewall rules",
		Long: `Set sesamed up as a systemd service: back the firewall ruleset up, write a
config with a random sequence (or keep the one there), write a hardened
systemd unit, add the baseline rules (allow established connections, drop
the guarded port) and start the service.

The address of the SSH session install runs in stays allowed to reach the
guarded port, so that the session is not cut off: from $SSH_CONNECTION, or,
when sudo dropped it, from a parent process's environment, the sshd
session's own connection or the terminal's login record (utmp). Without a session (and no --allow), or with
--no-session-allow, install refuses unless --force. --dry-run prints every
change and makes none.

A kept config is checked against the chosen backend: a door whose command
could never open the guarded port past the baseline (Debian's stock
"iptables -A INPUT ... -j ACCEPT" lands below the drop) is refused, with the
reason and the fix; --rewrite-config turns such doors into sesamed's native
Open_Ports, keeping the original as CONFIG.sesamed-backup.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := o.options(cmd.Context())
			if err != nil {
				return err
			}
			if err := install.Install(cmd.Context(), opt); err != nil {
				return err
			}
			return installManPages(cmd, o.Root, o.DryRun)
		},
	}
	o.addCommon(cmd)
	f := cmd.Flags()
	f.Uint16Var(&o.Port, "port", 22, "the guarded port")
	f.StringVar(&o.Proto, "proto", "tcp", "the guarded port's protocol: tcp or udp")
	f.StringVar(&o.Firewall, "firewall", "auto", "the firewall backend: auto, iptables or nftables")
	f.StringSliceVar(&o.Allow, "allow", nil, "a source (address or prefix) that keeps reaching the guarded port without knocking; repeat or comma-separate")
	f.BoolVar(&o.RewriteConfig, "rewrite-config", false, "turn the doors of a kept config whose commands could never open the guarded port past the baseline into native Open_Ports doors (the original is kept as CONFIG.sesamed-backup)")
	f.BoolVar(&o.NoSessionKeep, "no-session-allow", false, "do not keep the SSH session's address allowed (needs --force)")
	f.StringVar(&o.Binary, "binary", "", "the sesamed program to copy to "+install.DefaultBinaryPath+", which the unit starts (default this one)")
	return cmd
}

func newCmdUninstall(deps Deps, run *runOptions) *cobra.Command {
	o := &installOptions{IO: deps.IO, Getenv: deps.Getenv, Config: &run.Config}
	cmd := &cobra.Command{
		Use:   "uninstall [--dry-run] [--restore-backup]",
		Short: "Remove what install set up and restore the firewall backup",
		Long: `Stop and disable the service, remove the unit, sesamed's firewall rules and
the baseline, and the config if install wrote it and it is unchanged. The
ruleset is then compared with the backup install took: the same, and the
backup goes; different (the firewall changed since), and the backup stays
and the differences are printed — --restore-backup restores it anyway.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := o.options(cmd.Context())
			if err != nil {
				return err
			}
			if err := install.Uninstall(cmd.Context(), opt); err != nil {
				return err
			}
			return uninstallManPages(cmd, o.Root, o.DryRun)
		},
	}
	o.addCommon(cmd)
	cmd.Flags().BoolVar(&o.RestoreBackup, "restore-backup", false, "restore the backup even if the ruleset changed since install")
	return cmd
}

// options turns the flags into install.Options; uninstall leaves the
// install-only ones empty.
func (o *installOptions) options(ctx context.Context) (install.Options, error) {
	var proto knocker.Proto
	if o.Proto != "" {
		var err error
		if proto, err = knocker.ParseProto(o.Proto); err != nil {
			return install.Options{}, &usageError{fmt.Errorf("--proto: %w", err)}
		}
		if o.Port == 0 {
			return install.Options{}, &usageError{fmt.Errorf("--port 0: give the port to guard, e.g. --port 22")}
		}
	}
	var allow []netip.Prefix
	for _, a := range o.Allow {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				return install.Options{}, &usageError{fmt.Errorf("--allow %q is not an address or prefix (192.0.2.0/24, 2001:db8::1)", a)}
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		allow = append(allow, p)
	}
	opt := install.Options{
		Root:           o.Root,
		ConfigPath:     *o.Config,
		Binary:         o.Binary,
		Port:           o.Port,
		Proto:          proto,
		Firewall:       o.Firewall,
		Allow:          allow,
		SSHConnection:  o.Getenv("SSH_CONNECTION"),
		NoSessionAllow: o.NoSessionKeep,
		RewriteConfig:  o.RewriteConfig,
		Force:          o.Force,
		DryRun:         o.DryRun,
		RestoreBackup:  o.RestoreBackup,
		Out:            o.IO.Out,
	}
	if o.NoSystemctl {
		opt.Systemctl = func(_ context.Context, args ...string) error {
			fmt.Fprintf(o.IO.Out, "not run (--no-systemctl): systemctl %v\n", args)
			return nil
		}
	}
	// The unit may write where the config says sesamed writes, and its
	// state directory (spent windows of rotating doors), even if no door
	// rotates yet.
	if cfg, err := knockdconf.ParseFile(filepath.Join(o.Root, *o.Config)); err == nil {
		for _, p := range []string{cfg.PidFile, cfg.LogFile} {
			if p != "" {
				opt.WritablePaths = append(opt.WritablePaths, p)
			}
		}
		for _, d := range cfg.Doors {
			if d.OneTimeSequences != "" {
				opt.WritablePaths = append(opt.WritablePaths, d.OneTimeSequences)
			}
		}
		opt.WritablePaths = append(opt.WritablePaths, rotating.StatePath(cfg))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return install.Options{}, fmt.Errorf("the config install would keep does not load: %w", err)
	} else {
		opt.WritablePaths = append(opt.WritablePaths, rotating.StatePath(&knockdconf.Config{}))
	}
	return opt, nil
}
