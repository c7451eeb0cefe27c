package sesamedcli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/knocker"
	"sesame/server/loadconf"
	"sesame/server/rotating"
)

type checkOptions struct {
	IO     IOStreams
	Config *string
	// Interface and LogFile are sesamed's -i and -g, which win over the
	// config's, so that check judges the command line sesamed runs with.
	Interface *string
	LogFile   *string
	// ShowCurrent prints the rotating doors' sequences of the windows
	// accepted now (or at At): for testing a client, never by default.
	ShowCurrent bool
	At          string
	// JSON prints a checkReport instead of text.
	JSON bool
	// Now is the clock (time.Now).
	Now func() time.Time
}

func newCmdCheck(deps Deps, run *runOptions) *cobra.Command {
	opts := &checkOptions{IO: deps.IO, Config: &run.Config, Interface: &run.Interface, LogFile: &run.LogFile, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "check [-c FILE] [-i IFACE] [-g LOGFILE] [--show-current [--at TIME]]",
		Short: "Validate a config and list its doors",
		Long: `Read the config as sesamed starts with it (the same code: the config, the
one-time sequences files, the rotating seeds, the log file and the
interfaces), print its warnings and list its doors. The exit status is
non-zero exactly when sesamed would refuse to start with it. Knock
sequences are secrets: they are counted, never printed, unless
--show-current asks for the sequences rotating doors accept now (to test a
client; anyone who reads them can open the door until they are used).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.At != "" && !opts.ShowCurrent {
				return &usageError{errors.New("--at goes with --show-current")}
			}
			return runCheck(opts)
		},
	}
	cmd.Flags().StringVarP(opts.Interface, "interface", "i", "", "as sesamed -i: the interfaces it will listen on (default: the config's Interface, else the default route's)")
	cmd.Flags().StringVarP(opts.LogFile, "logfile", "g", "", "as sesamed -g: the log file it will use (default: the config's LogFile)")
	cmd.Flags().BoolVar(&opts.ShowCurrent, "show-current", false, "print the sequences rotating doors accept now (secret: for testing)")
	cmd.Flags().StringVar(&opts.At, "at", "", "with --show-current: at this `TIME` (RFC 3339) instead of now")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the result as one JSON object on stdout: file, ok, doors, warnings and errors with file and line (never sequences or seeds)")
	cmdexit.Exclusive(cmd, "--json never prints knock sequences, and --show-current is for reading them", "json", "show-current")
	return cmd
}

func runCheck(opts *checkOptions) error {
	var ifaces []string
	if *opts.Interface != "" {
		ifaces = loadconf.SplitInterfaces(*opts.Interface)
	}
	ld, err := loadconf.Load(loadconf.Options{Path: *opts.Config, LogFile: *opts.LogFile, Interfaces: ifaces})
	if opts.JSON {
		rep := newCheckReport(*opts.Config, ld, err)
		if werr := writeCheckJSON(opts.IO.Out, rep); werr != nil {
			return werr
		}
		if !rep.OK {
			// Said on stdout; the status alone tells a script.
			return &cmdexit.Status{Code: cmdexit.Error}
		}
		return nil
	}
	if err != nil {
		return err
	}
	cfg := ld.Config
	for _, w := range ld.Warnings {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "%s: OK, %d door%s\n", cfg.File, len(cfg.Doors), plural(len(cfg.Doors)))
	opt := []string{"interface " + strings.Join(ld.Interfaces, ",")}
	if ld.LogFile != "" && ld.LogFileErr == nil {
		opt = append(opt, "log file "+ld.LogFile)
	}
	if cfg.UseSyslog {
		opt = append(opt, "syslog")
	}
	if cfg.Firewall != "" {
		opt = append(opt, "firewall "+cfg.Firewall)
	}
	if len(opt) > 0 {
		fmt.Fprintf(out, "options: %s\n", strings.Join(opt, ", "))
	}
	now := opts.Now()
	if opts.At != "" {
		if now, err = time.Parse(time.RFC3339, opts.At); err != nil {
			return &usageError{fmt.Errorf("--at %q: give a time as 2006-01-02T15:04:05Z", opts.At)}
		}
	}
	var ledger *rotating.Ledger
	for _, d := range cfg.Doors {
		if d.IsRotating() && ledger == nil {
			fmt.Fprintf(out, "spent windows are kept in %s\n", rotating.StatePath(cfg))
			if ledger, err = rotating.OpenLedger(rotating.StatePath(cfg), now); err != nil {
				fmt.Fprintf(opts.IO.ErrOut, "warning: %v\n", err)
			}
		}
	}
	for _, d := range ld.Doors {
		printDoor(out, d)
		if d.Rotation != nil && opts.ShowCurrent {
			printRotating(out, d.Rotation, ledger, now)
		}
	}
	return nil
}

// printDoor describes a door without its sequences.
func printDoor(w io.Writer, d loadconf.Door) {
	var what []string
	if d.IsRotating() {
		r := d.Rotating
		seed := "seed inline"
		if r.SeedFile != "" {
			seed = "seed in " + r.SeedFile
		}
		what = append(what, fmt.Sprintf("rotating, %d knocks (%s) on ports %d-%d, a new sequence every %s, %s",
			r.Params.Length, r.Params.Protocols, r.Params.PortMin, r.Params.PortMax, r.Params.Window, seed))
	} else if d.OneTimeSequences != "" {
		left := fmt.Sprintf("%d left", len(d.OneTime))
		if d.Disabled() {
			left = "none left: DISABLED"
		}
		what = append(what, fmt.Sprintf("one-time sequences from %s (%s)", d.OneTimeSequences, left))
	} else {
		what = append(what, knocks(d.Sequence))
	}
	what = append(what, "seq_timeout "+d.SeqTimeout.String())
	if !d.TCPFlags.IsZero() {
		what = append(what, "tcpflags "+d.TCPFlags.String())
	}
	if d.Target.IsValid() {
		what = append(what, "target "+d.Target.String())
	}
	what = append(what, "cooldown "+d.Cooldown.String())
	fmt.Fprintf(w, "[%s] line %d: %s\n", d.Name, d.Line, strings.Join(what, ", "))
	if d.StartCommand != "" {
		fmt.Fprintf(w, "    start command: %s\n", d.StartCommand)
	}
	if d.StartCommand6Set {
		fmt.Fprintf(w, "    start command (IPv6): %s\n", orNothing(d.StartCommand6))
	}
	if d.StopCommand != "" || d.StopCommand6Set {
		if d.StopCommand != "" {
			fmt.Fprintf(w, "    stop command after %s: %s\n", d.CmdTimeout, d.StopCommand)
		}
		if d.StopCommand6Set {
			fmt.Fprintf(w, "    stop command (IPv6) after %s: %s\n", d.CmdTimeout, orNothing(d.StopCommand6))
		}
	}
	if d.HasNativeOpen() {
		ports := make([]string, len(d.OpenPorts))
		for i, p := range d.OpenPorts {
			ports[i] = p.String()
		}
		line := "    opens " + strings.Join(ports, ", ") + " for the knocking address"
		if d.AccessTime > 0 {
			line += " for " + d.AccessTime.String()
		} else {
			line += " with no time limit"
		}
		if d.CloseWhenIdle > 0 {
			line += ", closed after " + d.CloseWhenIdle.String() + " without an established connection"
		}
		fmt.Fprintln(w, line)
		if len(d.CloseSequence) > 0 {
			fmt.Fprintf(w, "    close sequence: %s\n", knocks(d.CloseSequence))
		}
	}
	if d.StartCommand == "" && !d.StartCommand6Set && !d.HasNativeOpen() {
		fmt.Fprintf(w, "    does nothing when it opens (no Start_Command or Open_Ports)\n")
	}
}

// printRotating prints the sequences of the windows a rotating door
// accepts at now, and which are spent.
func printRotating(w io.Writer, rot *rotating.Door, l *rotating.Ledger, now time.Time) {
	left := rot.NextChange(now).Sub(now).Round(time.Second)
	for _, win := range rot.Live(now) {
		rel := rot.Relative(win.N, now)
		note := ""
		switch rel {
		case "current":
			note = fmt.Sprintf(", %s left", left)
		case "previous":
			note = ", still accepted"
		case "next":
			note = ", accepted already"
		}
		if l != nil && l.Spent(rot.ID, win.N) {
			note += ", SPENT"
		}
		fmt.Fprintf(w, "    window %d (%s%s): %s\n", win.N, rel, note, win.Sequence)
	}
}

// knocks describes a sequence by its length and protocols only.
func knocks(s knocker.Sequence) string {
	tcp, udp := false, false
	for _, st := range s {
		tcp = tcp || st.Proto == knocker.TCP
		udp = udp || st.Proto == knocker.UDP
	}
	protos := "tcp"
	switch {
	case tcp && udp:
		protos = "tcp and udp"
	case udp:
		protos = "udp"
	}
	return fmt.Sprintf("%d knock%s (%s)", len(s), plural(len(s)), protos)
}

func orNothing(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
