package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"sesame/profiles"
)

type profileListOptions struct {
	Deps Deps
	JSON bool
}

func newCmdProfileList(deps Deps) *cobra.Command {
	opts := &profileListOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the profiles (settings only: listing never reads the keyring)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProfileList(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array instead of a table")
	return cmd
}

func runProfileList(o *profileListOptions) error {
	_, list, err := listProfiles(o.Deps)
	if err != nil {
		return err
	}
	if o.JSON {
		out := make([]listedProfile, 0, len(list))
		for _, p := range list {
			out = append(out, listed(p))
		}
		return writeJSON(o.Deps.IO.Out, out)
	}
	if len(list) == 0 {
		fmt.Fprintln(o.Deps.IO.ErrOut, "no profiles yet: add one with sesame profile add NAME --host HOST --open 7000,8000,9000")
		return nil
	}
	rows := [][]string{{"NAME", "HOST", "USER", "PORT", "LAST USED"}}
	var notAlias []string
	for _, p := range list {
		user := p.User
		if user == "" {
			user = "-"
		}
		rows = append(rows, []string{p.Name, p.Host, user, strconv.Itoa(p.SSHPort()), when(p.LastUsed)})
		if !profiles.IsAlias(p.Name) {
			notAlias = append(notAlias, p.Name)
		}
	}
	if err := writeTable(o.Deps.IO.Out, rows); err != nil {
		return err
	}
	// Names from before the rule keep working; say how to fix them.
	for _, name := range notAlias {
		fmt.Fprintf(o.Deps.IO.ErrOut, "note: %v; rename it: sesame profile rename %s %s\n",
			profiles.ValidateAlias(name), shellQuote(name), shellQuote(profiles.SuggestName(name)))
	}
	return nil
}
