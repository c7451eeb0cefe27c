//go:build linux

// Package install sets sesamed up on a server and takes it down again:
// `sesamed install` writes a config (or keeps the one there), a hardened
// systemd unit, backs the firewall ruleset up and adds the guides'
// baseline (allow established, drop the guarded port), taking care not to
// lock out the SSH session it runs in; `sesamed uninstall` undoes all of
// it. Both print every change, and with DryRun make none.
package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sesame/knocker"
	"sesame/server/firewall"
)

// Default locations, inside Options.Root.
const (
	DefaultConfigPath = "/etc/knockd.conf"
	DefaultUnitPath   = "/etc/systemd/system/" + UnitName
	DefaultStateDir   = "/var/lib/sesamed"
	// DefaultBinaryPath is where install copies sesamed and what the unit
	// starts: a checkout under /tmp or /root, where the running program
	// may live, is hidden from the service by PrivateTmp and ProtectHome.
	DefaultBinaryPath = "/usr/local/sbin/sesamed"
)

// stateFile records, in the state directory, what install did, for
// uninstall.
const stateFile = "install.json"

// Runner runs a program with stdin (nil: none) and returns its combined
// output. The default runs it with os/exec.
type Runner func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)

// Options configure Install and Uninstall. The zero value, with Out set,
// installs for real on this machine.
type Options struct {
	// Root prefixes every file path (config, unit, state); "" is "/".
	// Tests point it at a temporary directory.
	Root string
	// ConfigPath, UnitPath and StateDir default to DefaultConfigPath,
	// DefaultUnitPath and DefaultStateDir.
	ConfigPath, UnitPath, StateDir string
	// Binary is the sesamed program install copies to BinaryPath; default
	// the running executable. It is read from the real file system, not
	// under Root.
	Binary string
	// BinaryPath is where the copy goes (under Root) and what the unit
	// starts; default DefaultBinaryPath.
	BinaryPath string
	// Port and Proto are the guarded port; default 22/tcp.
	Port  uint16
	Proto knocker.Proto
	// Firewall is "auto" (or empty), "iptables" or "nftables".
	Firewall string
	// Allow lists sources that keep reaching the guarded port without
	// knocking (a management network, say).
	Allow []netip.Prefix
	// WritablePaths are files the daemon writes (PidFile, LogFile,
	// One_Time_Sequences files): their directories go in the unit's
	// ReadWritePaths.
	WritablePaths []string
	// Config is written when there is no config yet; nil writes
	// DefaultConfig with a random sequence.
	Config []byte
	// SSHConnection is $SSH_CONNECTION, "" outside an SSH session or
	// under sudo, which drops it; then the session is looked for up the
	// process tree of Pid in ProcRoot.
	SSHConnection string
	// ProcRoot is the proc file system ("/proc"), UtmpPath the login
	// records ("/run/utmp"), Pid the process whose session counts (this
	// one); tests point them elsewhere.
	ProcRoot string
	UtmpPath string
	Pid      int
	// NoSessionAllow leaves out the accept that keeps the SSH session's
	// address allowed; install then refuses without Force, since that
	// address could not reconnect without knocking.
	NoSessionAllow bool
	// RewriteConfig lets install turn the doors of a kept config that
	// could never open the guarded port past the baseline into native
	// Open_Ports doors, keeping the original beside it; without it,
	// install refuses such a config.
	RewriteConfig bool
	// Force installs even when the session's address would be cut off or
	// cannot be told, and uninstalls without a record of the install.
	Force bool
	// DryRun prints every change and makes none.
	DryRun bool
	// RestoreBackup makes Uninstall restore the backup taken at install
	// even when the ruleset has changed since (other changes are lost).
	RestoreBackup bool
	// Out receives the plan and progress; nil discards.
	Out io.Writer
	// Run runs the firewall programs (iptables, nft and their save and
	// restore tools); nil runs them with os/exec.
	Run Runner
	// Systemctl runs systemctl with args; nil runs /bin/systemctl. Tests
	// record the calls (systemd does not run there).
	Systemctl func(ctx context.Context, args ...string) error
}

