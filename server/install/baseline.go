//go:build linux

package install

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"sesame/server/firewall"
)

// BaselineTag is the comment on every firewall rule install adds, so that
// uninstall finds them. The daemon's own rules carry firewall.Tag.
const BaselineTag = "sesamed-install"

// command is one program run that changes the firewall, printed in the
// plan exactly as it is run.
type command struct {
	name  string
	args  []string
	stdin string
}

func (c command) String() string {
	s := strings.Join(append([]string{c.name}, c.args...), " ")
	if c.stdin != "" {
		s += " <<'EOF'\n" + c.stdin + "EOF"
	}
	return s
}

// fwTools runs the programs of the backend install works with.
type fwTools struct {
	choice firewall.Choice
	run    Runner
}

func (f fwTools) nft() bool { return f.choice.Name == "nftables" }

// iptables is the iptables (v6: ip6tables) program of the chosen variant.
func (f fwTools) iptables(v6 bool) string {
	name := "iptables"
	if v6 {
		name = "ip6tables"
	}
	if f.choice.Variant != "" {
		name += "-" + f.choice.Variant
	}
	return name
}

// dump is one file of the ruleset backup.
type dump struct {
	file string // in the state directory
	save command
	// restore reads the file on stdin.
	restore command
}

func (f fwTools) dumps() []dump {
	if f.nft() {
		return []dump{{file: "nftables.rules",
			save:    command{name: "nft", args: []string{"list", "ruleset"}},
			restore: command{name: "nft", args: []string{"-f", "-"}}}}
	}
	var ds []dump
	for _, v6 := range []bool{false, true} {
		ipt := f.iptables(v6)
		base, variant, _ := strings.Cut(ipt, "-")
		if variant != "" {
			variant = "-" + variant
		}
		ds = append(ds, dump{file: base + ".rules",
			save:    command{name: base + variant + "-save"},
			restore: command{name: base + variant + "-restore"}})
	}
	return ds
}

// save runs a dump's save program.
func (f fwTools) save(ctx context.Context, d dump) (string, error) {
	out, err := f.run(ctx, nil, d.save.name, d.save.args...)
	if err != nil {
		return "", fmt.Errorf("back up the ruleset: %s: %w", d.save, err)
	}
	return string(out), nil
}

