package sesamedcli

import (
	"errors"

	"github.com/spf13/cobra"
)

var errInstallNotYet = errors.New("not available in this build yet: install knockd.conf, a systemd unit and the firewall baseline by hand")

func newCmdInstall(deps Deps, run *runOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "install",
		Short: "Set up the config, the systemd unit and the baseline firewall rules",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return errInstallNotYet },
	}
}

func newCmdUninstall(deps Deps, run *runOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall",
		Short: "Remove what install set up and restore the firewall backup",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return errInstallNotYet },
	}
}
