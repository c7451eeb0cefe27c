package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

type profileRmOptions struct {
	Deps Deps
	Name string
}

func newCmdProfileRm(deps Deps) *cobra.Command {
	opts := &profileRmOptions{Deps: deps}
	return &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove", "delete"},
		Short:   "Remove a profile and its secrets in the keyring",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runProfileRm(opts)
		},
	}
}

func runProfileRm(o *profileRmOptions) error {
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	if err := store.Delete(o.Name); err != nil {
		return profileError(err)
	}
	fmt.Fprintf(o.Deps.IO.Out, "removed profile %s\n", o.Name)
	return nil
}
