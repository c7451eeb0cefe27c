// Package sshlaunch is Sesame's whole connect flow, shared by the command
// line and the desktop app: resolve the host once, send the open knock, dial
// SSH on that same address, authenticate, run the session, and send the
// close knock when the session ends — on every path, failures included.
//
// What the flow must ask (host keys, passwords, passphrases) and report
// (progress) goes through the UI interface, which the CLI implements with
// terminal prompts and the app with dialogs.
package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"

	"sesame/internal/keeper"
	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spaknock"
)

// Stage is a step of the flow, reported through UI.Progress.
type Stage int

// The stages, in order.
const (
	StageResolved Stage = iota // the host has been resolved; Addr is set
	StageKnock                 // a knock of the open sequence; Knock is set
	StageWait                  // waiting the profile's Wait before dialing
	StageDial                  // dialing SSH; Attempt counts
	StageAuth                  // authenticating
	StageSession               // the session runs
	StageClosing               // sending the close sequence; Knock is set per knock
	StageClosed                // the close sequence went out (or there is none)
	// StageNotice tells of something the user should know that does not
	// stop the flow; Err says what (an *AlreadyOpenError).
	StageNotice
)

func (s Stage) String() string {
	switch s {
	case StageResolved:
		return "resolved"
	case StageKnock:
		return "knocking"
	case StageWait:
		return "waiting"
	case StageDial:
		return "dialing"
	case StageAuth:
		return "authenticating"
	case StageSession:
		return "session"
	case StageClosing:
		return "closing the door"
	case StageClosed:
		return "door closed"
	case StageNotice:
		return "notice"
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// Event reports progress.
type Event struct {
	Stage   Stage
	Addr    netip.AddrPort
	Knock   *knock.Event // StageKnock and StageClosing
	Attempt int          // StageDial
	Until   time.Time    // StageWait: when dialing starts
	Err     error        // StageClosed: the close knock's error, if any; StageNotice: the notice
	// SelfClose, at StageClosed of an SPA profile, says how the door
	// closes instead of a close knock: "the door closes by itself after
	// 30 s (SPA has no close packet)".
	SelfClose string
}

// HostKeyDecision is the user's answer about an unknown host key.
type HostKeyDecision int

// The answers.
const (
	RejectHostKey HostKeyDecision = iota
	AcceptHostKeyOnce
	AcceptAndSaveHostKey
)

// HostKeyInfo describes a host key the user must judge.
type HostKeyInfo struct {
	// Host is the name known_hosts knows the server by: "host" or "[host]:port".
	Host        string
	Addr        netip.AddrPort
	Key         ssh.PublicKey
	Fingerprint string // SHA256:...
	// KnownHosts is the file a saved key is appended to.
	KnownHosts string
	// Known lists, for a changed key, where the key on record is
	// ("~/.ssh/known_hosts:3 ssh-ed25519 SHA256:...").
	Known []string
}

// Secret is a password or passphrase the user typed, and whether they asked
// to keep it in the keyring.
type Secret struct {
	Value    string
	Remember bool
}

// ErrCancelled is returned by UI prompts the user cancelled.
var ErrCancelled = errors.New("cancelled by the user")

// UI is what the flow asks the user and tells them. Prompts may be called
// from the flow's goroutine while it waits for the answer; Progress must
// not block for long.
type UI interface {
	Progress(Event)
	// UnknownHostKey asks whether to trust a key seen for the first time.
	UnknownHostKey(ctx context.Context, info HostKeyInfo) (HostKeyDecision, error)
	// ChangedHostKey tells the user the key differs from the one on record.
	// The connection is refused whatever the UI does.
	ChangedHostKey(ctx context.Context, info HostKeyInfo)
	Password(ctx context.Context, user, host string) (Secret, error)
	Passphrase(ctx context.Context, keyFile string) (Secret, error)
	// KeyboardInteractive answers a keyboard-interactive challenge.
	KeyboardInteractive(ctx context.Context, name, instruction string, questions []string, echo []bool) ([]string, error)
}

// SecretKeeper saves a password or passphrase the user asked to remember,
// after it has worked. The profile store implements it.
type SecretKeeper interface {
	UpdateSecrets(name string, update func(*profiles.Secrets)) error
}

// Config is what one run of the flow needs.
type Config struct {
	Profile profiles.Profile
	UI      UI
	// Keeper saves remembered secrets; nil disables "remember".
	Keeper SecretKeeper
	// Env is the user's SSH environment (home, agent, config files).
	Env Env
	Log *slog.Logger
	// Resolver looks the host up; nil means the system's.
	Resolver *net.Resolver

	// DialWindow bounds the retries of the TCP dial after the knock
	// (default 15 s).
	DialWindow time.Duration
	// KeepaliveInterval is how often keepalive@openssh.com is sent;
	// KeepaliveMax unanswered ones end the session, as ssh's
	// ServerAliveInterval and ServerAliveCountMax. Zero takes the
	// profile's (by default 15 s and 3).
	KeepaliveInterval time.Duration
	KeepaliveMax      int

	// CloseKeeper starts, before the open knock, the process that sends
	// the close knock if this one dies first (a panic, SIGKILL); nil runs
	// without one. The CLI and the app run their own binary as keeper.
	CloseKeeper *keeper.Exec

	// via is the jump host's connection this flow goes through: knocks
	// and the dial leave from it (RunVia).
	via *Conn
	// jumped says RunVia or ProxyVia took care of the profile's Jump;
	// hop that this flow is a jump host on the way to another, whose
	// forwards are not made (as ssh -J does not).
	jumped, hop bool

	// probe says whether the SSH port answered before the knock
	// (startProbe); nil when there was no probe.
	probe *probe

	// knock sends a sequence; tests replace it. nil means knock.SendTo.
	knock func(context.Context, netip.Addr, knocker.Sequence, knock.Options) error
	// sendSPA sends an SPA profile's packet; tests replace it. nil means
	// spaknock.Send.
	sendSPA func(context.Context, netip.Addr, *profiles.Profile, spaknock.Options) error
	// closeBackoff are the waits before the close knock's second and
	// third tries; tests shorten them.
	closeBackoff []time.Duration
}

func (c *Config) setDefaults() {
	if c.DialWindow == 0 {
		c.DialWindow = 15 * time.Second
	}
	interval, max := c.Profile.KeepaliveSettings()
	if c.KeepaliveInterval == 0 {
		c.KeepaliveInterval = interval
	}
	if c.KeepaliveMax == 0 {
		c.KeepaliveMax = max
	}
	if c.closeBackoff == nil {
		c.closeBackoff = []time.Duration{time.Second, 3 * time.Second}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.knock == nil {
		c.knock = knock.SendTo
	}
	if c.sendSPA == nil {
		c.sendSPA = spaknock.Send
	}
}

// open sends what opens p's door: its SPA packet, or its open sequence.
// Both report their progress as knocks.
func (c *Config) open(ctx context.Context, addr netip.Addr, p *profiles.Profile, opts knock.Options) error {
	if p.Kind() == profiles.KindSPA {
		if c.via != nil {
			// The packet would leave from here, not from the jump host.
			return fmt.Errorf("profile %s is an SPA profile: its packet cannot go through a jump host yet; connect to it without --jump, or give the jump host its own knock door", p.Name)
		}
		return c.sendSPA(ctx, addr, p, spaknock.Options{Progress: opts.Progress})
	}
	return c.knock(ctx, addr, p.Secrets.Open, opts)
}

// Target is where the flow connects, after ~/.ssh/config has filled in
// what the profile leaves empty.
type Target struct {
	// Host is what is resolved (HostName from ~/.ssh/config, else the
	// profile's host); KnownHostsName is how known_hosts knows it.
	Host           string
	Port           int
	User           string
	IdentityFiles  []string
	KnownHostsName string
	// KnownHostsFiles are the user's known-hosts files (a saved key goes
	// in the first), GlobalKnownHostsFiles the system's, read only.
	KnownHostsFiles       []string
	GlobalKnownHostsFiles []string
	// HashKnownHosts saves hashed names; CheckHostIP also checks the key
	// recorded for the address dialled, as ssh_config's keys of those names.
	HashKnownHosts bool
	CheckHostIP    bool
}

// Conn is an authenticated SSH connection made by the flow.
type Conn struct {
	Client *ssh.Client
	Addr   netip.AddrPort
	Target Target
	// Forwarder runs the profile's port forwards; nil when it has none.
	Forwarder *Forwarder

	cfg *Config
}

// CloseError is returned when the session ended well but the close knock
// could not be sent: the door may still be open.
type CloseError struct {
	Err error
	// Profile names the profile, for the command that knocks again.
	Profile string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("the close knock failed %d times, the door may still be open: %v; knock it shut with: sesame knock --close %s",
		closeTries, e.Err, e.Profile)
}

// closeTries: a close knock that fails to go out (a network down for a
// moment) is tried again, after Config.closeBackoff, within closeTimeout.
const closeTries = 3

func (e *CloseError) Unwrap() error { return e.Err }

// closeTimeout bounds the close knock after the session, on top of the
// sequence's own delays, so a dead network cannot hang the exit.
const closeTimeout = 10 * time.Second

// Run performs the whole flow and calls session with the authenticated
// connection. Once the open knock has gone out, the close knock is sent
// whatever happens next — a dial or authentication failure, the session's
// end, ctx being cancelled (Ctrl-C, SIGTERM, SIGHUP, a closed tab) — and
// only then does Run return the error that ended the flow.
//
// The profile's port forwards are made before session is called (one
// that cannot listen fails the flow, as ssh's ExitOnForwardFailure), and
// when session returns the close knock waits for the last forwarded
// connection to end, as ssh does (a StageNotice says how many are left),
// or for ctx to end, which closes them.
func Run(ctx context.Context, cfg Config, session func(ctx context.Context, c *Conn) error) error {
	return withDoor(ctx, &cfg, "", 0, func(ctx context.Context, ap netip.AddrPort, t Target) error {
		conn, err := connect(ctx, &cfg, t, ap)
		if err != nil {
			return err
		}
		defer conn.Client.Close()
		cfg.UI.Progress(Event{Stage: StageSession, Addr: ap})
		if fs := cfg.Profile.Forwards; len(fs) > 0 && !cfg.hop {
			fw, err := conn.Forward(ctx, fs)
			if err != nil {
				return err
			}
			conn.Forwarder = fw
			defer func() {
				if n := fw.Active(); n > 0 {
					cfg.UI.Progress(Event{Stage: StageNotice, Addr: ap, Err: &ForwardsOpenError{Open: n}})
				}
				fw.Wait(ctx)
			}()
		}
		return session(ctx, conn)
	})
}

// withDoor resolves the target once (host and port override the profile's
// when set), sends the open knock, calls fn with the address, and sends the
// close knock after fn returns, even when ctx is cancelled.
func withDoor(ctx context.Context, cfg *Config, host string, port int, fn func(context.Context, netip.AddrPort, Target) error) (err error) {
	cfg.setDefaults()
	if cfg.UI == nil {
		return errors.New("sshlaunch: no UI")
	}
	p := cfg.Profile
	if verr := p.Validate(); verr != nil {
		return fmt.Errorf("profile %q: %w", p.Name, verr)
	}
	if len(p.Jump) > 0 && !cfg.jumped {
		// Knocking from here a door only the jump host reaches would
		// prove nothing: refuse rather than connect the wrong way.
		return &JumpNeededError{Profile: p.Name, Jump: p.Jump}
	}
	target, terr := resolveTarget(p, cfg.Env)
	if terr != nil {
		return terr
	}
	if host != "" {
		target.Host, target.KnownHostsName = host, host
	}
	if port != 0 {
		target.Port = port
	}
	addr, rerr := knock.Resolve(ctx, target.Host, p.Family, cfg.Resolver)
	if rerr != nil {
		return rerr
	}
	ap := netip.AddrPortFrom(addr, uint16(target.Port))
	cfg.UI.Progress(Event{Stage: StageResolved, Addr: ap})

	// The keeper holds the close knock before the door opens, so no way
	// this process can end leaves it open.
	var kp *keeper.Keeper
	if cfg.CloseKeeper != nil && len(p.Secrets.Close) > 0 && cfg.via == nil {
		var kerr error
		kp, kerr = cfg.CloseKeeper.Start(keeper.Job{Addr: addr, Sequence: p.Secrets.Close, Delay: p.Delay})
		if kerr != nil {
			return fmt.Errorf("the door was not opened: %w", kerr)
		}
		defer func() {
			// The close knock has gone out (or the door never opened).
			if rerr := kp.Closed(); rerr != nil {
				cfg.Log.Warn("close keeper", "err", rerr)
			}
		}()
	}

	openOpts := p.KnockOptions()
	openOpts.Progress = func(ev knock.Event) {
		if ev.Kind != knock.Resolved {
			ev := ev
			cfg.UI.Progress(Event{Stage: StageKnock, Addr: ap, Knock: &ev})
		}
	}
	// One SYN to the SSH port just before the knock: an answer to it means
	// the door was open already, and the knock proves nothing. (Not for a
	// host behind a jump host: a SYN from here says nothing of it.)
	if cfg.via == nil {
		cfg.probe = startProbe(ap)
		defer cfg.probe.stop()
	}
	if kerr := cfg.open(ctx, addr, &p, openOpts); kerr != nil {
		var maybe *MaybeOpenedError
		if errors.As(kerr, &maybe) {
			// The last knock went out before the failure: the door may be
			// open, and no keeper stands behind a jump host.
			cfg.Log.Warn("open knock interrupted after it may have gone out; sending the close knock", "profile", p.Name, "addr", addr)
			if cerr := sendClose(ctx, cfg, addr, ap); cerr != nil {
				return errors.Join(kerr, &CloseError{Err: cerr, Profile: p.Name})
			}
			return kerr
		}
		// The sequence did not complete, so the door did not open: there
		// is nothing to close.
		if unreachable(kerr) {
			return &UnreachableError{Addr: ap, Knock: true, Err: kerr}
		}
		var ue *UDPThroughJumpError
		if errors.As(kerr, &ue) {
			return kerr // it has its own advice
		}
		return &OpenKnockError{Err: kerr}
	}
	cfg.Log.Info("open knock sent", "profile", p.Name, "addr", addr)

	defer func() {
		if cerr := sendClose(ctx, cfg, addr, ap); cerr != nil && err == nil {
			err = &CloseError{Err: cerr, Profile: p.Name}
		}
	}()
	return fn(ctx, ap, target)
}

// sendClose sends the profile's close sequence to addr, even when ctx has
// been cancelled, and reports it.
func sendClose(ctx context.Context, cfg *Config, addr netip.Addr, ap netip.AddrPort) error {
	p := cfg.Profile
	if p.SPA != nil {
		// The server closes the door when its timeout ends.
		cfg.UI.Progress(Event{Stage: StageClosed, Addr: ap, SelfClose: p.SPA.ClosesBySelf()})
		return nil
	}
	if len(p.Secrets.Close) == 0 {
		cfg.UI.Progress(Event{Stage: StageClosed, Addr: ap})
		return nil
	}
	budget := closeTimeout
	for _, st := range slices.Repeat(p.Secrets.Close, closeTries) {
		if st.GapSet {
			budget += st.Gap
		} else {
			budget += p.Delay
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	opts := p.KnockOptions()
	opts.Progress = func(ev knock.Event) {
		if ev.Kind != knock.Resolved {
			ev := ev
			cfg.UI.Progress(Event{Stage: StageClosing, Addr: ap, Knock: &ev})
		}
	}
	cfg.UI.Progress(Event{Stage: StageClosing, Addr: ap})
	var err error
	for try := 1; ; try++ {
		if err = cfg.knock(cctx, addr, p.Secrets.Close, opts); err == nil || try == closeTries || cctx.Err() != nil {
			break
		}
		cfg.Log.Warn("close knock failed, trying again", "profile", p.Name, "addr", addr, "try", try, "err", err)
		select {
		case <-cctx.Done():
		case <-time.After(cfg.closeBackoff[try-1]):
		}
	}
	if err != nil {
		cfg.Log.Error("close knock failed", "profile", p.Name, "addr", addr, "err", err)
	} else {
		cfg.Log.Info("close knock sent", "profile", p.Name, "addr", addr)
	}
	cfg.UI.Progress(Event{Stage: StageClosed, Addr: ap, Err: err})
	return err
}