// state is what install did, saved for uninstall.
type state struct {
	Installed     time.Time `json:"installed"`
	Backend       string    `json:"backend"`
	Variant       string    `json:"variant,omitempty"`
	Port          uint16    `json:"port"`
	Proto         string    `json:"proto"`
	Allowed       []string  `json:"allowed,omitempty"`
	ConfigPath    string    `json:"config_path"`
	ConfigCreated bool      `json:"config_created"`
	ConfigSHA256  string    `json:"config_sha256,omitempty"`
	ConfigBackup  string    `json:"config_backup,omitempty"` // the original of a rewritten config
	UnitPath      string    `json:"unit_path"`
	BinaryPath    string    `json:"binary_path,omitempty"`
	BinaryCreated bool      `json:"binary_created,omitempty"`
	BinarySHA256  string    `json:"binary_sha256,omitempty"`
	Backups       []string  `json:"backups"`
}

// step is one change: printed in the plan, then made.
type step struct {
	title string
	lines []string // details: commands, file contents
	do    func(ctx context.Context) error
	undo  func(ctx context.Context) error // on a later step's failure; may be nil
}

func (o *Options) setDefaults() error {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.ConfigPath == "" {
		o.ConfigPath = DefaultConfigPath
	}
	if o.UnitPath == "" {
		o.UnitPath = DefaultUnitPath
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.ProcRoot == "" {
		o.ProcRoot = "/proc"
	}
	if o.UtmpPath == "" {
		o.UtmpPath = "/run/utmp"
	}
	if o.Pid == 0 {
		o.Pid = os.Getpid()
	}
	if o.BinaryPath == "" {
		o.BinaryPath = DefaultBinaryPath
	}
	if o.Port == 0 {
		o.Port = 22
	}
	if o.Proto == 0 {
		o.Proto = knocker.TCP
	}
	if o.Proto != knocker.TCP && o.Proto != knocker.UDP {
		return fmt.Errorf("guarded protocol %s: use tcp or udp", o.Proto)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Run == nil {
		o.Run = execRun
	}
	if o.Systemctl == nil {
		o.Systemctl = func(ctx context.Context, args ...string) error {
			out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("systemctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
			}
			return nil
		}
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the sesamed program for the unit: %w (pass its path)", err)
		}
		o.Binary = exe
	}
	return nil
}

func execRun(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd.CombinedOutput()
}

// path is p inside Root.
func (o *Options) path(p string) string { return filepath.Join(o.Root, p) }

// Install sets sesamed up. Before changing anything it decides the
// firewall backend and checks the SSH session; then it backs the ruleset
// up, writes the config (unless one exists) and the unit, adds the
// baseline rules, records what it did, and enables and starts the service.
// If a step fails, the steps before it are undone, in reverse.
func Install(ctx context.Context, opt Options) error {
	if err := opt.setDefaults(); err != nil {
		return err
	}
	statePath := filepath.Join(opt.StateDir, stateFile)
	fw, allow, err := opt.checkBeforeInstall(ctx, statePath)
	if err != nil {
		return err
	}
	st := state{
		Backend: fw.choice.Name, Variant: fw.choice.Variant, Port: opt.Port, Proto: opt.Proto.String(),
		ConfigPath: opt.ConfigPath, UnitPath: opt.UnitPath,
	}
	for _, a := range allow {
		st.Allowed = append(st.Allowed, a.String())
	}
	// The steps that depend on what is there are decided now, before
	// anything changes; each says itself what it undoes.
	config, err := configStep(&opt, &st, fw.choice.Name)
	if err != nil {
		return err
	}
	bin, err := binaryStep(&opt, &st)
	if err != nil {
		return err
	}
	steps := []*step{
		backupStep(&opt, &st, fw),
		config,
		bin,
		unitStep(&opt, statePath),
		baselineStep(&opt, fw, allow),
		recordStep(&opt, &st, statePath),
		systemctlStep(&opt, "daemon-reload"),
		enableStep(&opt),
		activeStep(&opt),
	}
	return run(ctx, &opt, "install", steps)
}

// checkBeforeInstall decides the firewall backend and what keeps the SSH
// session allowed, and refuses, before anything changes, an install that
// is there already or would cut the session off.
func (o *Options) checkBeforeInstall(ctx context.Context, statePath string) (fwTools, []netip.Prefix, error) {
	if _, err := os.Stat(o.path(statePath)); err == nil {
		return fwTools{}, nil, fmt.Errorf("sesamed is already installed (see %s): run sesamed uninstall first", statePath)
	}
	choice, err := firewall.Choose(ctx, firewall.Options{Prefer: o.Firewall})
	if err != nil {
		return fwTools{}, nil, err
	}
	fw := fwTools{choice: choice, run: o.Run}
	fmt.Fprintf(o.Out, "firewall: %s%s (%s)\n", choice.Name, variantNote(choice.Variant), choice.Reason)
	if choice.Warning != "" {
		fmt.Fprintf(o.Out, "warning: %s\n", choice.Warning)
	}
	allow, err := o.sessionAllow()
	if err != nil {
		return fwTools{}, nil, err
	}
	if err := checkWritable(o.WritablePaths); err != nil {
		if !o.Force {
			return fwTools{}, nil, err
		}
		fmt.Fprintf(o.Out, "warning: %v; going on (--force)\n", err)
	}
	if sh := fw.shadowed(ctx, o.Port, o.Proto); len(sh) > 0 {
		fmt.Fprintf(o.Out, "warning: these rules accept %s/%d, but the baseline's drop will come first, so the sources they let in must knock (or keep them with --allow):\n    %s\n",
			o.Proto, o.Port, strings.Join(sh, "\n    "))
	}
	return fw, allow, nil
}

// backupStep backs the ruleset up, before anything changes; undo removes
// the backups (and the record, and the state directory if empty).
func backupStep(o *Options, st *state, fw fwTools) *step {
	dumps := fw.dumps()
	backup := &step{title: "back up the firewall ruleset"}
	for _, d := range dumps {
		file := filepath.Join(o.StateDir, d.file)
		st.Backups = append(st.Backups, d.file)
		backup.lines = append(backup.lines, fmt.Sprintf("%s > %s", d.save, file))
	}
	backup.do = func(ctx context.Context) error {
		for _, d := range dumps {
			text, err := fw.save(ctx, d)
			if err != nil {
				return err
			}
			if err := writeFile(o.path(filepath.Join(o.StateDir, d.file)), []byte(text), 0o600); err != nil {
				return err
			}
		}
		return nil
	}
	backup.undo = func(context.Context) error { return removeState(o, st.Backups) }
	return backup
}

// configStep keeps a config that exists (rewriting its doors if need be
// and allowed: keptConfigStep), or writes one; undo removes what it wrote.
// nil when there is nothing to change.
func configStep(o *Options, st *state, backend string) (*step, error) {
	_, err := os.Stat(o.path(o.ConfigPath))
	switch {
	case err == nil:
		fmt.Fprintf(o.Out, "config: keeping %s\n", o.ConfigPath)
		return keptConfigStep(o, st, backend)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("config %s: %w", o.ConfigPath, err)
	}
	conf := o.Config
	if conf == nil {
		seq, err := RandomSequence(o.Port)
		if err != nil {
			return nil, err
		}
		conf = DefaultConfig(backend, o.Port, o.Proto, seq)
	}
	sum := sha256.Sum256(conf)
	st.ConfigCreated, st.ConfigSHA256 = true, hex.EncodeToString(sum[:])
	return fileStep(o, o.ConfigPath, conf, 0o600, redactSequence(conf)), nil
}

// unitStep writes the systemd unit; undo removes it and has systemd
// forget it.
func unitStep(o *Options, statePath string) *step {
	unit := []byte(unitFile(o.BinaryPath, o.ConfigPath, statePath, o.WritablePaths))
	s := fileStep(o, o.UnitPath, unit, 0o644, string(unit))
	removeUnit := s.undo
	s.undo = func(ctx context.Context) error {
		if err := removeUnit(ctx); err != nil {
			return err
		}
		return o.Systemctl(ctx, "daemon-reload") // forget the unit that was loaded
	}
	return s
}

// baselineStep adds the baseline through the daemon's own backend: in
// sesamed's chain, below sesamed's accepts (also when sesamed runs
// already), so that the port is guarded before the service starts; the
// service keeps it in place (sesamed --guard). Undo removes it.
func baselineStep(o *Options, fw fwTools, allow []netip.Prefix) *step {
	guard := firewall.Guard{Port: o.Port, Proto: o.Proto, Allow: allow}
	var unguard func(context.Context) error
	return &step{title: fmt.Sprintf("add the baseline firewall rules (allow established, guard %s/%d)", o.Proto, o.Port),
		lines: guard.Describe(fw.choice.Name),
		do: func(ctx context.Context) error {
			undo, note, err := fw.guard(ctx, guard)
			if note != "" {
				fmt.Fprintf(o.Out, "  note: %s\n", note)
			}
			unguard = undo
			return err
		},
		undo: func(ctx context.Context) error { return unguard(ctx) }}
}

// recordStep records what install did, for uninstall; the backup step's
// undo removes the record.
func recordStep(o *Options, st *state, statePath string) *step {
	return &step{title: "record the installation in " + statePath,
		do: func(context.Context) error {
			st.Installed = time.Now().UTC()
			b, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				return err
			}
			return writeFile(o.path(statePath), append(b, '\n'), 0o600)
		}}
}