// apply runs commands in order, stopping at the first failure.
func (f fwTools) apply(ctx context.Context, cmds []command) error {
	for _, c := range cmds {
		var stdin []byte
		if c.stdin != "" {
			stdin = []byte(c.stdin)
		}
		if out, err := f.run(ctx, stdin, c.name, c.args...); err != nil {
			return fmt.Errorf("%s %s: %w: %s", c.name, strings.Join(c.args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// backend is the daemon's firewall backend install chose, with guard.
func (f fwTools) backend(guard *firewall.Guard) (firewall.Backend, error) {
	b, _, err := firewall.New(f.choice, firewall.Options{Guard: guard})
	return b, err
}

// guard puts the baseline in place, through the same code sesamed --guard
// runs: in sesamed's chain, below sesamed's accepts, beside a sesamed that
// may run already (its open rules stay). If a step fails, the steps made
// are undone. It returns what undoes it all (leaving a running sesamed's
// accepts be), and a note for the admin, "" when there is none.
func (f fwTools) guard(ctx context.Context, g firewall.Guard) (undo func(context.Context) error, note string, err error) {
	bare, err := f.backend(nil)
	if err != nil {
		return nil, "", err
	}
	running := bare.Check(ctx) == nil // a sesamed has its chain in place
	b, err := f.backend(&g)
	if err != nil {
		return nil, "", err
	}
	if err := b.Establish(ctx); err != nil {
		return nil, "", err
	}
	undo = func(ctx context.Context) error {
		if running {
			return b.Unguard(ctx)
		}
		return errors.Join(b.Flush(ctx), b.Unguard(ctx))
	}
	if ipt, ok := b.(*firewall.IPTables); ok && ipt.IPv6Skipped() != "" {
		note = "IPv6 left out of the baseline: " + ipt.IPv6Skipped()
	}
	return undo, note, nil
}

// unguard takes the baseline out, leaving a running sesamed's accepts be.
func (f fwTools) unguard(ctx context.Context) error {
	b, err := f.backend(nil)
	if err != nil {
		return err
	}
	return b.Unguard(ctx)
}

// nftHandle matches the handle nft -a prints after a rule.
var nftHandle = regexp.MustCompile(`# handle (\d+)\s*$`)

// removal lists the commands that delete the baseline rules present now.
func (f fwTools) removal(ctx context.Context) ([]command, error) {
	if f.nft() {
		out, err := f.run(ctx, nil, "nft", "-a", "list", "table", "inet", firewall.NFTDefaultTable)
		if err != nil {
			return nil, nil // no table, no baseline
		}
		var b strings.Builder
		chain := ""
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if name, ok := strings.CutPrefix(line, "chain "); ok {
				chain, _, _ = strings.Cut(name, " ")
				continue
			}
			m := nftHandle.FindStringSubmatch(line)
			if m != nil && strings.Contains(line, fmt.Sprintf("comment %q", BaselineTag)) {
				fmt.Fprintf(&b, "delete rule inet %s %s handle %s\n", firewall.NFTDefaultTable, chain, m[1])
			}
		}
		if b.Len() == 0 {
			return nil, nil
		}
		return []command{{name: "nft", args: []string{"-f", "-"}, stdin: b.String()}}, nil
	}
	var cmds []command
	for _, v6 := range []bool{false, true} {
		ipt := f.iptables(v6)
		out, err := f.run(ctx, nil, ipt, "-w", "-S", "INPUT")
		if err != nil {
			return nil, fmt.Errorf("%s -S INPUT: %w: %s", ipt, err, strings.TrimSpace(string(out)))
		}
		for _, line := range strings.Split(string(out), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || fields[0] != "-A" || !hasComment(fields, BaselineTag) {
				continue
			}
			cmds = append(cmds, command{name: ipt, args: append([]string{"-w", "-D"}, fields[1:]...)})
		}
	}
	return cmds, nil
}

// hasComment reports whether an iptables -S rule carries exactly this
// comment.
func hasComment(fields []string, comment string) bool {
	i := slices.Index(fields, "--comment")
	return i >= 0 && i+1 < len(fields) && strings.Trim(fields[i+1], `"`) == comment
}

// flushDaemon removes what the daemon's backend adds (after a crash, it
// may still be there), then the guard, through the firewall package.
func (f fwTools) flushDaemon(ctx context.Context) error {
	b, err := f.backend(nil)
	if err != nil {
		return err
	}
	return errors.Join(b.Flush(ctx), b.Unguard(ctx))
}

var (
	saveComment  = regexp.MustCompile(`(?m)^#.*\n`)
	saveCounters = regexp.MustCompile(`\[\d+:\d+\]`)
	nftCounters  = regexp.MustCompile(`counter packets \d+ bytes \d+`)
)

// normalize makes two dumps of the same ruleset compare equal: counters
// zeroed, iptables-save's date comments dropped, and iptables tables that
// hold nothing (only built-in chains, policy ACCEPT, no rules), which
// adding and deleting a rule leaves behind, dropped as if absent.
func normalize(dump string) string {
	dump = saveComment.ReplaceAllString(dump, "")
	dump = saveCounters.ReplaceAllString(dump, "[0:0]")
	dump = nftCounters.ReplaceAllString(dump, "counter")
	var out, table []string
	empty := true
	for _, line := range strings.SplitAfter(dump, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table, empty = []string{line}, true
		case table != nil:
			table = append(table, line)
			if strings.HasPrefix(line, "-") || strings.HasPrefix(line, ":") && !strings.Contains(line, " ACCEPT [") {
				empty = false
			}
			if strings.TrimSpace(line) == "COMMIT" {
				if !empty {
					out = append(out, table...)
				}
				table = nil
			}
		default:
			out = append(out, line)
		}
	}
	return strings.Join(append(out, table...), "")
}
