package cli

import (
	"fmt"
	"os"
	"strings"

	"sesame/profiles"
)

// runSSHConfigImport imports an ssh_config: each Host alias updates the
// profile of that name, or else the profile of the same host (one
// imported from the server's knockd.conf, say, whose knock it then
// uses); an alias with neither needs a knock, and the command that adds
// it is printed. Importing again updates the same profiles.
func runSSHConfigImport(o *profileImportOptions, data []byte) error {
	if o.Host != "" || o.Door != "" {
		return usageErrorf("--host and --door are for knockd.conf files: %s is an ssh config, whose hosts have their names", o.File)
	}
	home, _ := os.UserHomeDir()
	cfg, err := profiles.ReadSSHConfig(data, o.File, home)
	if err != nil {
		return &UsageError{Err: err}
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	existing, err := store.List()
	if err != nil {
		return profileError(err)
	}
	updates, need := profiles.PlanSSHImport(cfg, existing)
	w, errOut := o.Deps.IO.Out, o.Deps.IO.ErrOut
	// One host that cannot be applied (a forward or jump the profile
	// refuses) does not stop the others; the import then fails.
	var failed []string
	for _, u := range updates {
		if _, err := store.Update(u.Profile, func(p *profiles.Profile) error {
			u.Host.Apply(p)
			return nil
		}); err != nil {
			fmt.Fprintf(w, "skipped %s (Host %s, %s): %v\n", u.Profile, u.Host.Alias, u.Host.Where, profileError(err))
			failed = append(failed, u.Profile)
			continue
		}
		how := ""
		if u.ByHost {
			how = fmt.Sprintf(", found by its host %s: its knock is the one for %s (sesame profile rename %s %s names it as ssh does)",
				u.Host.Settings.Host, u.Host.Alias, u.Profile, profiles.SuggestName(u.Host.Alias))
		}
		fmt.Fprintf(w, "updated %s from Host %s (%s)%s\n", u.Profile, u.Host.Alias, u.Host.Where, how)
		for _, warn := range u.Host.Warnings {
			fmt.Fprintf(errOut, "sesame profile import: warning: %s: %s\n", u.Profile, warn)
		}
	}
	for _, n := range cfg.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(need) > 0 {
		fmt.Fprintf(w, "%d host(s) need a knock before they can be profiles; add each with its door's sequence (or import the server's knockd.conf with --host first, then import this file again):\n", len(need))
		for _, h := range need {
			fmt.Fprintf(w, "  %s (%s): %s\n", h.Alias, h.Where, h.NeedsKnockCommand(profiles.SuggestName(h.Alias)))
			for _, warn := range h.Warnings {
				fmt.Fprintf(errOut, "sesame profile import: warning: %s: %s\n", h.Alias, warn)
			}
		}
	}
	if len(updates) == 0 && len(need) == 0 {
		fmt.Fprintf(w, "nothing imported from %s: it has no Host without wildcards\n", o.File)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s: %d profile(s) not updated (%s): see why above", o.File, len(failed), strings.Join(failed, ", "))
	}
	return nil
}
