package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

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

// listedProfile is a profile in `list --json`: settings, never secrets.
type listedProfile struct {
	Name     string     `json:"name"`
	Host     string     `json:"host"`
	Port     int        `json:"port"`
	User     string     `json:"user,omitempty"`
	Identity string     `json:"identity,omitempty"`
	Family   string     `json:"family"`
	Delay    string     `json:"delay"`
	Wait     string     `json:"wait"`
	Note     string     `json:"note,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

func runProfileList(o *profileListOptions) error {
	_, list, err := listProfiles(o.Deps)
	if err != nil {
		return err
	}
	if o.JSON {
		out := make([]listedProfile, 0, len(list))
		for _, p := range list {
			lp := listedProfile{Name: p.Name, Host: p.Host, Port: p.SSHPort(), User: p.User, Identity: p.IdentityFile,
				Family: p.Family.String(), Delay: p.Delay.String(), Wait: p.Wait.String(), Note: p.Note}
			if !p.LastUsed.IsZero() {
				lp.LastUsed = &p.LastUsed
			}
			out = append(out, lp)
		}
		enc := json.NewEncoder(o.Deps.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
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
