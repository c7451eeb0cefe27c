package cli

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"sesame/internal/atomicfile"
	"sesame/profiles"
)

type profileExportOptions struct {
	Deps        Deps
	File        string
	WithSecrets bool
}

func newCmdProfileExport(deps Deps) *cobra.Command {
	opts := &profileExportOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "export [FILE]",
		Short: "Write every profile as JSON, without secrets unless --with-secrets",
		Long: `Write every profile as JSON to FILE (created with mode 0600) or to standard
output. The export holds the settings only; with --with-secrets it also holds
the knock sequences, one-time sequences and remembered passwords and
passphrases and SPA keys, read from the keyring: keep such a file private and delete it
once imported. sesame profile import reads either kind back.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] != "-" {
				opts.File = args[0]
			}
			return runProfileExport(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.WithSecrets, "with-secrets", false, "include the secrets from the keyring")
	return cmd
}

func runProfileExport(o *profileExportOptions) error {
	store, list, err := listProfiles(o.Deps)
	if err != nil {
		return err
	}
	if o.WithSecrets {
		for i, p := range list {
			if list[i], err = store.Get(p.Name); err != nil {
				return profileError(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := profiles.Export(&buf, list, o.WithSecrets); err != nil {
		return err
	}
	if o.File == "" {
		_, err = o.Deps.IO.Out.Write(buf.Bytes())
	} else {
		err = atomicfile.Write(o.File, buf.Bytes(), 0o600)
	}
	if err != nil {
		return err
	}
	if o.WithSecrets {
		fmt.Fprintln(o.Deps.IO.ErrOut, "sesame profile export: warning: the export holds secrets (knock sequences, passwords): keep it private and delete it once imported")
	}
	if o.File != "" {
		fmt.Fprintf(o.Deps.IO.ErrOut, "exported %d profiles to %s\n", len(list), o.File)
	}
	return nil
}