// enableStep enables and starts the service; undo stops and disables it.
func enableStep(o *Options) *step {
	s := systemctlStep(o, "enable", "--now", UnitName)
	s.undo = func(ctx context.Context) error { return o.Systemctl(ctx, "disable", "--now", UnitName) }
	return s
}

// activeStep checks that the service runs. Type=notify makes the start
// before it wait for sesamed's READY=1, which it sends once it guards the
// port and listens; a daemon that died on the way (or is restarting) is
// not active.
func activeStep(o *Options) *step {
	return &step{title: "check that " + UnitName + " is active",
		do: func(ctx context.Context) error {
			if err := o.Systemctl(ctx, "is-active", UnitName); err != nil {
				return fmt.Errorf("%s did not start: %w (journalctl -u %s says why; fix that and install again)", UnitName, err, UnitName)
			}
			return nil
		}}
}

func variantNote(v string) string {
	if v == "" {
		return ""
	}
	return " (" + v + ")"
}

// sessionAllow decides what keeps the SSH session's address allowed, or
// refuses: when the session came in on the guarded port, its address is
// allowed before the drop goes in, unless NoSessionAllow; a session whose
// address cannot be told is refused, and so is no session at all when no
// --allow source is given either (nothing would keep the admin's way in).
// Force overrides the refusals.
func (o *Options) sessionAllow() ([]netip.Prefix, error) {
	allow := append([]netip.Prefix(nil), o.Allow...)
	s, ok, err := parseSSHConnection(o.SSHConnection)
	if err == nil && !ok {
		// sudo's env_reset drops SSH_CONNECTION: the session is found
		// up the process tree instead.
		var how string
		if s, how, ok, err = findSession(o.ProcRoot, o.UtmpPath, o.Pid, o.Port); ok {
			fmt.Fprintf(o.Out, "ssh session: SSH_CONNECTION is not set; found the session from %s\n", how)
		}
	}
	switch {
	case err != nil && !o.Force:
		return nil, fmt.Errorf("%w; cannot tell whether this session would be cut off: fix SSH_CONNECTION or pass --force", err)
	case err != nil:
		fmt.Fprintf(o.Out, "ssh session: %v; going on (--force)\n", err)
	case !ok && len(o.Allow) == 0 && !o.Force:
		return nil, fmt.Errorf("no SSH session found (SSH_CONNECTION is not set and no parent process is an SSH login), and no --allow: "+
			"nothing would keep your own address able to reach %s/%d without knocking; pass --allow ADDRESS for the address you manage this host from, "+
			"or --force if you are on the console or can knock", o.Proto, o.Port)
	case !ok && len(o.Allow) == 0:
		fmt.Fprintln(o.Out, "ssh session: none found; going on (--force)")
	case !ok:
		fmt.Fprintln(o.Out, "ssh session: none found; the --allow sources stay allowed")
	case o.Proto != knocker.TCP || s.ServerPort != o.Port:
		fmt.Fprintf(o.Out, "ssh session: from %s on port %d, not the guarded %s/%d\n", s.Client, s.ServerPort, o.Proto, o.Port)
	case o.NoSessionAllow && !o.Force:
		return nil, fmt.Errorf("this SSH session's address %s would be cut off from port %d (only this connection would stay up): "+
			"drop --no-session-allow, or pass --force if you can knock", s.Client, o.Port)
	case o.NoSessionAllow:
		fmt.Fprintf(o.Out, "ssh session: from %s; NOT kept allowed (--force): new connections from it must knock\n", s.Client)
	default:
		allow = append(allow, netip.PrefixFrom(s.Client, s.Client.BitLen()))
		fmt.Fprintf(o.Out, "ssh session: from %s; its address stays allowed on port %d\n", s.Client, o.Port)
	}
	return allow, nil
}

