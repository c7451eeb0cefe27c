package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/profiles"
)

type profileAddOptions struct {
	Deps  Deps
	Name  string
	Flags profileFlags
	// Changed reports which flags were given.
	Changed func(string) bool
}

func newCmdProfileAdd(deps Deps) *cobra.Command {
	opts := &profileAddOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "add NAME --host HOST (--open SEQ | --seed new|BASE32|- | --spa new|FILE|-) [flags]",
		Short: "Add a profile",
		Long: `Add a profile. The knock sequences, a rotating sequence's seed, and a
password or passphrase given with --password-stdin or --passphrase-stdin, go
to the OS keyring; the rest to the settings file. Secrets are never taken as
arguments where they would land in shell history, except --open, --close
and --seed for convenience: give "-" to read them from standard input
instead (one line each: open or seed, close, password, passphrase, in that
order).

A rotating sequence (--seed) changes every window (30 seconds by default),
derived from a seed shared with a sesamed door, and sesamed takes each
window's sequence once, so a knock seen on the network cannot be replayed.
--seed new makes a seed and prints it once, as the lines to add to the
door; the --rotating- flags must match the door's Rotating_ keys.

An SPA profile (--spa) opens its door with one fwknop Single Packet
Authorization packet, encrypted and authenticated with two keys shared with
the server's fwknopd (or sesamed's Fwknop_Access): --spa new makes them and
prints them once, as the lines of the server's access.conf stanza; --spa
FILE reads the keys as fwknop --key-gen prints them (KEY_BASE64: ... and
HMAC_KEY_BASE64: ...); --spa - reads them from standard input. SPA has no
close packet: the door closes by itself after the server's timeout.`,
		Example: `  sesame profile add web --host web.example.com --open 7000,8000,9000 --close 9000,8000,7000
  sesame profile add db --host 2001:db8::5 --family 6 --open - --user admin --delay 200ms < seq.txt
  pass show db-ssh | sesame profile add db2 --host db2.example.com --open 1111,2222:udp --password-stdin
  sesame profile add vault --host vault.example.com --seed new --rotating-protocols mixed
  fwknop --key-gen | sesame profile add gate --host gate.example.com --spa - --spa-timeout 30`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Changed = args[0], cmd.Flags().Changed
			return runProfileAdd(opts)
		},
	}
	opts.Flags.register(cmd.Flags(), false)
	cmdexit.Exclusive(cmd, openSeedOrSPA, "open", "seed", "spa")
	cmdexit.Exclusive(cmd, "SPA has no close packet: an SPA door closes by itself after its timeout", "close", "spa")
	return cmd
}

func runProfileAdd(o *profileAddOptions) error {
	if err := profiles.ValidateAlias(o.Name); err != nil {
		return &UsageError{Err: err}
	}
	if !o.Changed("host") || (!o.Changed("open") && !o.Changed("seed") && !o.Changed("spa")) {
		return usageErrorf("need --host and --open (or --seed for a rotating sequence, --spa for fwknop SPA), e.g. sesame profile add %s --host myserver.example.com --open 7000,8000,9000", o.Name)
	}
	p := &profiles.Profile{Name: o.Name}
	if err := o.Flags.apply(p, o.Changed, newSecretInput(o.Deps.IO)); err != nil {
		return err
	}
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	if err := o.Flags.checkJump(store, o.Changed); err != nil {
		return err
	}
	if err := store.Create(p); err != nil {
		if errors.Is(err, profiles.ErrExists) {
			return usageErrorf("%v: edit it with sesame profile edit %s, or pick another name", err, o.Name)
		}
		return profileError(err)
	}
	fmt.Fprintf(o.Deps.IO.Out, "added profile %s\n", p.Name)
	if o.Flags.NewSeed {
		fmt.Fprint(o.Deps.IO.Out, p.Secrets.Rotation.DoorSetup(p.Name, true))
	}
	if o.Flags.NewSPAKeys {
		fmt.Fprint(o.Deps.IO.Out, p.SPADoorSetup(true))
	}
	return nil
}
