package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"sesame/internal/cmdexit"
	"sesame/knock"
	"sesame/profiles"
	"sesame/sshlaunch"
)

// ExitSSH is `sesame connect`'s status for its own failures (the door did
// not open, authentication failed, the connection was lost), as ssh uses
// 255, so a script can tell them from the remote command's status.
const ExitSSH = 255

type connectOptions struct {
	Deps

	Profile   string
	Command   []string
	SSH       sshArgs
	NoCommand bool
	ForceTTY  bool
	NoTTY     bool
	AcceptNew bool
	Verbose   bool
	Keepalive time.Duration
	Family4   bool
	Family6   bool
	// Jump is --jump: the profiles of the jump hosts, in place of the
	// profile's own; "none" goes direct.
	Jump string
}

func newCmdConnect(deps Deps) *cobra.Command {
	opts := &connectOptions{Deps: deps}
	cmd := &cobra.Command{
		Use:   "connect [flags] NAME [--] [COMMAND [ARG...]]",
		Short: "Knock, open an SSH session, and knock the door shut when it ends",
		Long: `Knock on the profile's host, open an SSH session on the same address, and
send the profile's close sequence when the session ends — however it ends:
normal exit, remote disconnect, lost network, Ctrl-C, SIGTERM, SIGHUP, or a
failed connection or login after the knock.

Flags come before NAME, as with ssh; everything after NAME is the remote
command, its own flags included (-- is allowed, not needed). Without
COMMAND it opens a login shell on a terminal; with COMMAND it runs it as
ssh does (the arguments joined with spaces; no terminal unless -t); with
-N it runs nothing and holds the connection (and the door) until Ctrl-C.

ssh's habits work: user@NAME, -l USER, -p PORT, -i FILE and -o Key=Value
for User, Port, IdentityFile, ServerAliveInterval and
StrictHostKeyChecking (yes, accept-new, ask) change this connection only,
never the profile. Port forwards work as ssh's: -L [BIND:]PORT:HOST:HOSTPORT
(here to there), -R [BIND:]PORT:HOST:HOSTPORT (there to here) and
-D [BIND:]PORT (a SOCKS5 proxy here, connecting from the server); they add
to the profile's own (profile edit --forward). Listeners bind to the
loopback address unless BIND says otherwise (* for all). The door stays
open until the last forwarded connection has ended; -N holds it for the
forwards alone until Ctrl-C.

--jump (or the profile's own, profile edit --jump) goes through jump
hosts where each hop has its own door: the first hop is knocked from
here and connected to, the next hop is knocked from it (each TCP knock is
a connection attempt the jump host makes, through its SSH connection)
and connected to through it, and so on; the doors close inner first when
the session ends. SSH carries no UDP: UDP knocks are sent by sesame on the
hop before (the sequence on its standard input), and refused with why
when that hop has no sesame.
Exit status: the remote command's; 255 for every failure of sesame's own
(a bad command line, an unknown profile, the keyring, resolving, the
knock, the door, the host key, the login), as ssh does.

Unknown host keys are asked about on the terminal (with the SHA256
fingerprint) and saved to ~/.ssh/known_hosts; without a terminal they are
refused unless --accept-new. A changed host key is always refused.
~/.ssh/config's HostName, User, Port and IdentityFile fill in what the
profile leaves empty.`,
		Example: `  sesame connect web
  sesame connect web -- uptime
  sesame connect -t web sudo systemctl restart nginx
  sesame connect -l deploy -p 2222 -i ~/.ssh/deploy web uptime
  sesame connect -o StrictHostKeyChecking=accept-new root@web
  sesame connect -N web                 # hold the door open until Ctrl-C
  sesame connect -N -L 5432:db:5432 web # the database behind web, on localhost:5432
  sesame connect -N -D 1080 web         # a SOCKS5 proxy through web
  sesame connect -J bastion db          # knock bastion, then db from bastion`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == "--" {
				return usageErrorf("name a profile: sesame connect NAME (sesame profile list shows them)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Profile, opts.Command = args[0], args[1:]
			if len(opts.Command) > 0 && opts.Command[0] == "--" {
				opts.Command = opts.Command[1:]
			}
			return runConnect(cmd.Context(), opts)
		},
	}
	cmdexit.FailWith(cmd, ExitSSH)
	f := cmd.Flags()
	// As with ssh, flags come before the name; everything after it is the
	// remote command, whose own flags (ls -l) are not sesame's.
	f.SetInterspersed(false)
	opts.SSH.register(f)
	f.BoolVarP(&opts.NoCommand, "no-command", "N", false, "run no command and no shell: hold the connection and the door open until Ctrl-C")
	f.BoolVarP(&opts.ForceTTY, "tty", "t", false, "ask for a terminal even when running a command")
	f.BoolVarP(&opts.NoTTY, "no-tty", "T", false, "never ask for a terminal")
	f.BoolVar(&opts.AcceptNew, "accept-new", false, "save an unknown host key without asking (a changed key is still refused)")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "report each step on stderr (knocks are counted, not shown)")
	f.DurationVar(&opts.Keepalive, "keepalive", 0, "send a keepalive this often, in place of the profile's (default 15s); its keepalive-max unanswered (default 3) end the session")
	f.StringVarP(&opts.Jump, "jump", "J", "", "go through the hosts of these profiles, first hop first, each knocked from the hop before it (as ssh -J; in place of the profile's --jump; none goes direct) (`PROFILE[,PROFILE]`)")
	f.BoolVarP(&opts.Family4, "ipv4", "4", false, "use IPv4 only")
	f.BoolVarP(&opts.Family6, "ipv6", "6", false, "use IPv6 only")
	return cmd
}

