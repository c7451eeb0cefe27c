package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"sesame/profiles"
)

func newCmdProfile(deps Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Keep hosts as profiles: settings in a file, knock sequences and passwords in the OS keyring",
		Long: `A profile holds everything needed to knock on and connect to one host. Its
settings (host, SSH port and user, identity file, address family, delays,
note) live in sesame.yaml in the config directory ($SESAME_CONFIG_DIR, else
~/.config/sesame or your platform's equivalent). Its secrets (the open and
close sequences, a remembered SSH password or key passphrase, one-time
sequences) live only in the OS keyring, under the service "sesame".`,
	}
	cmd.AddCommand(
		newCmdProfileList(deps),
		newCmdProfileShow(deps),
		newCmdProfileAdd(deps),
		newCmdProfileEdit(deps),
		newCmdProfileRm(deps),
		newCmdProfileRename(deps),
		newCmdProfileExport(deps),
		newCmdProfileImport(deps),
	)
	return cmd
}

// profileError makes the store's bad-input errors usage errors (exit 2): a
// name that is taken or unknown, an invalid field, secrets too large.
// Keyring and file failures stay errors (exit 1).
func profileError(err error) error {
	var fe *profiles.FieldError
	var tb *profiles.TooBigError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, profiles.ErrNotFound), errors.Is(err, profiles.ErrExists),
		errors.As(err, &fe), errors.As(err, &tb):
		return &UsageError{Err: err}
	}
	return err
}

// listProfiles opens the store and lists its profiles, without secrets.
func listProfiles(deps Deps) (*profiles.Store, []*profiles.Profile, error) {
	store, err := deps.store()
	if err != nil {
		return nil, nil, err
	}
	list, err := store.List()
	if err != nil {
		return nil, nil, err
	}
	return store, list, nil
}

// when prints a time for people, in local time; the zero time is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}
