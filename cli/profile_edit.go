package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/profiles"
)

type profileEditOptions struct {
	Deps    Deps
	Name    string
	Flags   profileFlags
	Changed func(string) bool
}

func newCmdProfileEdit(deps Deps) *cobra.Command {
	opts := &profileEditOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "edit NAME [flags]",
		Short: "Change a profile: only the flags given change",
		Example: `  sesame profile edit web --delay 250 --wait 1s
  sesame profile edit web --close ""        # no close sequence
  sesame profile edit web --password-stdin  # remember the SSH password (prompts on a terminal)
  sesame profile edit vault --seed new      # a new seed: put the printed lines in the door
  sesame profile edit vault --rotating-window 60
  sesame profile edit gate --spa keys.txt --spa-allow-ip source  # SPA keys from fwknop --key-gen, for NAT`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Changed = args[0], cmd.Flags().Changed
			return runProfileEdit(opts)
		},
	}
	opts.Flags.register(cmd.Flags(), true)
	cmdexit.Exclusive(cmd, "one saves a password, the other forgets it", "password-stdin", "forget-password")
	cmdexit.Exclusive(cmd, "one saves a passphrase, the other forgets it", "passphrase-stdin", "forget-passphrase")
	cmdexit.Exclusive(cmd, openSeedOrSPA, "open", "seed", "spa")
	return cmd
}

func runProfileEdit(o *profileEditOptions) error {
	changedAny := false
	for _, f := range o.Flags.names {
		changedAny = changedAny || o.Changed(f)
	}
	if !changedAny {
		return usageErrorf("nothing to change: give the flags to change, e.g. --host or --delay (see sesame profile edit --help)")
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	if err := o.Flags.checkJump(store, o.Changed); err != nil {
		return err
	}
	in := newSecretInput(o.Deps.IO)
	p, err := store.Update(o.Name, func(p *profiles.Profile) error {
		return o.Flags.apply(p, o.Changed, in)
	})
	if err != nil {
		return profileError(err)
	}
	fmt.Fprintf(o.Deps.IO.Out, "updated profile %s\n", p.Name)
	if o.Flags.NewSeed {
		fmt.Fprint(o.Deps.IO.Out, p.Secrets.Rotation.DoorSetup(p.Name, true))
	}
	if o.Flags.NewSPAKeys {
		fmt.Fprint(o.Deps.IO.Out, p.SPADoorSetup(true))
	}
	return nil
}
