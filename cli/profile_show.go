package cli

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/rotate"
)

type profileShowOptions struct {
	Deps    Deps
	Name    string
	Reveal  bool
	Current bool
	JSON    bool
}

func newCmdProfileShow(deps Deps) *cobra.Command {
	opts := &profileShowOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "show NAME [--reveal | --current]",
		Short: "Show a profile; secrets stay hidden unless --reveal",
		Long: `Show a profile; secrets stay hidden unless --reveal.

--current prints a rotating profile's sequence right now and the seconds
until the next window, for checking a client against sesamed check
--show-current. It uses nothing up: a knock made after it still uses the
current window.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			return runProfileShow(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Reveal, "reveal", false, "print the secrets (knock sequences, seed, SPA keys, password, passphrase) too")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON object (settings, and which secrets are saved; the secrets themselves only with --reveal)")
	cmd.Flags().BoolVar(&opts.Current, "current", false, "print a rotating profile's sequence right now and when the next window begins")
	cmdexit.Exclusive(cmd, "--current prints only the sequence of this window, not the profile", "json", "current")
	cmdexit.Exclusive(cmd, "--current prints only the sequence of this window; --reveal prints every secret: give one", "reveal", "current")
	return cmd
}

func runProfileShow(o *profileShowOptions) error {
	store, err := o.Deps.store()
	if err != nil {
		return err
	}
	p, err := store.Get(o.Name)
	missing := errors.Is(err, profiles.ErrSecretsMissing)
	if err != nil && !missing {
		return profileError(err)
	}
	if o.Current {
		if missing {
			return profileError(err)
		}
		return o.current(p)
	}
	if o.JSON {
		if werr := writeJSON(o.Deps.IO.Out, shown(p, missing, o.Reveal)); werr != nil {
			return werr
		}
		return err // the keyring entry missing, after saying what is known
	}
	tw := tabwriter.NewWriter(o.Deps.IO.Out, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	orDefault := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	row("name", p.Name)
	row("kind", p.Kind().String())
	row("host", p.Host)
	row("port", strconv.Itoa(p.SSHPort()))
	row("user", orDefault(p.User, "(from ~/.ssh/config, else your user name)"))
	row("identity", orDefault(p.IdentityFile, "(default keys)"))
	row("family", p.Family.String())
	row("delay", p.Delay.String())
	row("wait", p.Wait.String())
	ka, kmax := p.KeepaliveSettings()
	row("keepalive", fmt.Sprintf("every %s, %d unanswered end the session", ka, kmax))
	if p.AutoReconnect {
		row("auto-reconnect", "yes (in the app)")
	}
	for _, fw := range p.Forwards {
		row("forward", fw.String())
	}
	if len(p.Jump) > 0 {
		row("jump", strings.Join(p.Jump, ","))
	}
	row("note", p.Note)
	row("last used", when(p.LastUsed))
	if missing {
		row("secrets", "MISSING from the keyring")
		tw.Flush()
		return err
	}
	s := p.Secrets
	if spa := p.SPA; spa != nil {
		o.spa(row, p)
	} else if r := s.Rotation; r != nil {
		row("open", "(rotating: --current shows the sequence now)")
		row("rotating", r.Params.Describe())
		row("seed", o.secret(r.Seed.String()))
		if o.Reveal {
			row("seed URI", rotate.URI(r.Seed, r.Params)+" (for another device: sesame profile add NAME --host H --seed URI)")
		}
	} else {
		row("open", o.sequence(s.Open, "(none: one-time sequences only)"))
	}
	if p.SPA == nil {
		row("close", o.sequence(s.Close, "(none)"))
	}
	if len(s.OneTime) > 0 || s.OneTimeUsed > 0 {
		ot := fmt.Sprintf("%d left, %d used", len(s.OneTime), s.OneTimeUsed)
		if o.Reveal && len(s.OneTime) > 0 {
			ot += ", next " + s.OneTime[0].String()
		}
		row("one-time", ot)
	}
	row("password", o.secret(s.Password))
	row("passphrase", o.secret(s.Passphrase))
	return tw.Flush()
}

// spa shows an SPA profile's settings and keys (hidden unless --reveal).
func (o *profileShowOptions) spa(row func(k, v string), p *profiles.Profile) {
	spa := p.SPA
	port, proto := spa.ServerPort()
	row("spa server", fmt.Sprintf("%s port %d/%s", p.Host, port, proto))
	row("spa access", spa.AccessFor(p.SSHPort()))
	row("spa allow ip", profiles.DescribeAllowIP(spa.AllowIP))
	timeout := "(the server's FW_ACCESS_TIMEOUT)"
	if spa.Timeout > 0 {
		timeout = fmt.Sprintf("%d s", spa.Timeout)
	}
	row("spa timeout", timeout)
	row("spa user", cmp.Or(spa.User, "(your user name)"))
	row("close", "(none: "+spa.ClosesBySelf()+")")
	switch k := p.Secrets.SPA; {
	case k == nil:
		row("spa keys", "(none)")
	case o.Reveal:
		for _, l := range strings.Split(strings.TrimSpace(k.String()), "\n") {
			name, value, _ := strings.Cut(l, ": ")
			row(strings.ToLower(name), value)
		}
	default:
		row("spa keys", "(saved, hidden: --reveal shows them)")
	}
}

// current prints the sequence of the window now, when the next begins,
// and which window this device's next knock uses.
func (o *profileShowOptions) current(p *profiles.Profile) error {
	r := p.Secrets.Rotation
	if r == nil {
		return usageErrorf("profile %s has no rotating sequence: --current is for profiles with a seed (sesame profile edit %s --seed ...)", p.Name, p.Name)
	}
	now := o.Deps.clock().Now()
	st, err := r.Status(now)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Deps.IO.Out, "window %d: %s\n", st.Window, st.Sequence)
	fmt.Fprintf(o.Deps.IO.Out, "next window in %s\n", seconds(st.Next.Sub(now)))
	switch {
	case st.KnockWait > 0:
		fmt.Fprintf(o.Deps.IO.Out, "this device used this window and the next already: its next knock waits %s and uses window %d\n", seconds(st.KnockWait), st.KnockWindow)
	case st.KnockWindow != st.Window:
		fmt.Fprintf(o.Deps.IO.Out, "this device used this window already: its next knock uses window %d\n", st.KnockWindow)
	}
	return nil
}

func (o *profileShowOptions) sequence(s knocker.Sequence, none string) string {
	switch {
	case len(s) == 0:
		return none
	case o.Reveal:
		return s.String()
	}
	return "(hidden: --reveal shows it)"
}

func (o *profileShowOptions) secret(s string) string {
	switch {
	case s == "":
		return "(not saved)"
	case o.Reveal:
		return s
	}
	return "(saved, hidden: --reveal shows it)"
}