// JoinArgs joins a remote command's arguments as ssh does.
func JoinArgs(args []string) string { return sshlaunch.JoinCommand(args) }

// storeKeeper lets the flow remember secrets in the profile store.
type storeKeeper struct{ store *profiles.Store }

func (k storeKeeper) UpdateSecrets(name string, update func(*profiles.Secrets)) error {
	_, err := k.store.Update(name, func(p *profiles.Profile) error {
		update(&p.Secrets)
		return nil
	})
	return err
}

// loadForConnect reads the profile and the open sequence to use (the next
// one-time sequence, or a rotating profile's window, is used up here), with
// -4/-6 applied; the profile opens with that sequence. cmd names the
// command in what it prints.
func loadForConnect(ctx context.Context, deps Deps, cmd, name string, fam4, fam6 bool) (*profiles.Store, *profiles.Profile, error) {
	if fam4 && fam6 {
		return nil, nil, usageErrorf("-4 and -6 cannot be used together")
	}
	store, err := deps.store()
	if err != nil {
		return nil, nil, err
	}
	p, _, err := takeOpen(ctx, deps, store, name, cmd)
	if err != nil {
		return nil, nil, profileError(err)
	}
	if p.Secrets.OneTimeUsed > 0 {
		warnOneTime(deps.IO.ErrOut, cmd, p)
	}
	switch {
	case fam4:
		p.Family = knock.Family4
	case fam6:
		p.Family = knock.Family6
	}
	return store, p, nil
}

// unspendIfShut puts a one-time sequence back when the flow says the door
// did not open with it (the knock did not all go out, or the port stayed
// silent after it), so that the next knock sends it again rather than a
// sequence the server is not waiting for. p is the profile as the flow
// opened it (a one-time profile's Secrets.Open is the sequence taken).
func unspendIfShut(w io.Writer, cmd string, store *profiles.Store, p *profiles.Profile, runErr error) {
	if p.Secrets.OneTimeUsed == 0 || !sshlaunch.NotOpened(runErr) {
		return
	}
	if _, err := store.UnspendOneTime(p.Name, p.Secrets.Open); err != nil {
		fmt.Fprintf(w, "%s: warning: the door did not open, and the one-time sequence could not be put back: %v\n", cmd, err)
		return
	}
	fmt.Fprintf(w, "%s: %s: the door did not open, so the one-time sequence is not counted as used: the next knock sends it again\n", cmd, p.Name)
}

// unspendChain is unspendIfShut for the door that did not open (a jump
// host's, or the profile's own) and for every door behind a hop that did
// not open: the chain never knocked them, so their one-time sequences go
// back too.
func unspendChain(w io.Writer, cmd string, store *profiles.Store, p *profiles.Profile, hops []sshlaunch.Config, runErr error) {
	h := sshlaunch.HopFailed(runErr)
	if h == "" {
		unspendIfShut(w, cmd, store, p, runErr)
		return
	}
	behind := false
	for _, c := range hops {
		hp := c.Profile
		switch {
		case hp.Name == h:
			unspendIfShut(w, cmd, store, &hp, runErr)
			behind = true
		case behind:
			unspendUnsent(w, cmd, store, &hp)
		}
	}
	unspendUnsent(w, cmd, store, p)
}