// fileStep writes a file atomically; undo removes it. shown is what the
// plan prints of its content.
func fileStep(o *Options, path string, content []byte, mode os.FileMode, shown string) *step {
	return &step{
		title: fmt.Sprintf("write %s (mode %04o)", path, mode),
		lines: strings.Split(strings.TrimSuffix(shown, "\n"), "\n"),
		do:    func(context.Context) error { return writeFile(o.path(path), content, mode) },
		undo:  func(context.Context) error { return os.Remove(o.path(path)) },
	}
}

func systemctlStep(o *Options, args ...string) *step {
	return &step{
		title: "systemctl " + strings.Join(args, " "),
		do:    func(ctx context.Context) error { return o.Systemctl(ctx, args...) },
	}
}

// run prints the plan and, unless it is a dry run, makes each change in
// turn, undoing the ones made, in reverse, when one fails. A nil step is
// one with nothing to do.
func run(ctx context.Context, o *Options, what string, all []*step) error {
	steps := slices.DeleteFunc(slices.Clone(all), func(s *step) bool { return s == nil })
	if o.DryRun {
		fmt.Fprintf(o.Out, "%s, dry run: these changes would be made, and none is:\n", what)
	}
	for i, s := range steps {
		fmt.Fprintf(o.Out, "- %s\n", s.title)
		for _, l := range s.lines {
			for _, line := range strings.Split(l, "\n") {
				fmt.Fprintf(o.Out, "    %s\n", line)
			}
		}
		if o.DryRun {
			continue
		}
		if err := s.do(ctx); err != nil {
			err = fmt.Errorf("%s: %s: %w", what, s.title, err)
			for j := i - 1; j >= 0; j-- {
				if u := steps[j].undo; u != nil {
					if uerr := u(ctx); uerr != nil {
						err = errors.Join(err, fmt.Errorf("undo %q: %w", steps[j].title, uerr))
					}
				}
			}
			return err
		}
	}
	if !o.DryRun {
		fmt.Fprintf(o.Out, "%s: done\n", what)
	}
	return nil
}

// writeFile writes through a temporary file and a rename, so that a crash
// leaves the old file or the new one, never half of one.
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// removeState removes the backups and the record, and the state directory
// if nothing else is in it.
func removeState(o *Options, backups []string) error {
	var errs []error
	for _, f := range append(backups, stateFile) {
		if err := os.Remove(o.path(filepath.Join(o.StateDir, f))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	_ = os.Remove(o.path(o.StateDir)) // fails, harmlessly, when not empty
	return errors.Join(errs...)
}
