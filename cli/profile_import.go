package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"sesame/knockdconf"
	"sesame/profiles"
)

type profileImportOptions struct {
	Deps  Deps
	File  string
	Host  string
	Door  string
	Force bool
	// ReadOneTime reads a door's One_Time_Sequences file.
	ReadOneTime profiles.OneTimeReader
}

func newCmdProfileImport(deps Deps) *cobra.Command {
	opts := &profileImportOptions{Deps: deps, ReadOneTime: knockdconf.ReadOneTimeSequencesFile}
	cmd := &cobra.Command{
		Use:   "import FILE [--host HOST] [--door NAME] [--force]",
		Short: "Import profiles from an export, a knockd.conf, a ~/.fwknoprc or ~/.ssh/config",
		Long: `Import profiles from a JSON file made by sesame profile export, from a
~/.fwknoprc (each stanza becomes an SPA profile), from ~/.ssh/config (see
below), or from a knockd.conf (give --host, the server those doors are on):

  - each door becomes a profile named after the door;
  - an open door and its close door become one profile with both sequences:
    by name (openSSH and closeSSH make the profile SSH) or by mirrored
    sequences (7000,8000,9000 and 9000,8000,7000);
  - a door with One_Time_Sequences takes the unused sequences of that file
    (when it can be read here): each sesame knock uses the next one and marks
    it used in the keyring.

A ~/.fwknoprc's stanza (with [default]'s settings under its own) becomes an
SPA profile named after it: SPA_SERVER is the host (--host stands in where
a stanza has none), ACCESS the ports it opens, ALLOW_IP, FW_TIMEOUT,
SPOOF_USER, SPA_SERVER_PORT and SPA_SERVER_PROTO its settings, and its keys
(KEY_BASE64 or KEY, HMAC_KEY_BASE64 or HMAC_KEY) go to the keyring. Stanzas
Sesame cannot send for (GPG keys, no HMAC key, NAT requests) are skipped,
with why.

--door NAME imports only that door, stanza, or the profile of that name. Importing
a one-time door whose profile exists refills it: its one-time sequences
become the file's unused ones, and every other field (user, key, last use)
stays. Any other existing profile is never replaced without --force. The import says what
it created and what it skipped, and why; a file with an error changes
nothing.

From an ssh config (~/.ssh/config), each Host alias without wildcards
sets HostName, User, Port, IdentityFile, ProxyJump (as --jump) and
LocalForward, RemoteForward, DynamicForward (as --forward) on the profile
of that name, or else on the profile of the same host and port (e.g. one
imported from the server's knockd.conf, whose knock it then uses).
Include is followed; wildcard blocks are applied, not imported; Match
blocks are skipped with a note. An ssh config has no knocks: a host with
no profile yet is listed with the profile add command that adds it once
you fill in its sequence. Importing again updates the same profiles.`,
		Example: `  sesame profile import ~/.fwknoprc
  sesame profile import /etc/knockd.conf --host myserver.example.com
  sesame profile import /etc/knockd.conf --host myserver.example.com --door smtp
  sesame profile import profiles.json --force
  sesame profile import ~/.ssh/config`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runProfileImport(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Host, "host", "", "the host of a knockd.conf's doors (for a ~/.fwknoprc, of its stanzas without SPA_SERVER)")
	cmd.Flags().StringVar(&opts.Door, "door", "", "import only this door (or profile) of a knockd.conf, or this stanza of a ~/.fwknoprc")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace profiles that exist")
	return cmd
}

func runProfileImport(o *profileImportOptions) error {
	data, err := readImportFile(o.File)
	if err != nil {
		return &UsageError{Err: err}
	}
	if profiles.IsSSHConfig(data) {
		return runSSHConfigImport(o, data)
	}
	// The flags are checked first, so that a wrong flag is named even in a
	// file that does not parse.
	if err := o.checkFlags(profiles.IsExport(data), profiles.IsFwknoprc(data)); err != nil {
		return err
	}
	im, err := profiles.ReadImport(data, o.File)
	if err != nil {
		return &UsageError{Err: err}
	}
	offered, skipped := im.Offer(o.Host, o.ReadOneTime)
	for i, s := range skipped {
		if s.NoSecrets {
			skipped[i].Reason = "the file has no secrets for it (exported without --with-secrets): add it with sesame profile add, or export again with --with-secrets"
		}
	}
	if o.Door != "" && (im.Knockd != nil || im.RC != nil) {
		if offered, skipped, err = oneDoor(im, o.Door, offered, skipped); err != nil {
			return err
		}
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	if !o.Force {
		if offered, err = refill(o, store, offered); err != nil {
			return err
		}
	}
	ps := make([]*profiles.Profile, len(offered))
	from := map[string]string{}
	for i, imp := range offered {
		ps[i] = imp.Profile
		from[imp.Profile.Name] = imp.From
	}
	res := &profiles.SaveResult{}
	if len(ps) > 0 {
		if res, err = store.SaveAll(ps, o.Force); err != nil {
			return profileError(err)
		}
	}
	report := func(verb string, names []string) {
		for _, n := range names {
			fmt.Fprintf(o.Deps.IO.Out, "%s %s", verb, n)
			if f := from[n]; f != "" {
				fmt.Fprintf(o.Deps.IO.Out, " (from %s)", f)
			}
			fmt.Fprintln(o.Deps.IO.Out)
		}
	}
	report("created", res.Created)
	report("replaced", res.Replaced)
	for _, e := range res.Skipped {
		fmt.Fprintf(o.Deps.IO.Out, "skipped %s: %v (--force replaces it)\n", e.Name, e)
	}
	for _, s := range skipped {
		fmt.Fprintf(o.Deps.IO.Out, "skipped %s: %s\n", s.Name, s.Reason)
	}
	saved := map[string]bool{}
	for _, n := range append(res.Created, res.Replaced...) {
		saved[n] = true
	}
	for _, imp := range offered {
		if !saved[imp.Profile.Name] {
			continue
		}
		for _, w := range imp.Warnings {
			fmt.Fprintf(o.Deps.IO.ErrOut, "sesame profile import: warning: %s: %s\n", imp.Profile.Name, w)
		}
	}
	if len(res.Created)+len(res.Replaced) == 0 {
		fmt.Fprintf(o.Deps.IO.Out, "nothing imported from %s\n", o.File)
	}
	return nil
}

// checkFlags refuses --host and --door for an export, and asks for --host
// for a knockd.conf (a ~/.fwknoprc's stanzas name their servers).
func (o *profileImportOptions) checkFlags(export, fwknoprc bool) error {
	if export {
		if o.Host != "" {
			return usageErrorf("--host is for knockd.conf files: %s is a Sesame export, whose profiles have their hosts", o.File)
		}
		if o.Door != "" {
			return usageErrorf("--door is for knockd.conf files: %s is a Sesame export", o.File)
		}
		return nil
	}
	if o.Host == "" {
		if fwknoprc {
			return nil
		}
		return usageErrorf("%s is a knockd.conf: give --host, the server its doors are on", o.File)
	}
	return checkHost(o.Host)
}

// oneDoor keeps what --door names, or says which doors (or stanzas) there
// are.
func oneDoor(im *profiles.Import, door string, offered []profiles.Imported, skipped []profiles.Skipped) ([]profiles.Imported, []profiles.Skipped, error) {
	var keep []profiles.Imported
	for _, imp := range offered {
		if imp.Is(door) {
			keep = append(keep, imp)
		}
	}
	var keepSkipped []profiles.Skipped
	for _, s := range skipped {
		if strings.EqualFold(s.Name, door) {
			keepSkipped = append(keepSkipped, s)
		}
	}
	if len(keep)+len(keepSkipped) == 0 {
		var names []string
		if cfg := im.Knockd; cfg != nil {
			for _, d := range cfg.Doors {
				names = append(names, d.Name)
			}
			return nil, nil, usageErrorf("%s has no door %q: its doors are %s", cfg.File, door, strings.Join(names, ", "))
		}
		for _, st := range im.RC {
			if !strings.EqualFold(st.Name, "default") {
				names = append(names, st.Name)
			}
		}
		return nil, nil, usageErrorf("%s has no stanza [%s]: its stanzas are %s", im.File, door, strings.Join(names, ", "))
	}
	return keep, keepSkipped, nil
}

// refill gives existing one-time profiles the unused sequences of their
// door, keeping everything else, and returns what is left to save.
func refill(o *profileImportOptions, store *profiles.Store, offered []profiles.Imported) ([]profiles.Imported, error) {
	var rest []profiles.Imported
	for _, imp := range offered {
		seqs := imp.Profile.Secrets.OneTime
		if len(seqs) == 0 {
			rest = append(rest, imp)
			continue
		}
		p, n, err := store.RefillOneTime(imp.Profile.Name, seqs)
		switch {
		case errors.Is(err, profiles.ErrNotFound), errors.Is(err, profiles.ErrNotOneTime):
			rest = append(rest, imp)
		case err != nil:
			return nil, profileError(err)
		default:
			fmt.Fprintf(o.Deps.IO.Out, "refilled %s: %d one-time sequences (from %s); its other settings are kept\n", p.Name, n, imp.From)
			if n < len(seqs) {
				fmt.Fprintf(o.Deps.IO.ErrOut, "sesame profile import: warning: %s: only %d of the %d unused one-time sequences fit in a keyring entry\n",
					p.Name, n, len(seqs))
			}
		}
	}
	return rest, nil
}

// maxImportSize bounds an import file: knockd.conf files and exports are
// kilobytes, and reading a device or a wrong file whole would hang.
const maxImportSize = 16 << 20

func readImportFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	if len(data) > maxImportSize {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a knockd.conf or a Sesame export", path, maxImportSize>>20)
	}
	return data, nil
}

// checkHost validates a --host as a profile would.
func checkHost(host string) error {
	p := profiles.Profile{Host: host}
	var fe *profiles.FieldError
	for _, err := range unjoin(p.Validate()) {
		if errors.As(err, &fe) && fe.Field == "host" {
			return usageErrorf("--host: %s", fe.Reason)
		}
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// unwrapPath drops the "open FILE:" prefix of an os error whose file the
// message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