// unspendUnsent puts back the one-time sequence taken for a door that was
// never knocked.
func unspendUnsent(w io.Writer, cmd string, store *profiles.Store, p *profiles.Profile) {
	if p.Secrets.OneTimeUsed == 0 {
		return
	}
	if _, err := store.UnspendOneTime(p.Name, p.Secrets.Open); err != nil {
		fmt.Fprintf(w, "%s: warning: the one-time sequence of %s was not sent and could not be put back: %v\n", cmd, p.Name, err)
		return
	}
	fmt.Fprintf(w, "%s: %s: its door was never knocked, so the one-time sequence is not counted as used\n", cmd, p.Name)
}

func runConnect(ctx context.Context, o *connectOptions) error {
	if o.ForceTTY && o.NoTTY {
		return usageErrorf("-t and -T cannot be used together")
	}
	if o.Keepalive < 0 || (o.Keepalive > 0 && o.Keepalive < profiles.MinKeepalive) {
		return usageErrorf("--keepalive must be at least 1s, e.g. 15s")
	}
	if o.NoCommand && (len(o.Command) > 0 || o.ForceTTY) {
		return usageErrorf("-N runs no command and asks for no terminal: drop the command or -t")
	}
	user, name, err := o.userAndName()
	if err != nil {
		return err
	}
	ov, err := o.SSH.parse(user)
	if err != nil {
		return err
	}
	if o.Keepalive == 0 {
		o.Keepalive = o.SSH.keepalive
	}
	switch o.SSH.hostKeys {
	case "accept-new":
		o.AcceptNew = true
	case "yes", "ask":
		if o.AcceptNew {
			return usageErrorf("--accept-new and -o StrictHostKeyChecking=%s disagree: give one", o.SSH.hostKeys)
		}
	}
	// Only now, with the command line checked, is a one-time sequence
	// taken.
	store, p, err := loadForConnect(ctx, o.Deps, "sesame connect", name, o.Family4, o.Family6)
	if err != nil {
		return err
	}
	ov.apply(p)
	ui := newTermUI(o.IO, p.Name, o.Verbose, o.AcceptNew, true)
	ui.strict = o.SSH.hostKeys == "yes"
	cfg := sshlaunch.Config{
		Profile:           *p,
		UI:                ui,
		Keeper:            storeKeeper{store},
		Env:               sshlaunch.DefaultEnv(),
		Resolver:          o.Resolver,
		KeepaliveInterval: o.Keepalive,
		CloseKeeper:       o.CloseKeeper,
	}
	command := sshlaunch.JoinCommand(o.Command)
	wantPTY := !o.NoCommand && !o.NoTTY && (o.ForceTTY || (command == "" && ui.interactive()))
	if command == "" && !wantPTY && !o.NoTTY && !o.NoCommand {
		fmt.Fprintln(o.IO.ErrOut, "sesame: pseudo-terminal will not be allocated because stdin is not a terminal")
	}
	hops, err := o.jumpHops(ctx, p)
	if err != nil {
		return err
	}
	runErr := sshlaunch.RunVia(ctx, hops, cfg, func(ctx context.Context, c *sshlaunch.Conn) error {
		if err := store.Touch(p.Name, time.Now()); err != nil {
			fmt.Fprintf(o.IO.ErrOut, "sesame: warning: the last use of %s was not saved: %v\n", p.Name, err)
		}
		// The flow has made the forwards; the door stays open after the
		// session until the last forwarded connection has ended.
		if fw := c.Forwarder; fw != nil && o.Verbose {
			for i, a := range fw.Addrs() {
				fmt.Fprintf(o.IO.ErrOut, "sesame: %s: forwarding %s (listening on %s)\n", p.Name, p.Forwards[i], a)
			}
		}
		if o.NoCommand {
			if o.Verbose {
				fmt.Fprintf(o.IO.ErrOut, "sesame: %s: logged in; holding the connection and the door open until Ctrl-C (-N)\n", p.Name)
			}
			return c.Hold(ctx)
		}
		stdio := sshlaunch.Stdio{In: ui.stdin(), Out: o.IO.Out, Err: o.IO.ErrOut}
		if !wantPTY {
			return c.Run(ctx, command, stdio, nil)
		}
		pty := &sshlaunch.PTY{Term: os.Getenv("TERM")}
		if ui.interactive() {
			if w, h, err := term.GetSize(ui.inFd); err == nil {
				pty.Size = sshlaunch.WindowSize{Cols: w, Rows: h}
			}
			old, err := term.MakeRaw(ui.inFd)
			if err != nil {
				return fmt.Errorf("put the terminal in raw mode: %w", err)
			}
			defer term.Restore(ui.inFd, old)
			rctx, stop := context.WithCancel(ctx)
			defer stop()
			pty.Resize = watchResize(rctx, ui.inFd)
		}
		return c.Run(ctx, command, stdio, pty)
	})
	unspendChain(o.IO.ErrOut, "sesame connect", store, p, hops, runErr)
	return connectResult(runErr)
}

