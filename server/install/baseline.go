//go:build linux

package install

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sesame/knocker"
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

// baseline is the guides' baseline, guarding port: established and related
// traffic allowed, then an accept for each allowed source, then a drop of
// the port. For iptables the rules go at the top of INPUT, in that order,
// so that an earlier accept of the port cannot undo the guard; for
// nftables they go into sesamed's own chain, where the daemon's accepts
// will go too (an accept in another chain could not beat this drop).
func (f fwTools) baseline(port uint16, proto knocker.Proto, allow []netip.Prefix) []command {
	p, dport := proto.String(), strconv.Itoa(int(port))
	if f.nft() {
		var b strings.Builder
		fmt.Fprintf(&b, "add table inet %s\n", firewall.NFTDefaultTable)
		fmt.Fprintf(&b, "add chain inet %s %s { type filter hook input priority filter; policy accept; }\n", firewall.NFTDefaultTable, firewall.NFTDefaultChain)
		rule := func(s string) {
			fmt.Fprintf(&b, "add rule inet %s %s %s comment %q\n", firewall.NFTDefaultTable, firewall.NFTDefaultChain, s, BaselineTag)
		}
		rule("ct state established,related accept")
		for _, a := range allow {
			fam := "ip"
			if a.Addr().Is6() {
				fam = "ip6"
			}
			rule(fmt.Sprintf("%s saddr %s %s dport %s accept", fam, prefixString(a), p, dport))
		}
		rule(fmt.Sprintf("%s dport %s drop", p, dport))
		return []command{{name: "nft", args: []string{"-f", "-"}, stdin: b.String()}}
	}
	tag := []string{"-m", "comment", "--comment", BaselineTag}
	var cmds []command
	for _, v6 := range []bool{false, true} {
		ipt := f.iptables(v6)
		specs := [][]string{{"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED"}}
		for _, a := range allow {
			if a.Addr().Is6() == v6 {
				specs = append(specs, []string{"-s", prefixString(a), "-p", p, "-m", p, "--dport", dport})
			}
		}
		specs = append(specs, []string{"-p", p, "-m", p, "--dport", dport})
		for i, spec := range specs {
			target := "ACCEPT"
			if i == len(specs)-1 {
				target = "DROP"
			}
			args := append([]string{"-w", "-I", "INPUT", strconv.Itoa(i + 1)}, spec...)
			args = append(append(args, tag...), "-j", target)
			cmds = append(cmds, command{name: ipt, args: args})
		}
	}
	return cmds
}

// prefixString prints a single address without its /32 or /128.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
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
// may still be there), through the firewall package.
func (f fwTools) flushDaemon(ctx context.Context) error {
	var b firewall.Backend
	if f.nft() {
		b = firewall.NewNFTables(firewall.NFTablesOptions{})
	} else {
		ipt, err := firewall.NewIPTables(firewall.IPTablesOptions{Variant: f.choice.Variant})
		if err != nil {
			return err
		}
		b = ipt
	}
	return b.Flush(ctx)
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
