package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"sesame/profiles"
)

type profileRenameOptions struct {
	Deps     Deps
	Old, New string
}

func newCmdProfileRename(deps Deps) *cobra.Command {
	opts := &profileRenameOptions{Deps: deps}
	return &cobra.Command{
		Use:     "rename OLD NEW",
		Aliases: []string{"mv"},
		Short:   "Rename a profile (its secrets stay where they are in the keyring)",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			return runProfileRename(opts)
		},
	}
}

func runProfileRename(o *profileRenameOptions) error {
	// The new name is held to the ssh alias rule the old one may predate.
	if err := profiles.ValidateAlias(o.New); err != nil {
		return &UsageError{Err: err}
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	if err := store.Rename(o.Old, o.New); err != nil {
		return profileError(err)
	}
	fmt.Fprintf(o.Deps.IO.Out, "renamed profile %s to %s\n", o.Old, o.New)
	return nil
}