// jumpHops loads the jump hosts' profiles (--jump, else the profile's).
func (o *connectOptions) jumpHops(ctx context.Context, p *profiles.Profile) ([]sshlaunch.Config, error) {
	return loadHops(ctx, o.Deps, "sesame connect", o.Jump, p, o.Family4, o.Family6, func(hp *profiles.Profile, store *profiles.Store) sshlaunch.Config {
		ui := newTermUI(o.IO, hp.Name, o.Verbose, o.AcceptNew, true)
		ui.strict = o.SSH.hostKeys == "yes"
		return sshlaunch.Config{Profile: *hp, UI: ui, Keeper: storeKeeper{store}, Env: sshlaunch.DefaultEnv(),
			Resolver: o.Resolver, KeepaliveInterval: o.Keepalive, CloseKeeper: o.CloseKeeper}
	})
}

// loadHops loads the jump hosts' profiles — jump (--jump) when given, else
// p's own; "none" goes direct — each with the open sequence it knocks
// with, as flows of their own made by config.
func loadHops(ctx context.Context, deps Deps, cmd, jump string, p *profiles.Profile, fam4, fam6 bool,
	config func(*profiles.Profile, *profiles.Store) sshlaunch.Config) ([]sshlaunch.Config, error) {
	names := p.Jump
	if jump != "" {
		names = splitList(jump)
		if len(names) == 1 && strings.EqualFold(names[0], "none") {
			names = nil
		}
	}
	seen := map[string]bool{strings.ToLower(p.Name): true}
	var hops []sshlaunch.Config
	for _, n := range names {
		if seen[strings.ToLower(n)] {
			return nil, usageErrorf("jump hosts %s: %s comes twice on the way to %s: a jump host is passed once", strings.Join(names, ","), n, p.Name)
		}
		seen[strings.ToLower(n)] = true
		store, hp, err := loadForConnect(ctx, deps, cmd, n, fam4, fam6)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %w", n, err)
		}
		hops = append(hops, config(hp, store))
	}
	return hops, nil
}

// userAndName reads user@NAME. Only a name with an @ opens the store
// here, to keep an old profile named with one working.
func (o *connectOptions) userAndName() (user, name string, err error) {
	if !strings.Contains(o.Profile, "@") {
		return "", o.Profile, nil
	}
	_, list, err := listProfiles(o.Deps)
	if err != nil {
		return "", "", err
	}
	user, name = splitUser(o.Profile, func(n string) bool {
		for _, p := range list {
			if strings.EqualFold(p.Name, n) {
				return true
			}
		}
		return false
	})
	if user == "" && name != o.Profile {
		return "", "", usageErrorf("%q: no user before the @ (write USER@NAME)", o.Profile)
	}
	return user, name, nil
}

// connectResult turns the flow's error into the exit status: the remote
// status as is, sesame's own failures 255.
func connectResult(err error) error {
	if err == nil {
		return nil
	}
	var ee *sshlaunch.ExitError
	if errors.As(err, &ee) {
		if ee.Signal != "" {
			return &cmdexit.Coded{Code: ExitSSH, Err: err}
		}
		return &cmdexit.Status{Code: ee.Status}
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted; the door was closed")
	}
	return &cmdexit.Coded{Code: ExitSSH, Err: withAdvice(err)}
}

// withAdvice adds the flow's one piece of advice for err, if it has one,
// to the line that is printed.
func withAdvice(err error) error {
	if a := sshlaunch.Advice(err); a != "" {
		return fmt.Errorf("%w. %s", err, a)
	}
	return err
}
