package sesamedcli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"sesame/internal/cmdexit"
	"sesame/knocker"
	"sesame/server/knockdconf"
)

type checkOptions struct {
	IO     IOStreams
	Config *string
}

func newCmdCheck(deps Deps, run *runOptions) *cobra.Command {
	opts := &checkOptions{IO: deps.IO, Config: &run.Config}
	return &cobra.Command{
		Use:   "check [-c FILE]",
		Short: "Validate a config and list its doors",
		Long: `Read the config as sesamed would, print its problems and list its doors.
The exit status is non-zero when sesamed would refuse the config. Knock
sequences are secrets: they are counted, never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runCheck(opts) },
	}
}

func runCheck(opts *checkOptions) error {
	cfg, err := knockdconf.ParseFile(*opts.Config)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "%s: OK, %d door%s\n", cfg.File, len(cfg.Doors), plural(len(cfg.Doors)))
	var opt []string
	if cfg.Interface != "" {
		opt = append(opt, "interface "+cfg.Interface)
	}
	if cfg.LogFile != "" {
		opt = append(opt, "log file "+cfg.LogFile)
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
	failed := false
	for _, d := range cfg.Doors {
		if err := printDoor(out, d); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "error: %v\n", err)
			failed = true
		}
	}
	if failed {
		return &cmdexit.Status{Code: cmdexit.Error}
	}
	return nil
}

// printDoor describes a door without its sequences.
func printDoor(w io.Writer, d *knockdconf.Door) error {
	var what []string
	if d.OneTimeSequences != "" {
		seqs, err := knockdconf.ReadOneTimeSequencesFile(d.OneTimeSequences)
		if err != nil {
			fmt.Fprintf(w, "[%s] line %d: one-time sequences from %s\n", d.Name, d.Line, d.OneTimeSequences)
			return err
		}
		what = append(what, fmt.Sprintf("one-time sequences from %s (%d left)", d.OneTimeSequences, len(seqs)))
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
	return nil
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
