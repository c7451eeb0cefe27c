//go:build linux

package install

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/server/firewall"
)

// doorProblem is a door of a kept config whose command opens the guarded
// port where the baseline's drop wins: the door would log OPEN SESAME and
// the port would stay shut.
type doorProblem struct {
	door    *knockdconf.Door
	command string
	reason  string
}

func (p doorProblem) String() string {
	return fmt.Sprintf("door [%s] (line %d): %s\n    %s", p.door.Name, p.door.Line, p.reason, p.command)
}

// checkDoors finds the doors of cfg whose start commands cannot open the
// guarded port past the baseline of backend. What can: sesamed's native
// Open_Ports; on nftables, an element added to sesamed's sets (what the
// config install writes does); on iptables, an accept inserted at the top
// of INPUT, above the baseline. Doors that do nothing to the firewall, or
// open other ports, are fine.
func checkDoors(cfg *knockdconf.Config, backend string, port uint16, proto knocker.Proto) []doorProblem {
	var out []doorProblem
	for _, d := range cfg.Doors {
		if d.HasNativeOpen() {
			continue
		}
		cmds := []string{d.StartCommandFor(false)}
		if c6 := d.StartCommandFor(true); c6 != cmds[0] {
			cmds = append(cmds, c6)
		}
		for _, c := range cmds {
			if c == "" || !opens(c, port) {
				continue
			}
			if reason := cannotBeat(c, backend, port, proto); reason != "" {
				out = append(out, doorProblem{door: d, command: c, reason: reason})
				break
			}
		}
	}
	return out
}

var (
	portArg = regexp.MustCompile(`(?:--dports?|\bdport|--destination-port|\bport)\s+\{?\s*([0-9][0-9,:\s]*)`)
	nftElem = regexp.MustCompile(`\.\s*(?:tcp|udp)\s*\.\s*([0-9]+)`)
	slashed = regexp.MustCompile(`\b([0-9]+)/(?:tcp|udp)\b`)
)

// opens reports whether a command adds an accept that covers port: an
// accept (iptables, nft, ufw, firewalld) that names no port, or names it.
// Deleting commands (a close door's) do not open.
func opens(cmd string, port uint16) bool {
	f := strings.Fields(cmd)
	accepts := slices.Contains(f, "ACCEPT") || slices.Contains(f, "accept") || slices.Contains(f, "allow") ||
		strings.Contains(cmd, "add element") || strings.Contains(cmd, "--add-")
	deletes := slices.Contains(f, "-D") || slices.Contains(f, "--delete") || slices.Contains(f, "delete") || strings.Contains(cmd, "--remove-")
	if !accepts || deletes {
		return false
	}
	ports := commandPorts(cmd)
	return len(ports) == 0 || slices.Contains(ports, port)
}

// commandPorts lists the ports a command names (ranges by their ends and
// everything between).
func commandPorts(cmd string) []uint16 {
	var out []uint16
	add := func(s string) {
		for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			lo, hi, isRange := strings.Cut(tok, ":")
			a, err := strconv.ParseUint(lo, 10, 16)
			if err != nil {
				continue
			}
			b := a
			if isRange {
				if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
					b = a
				}
			}
			for p := a; p <= b && p-a < 65536; p++ {
				out = append(out, uint16(p))
			}
		}
	}
	for _, re := range []*regexp.Regexp{portArg, nftElem, slashed} {
		for _, m := range re.FindAllStringSubmatch(cmd, -1) {
			add(m[1])
		}
	}
	return out
}

// cannotBeat says why an opening command cannot beat the baseline's drop
// on backend, "" when it can.
func cannotBeat(cmd, backend string, port uint16, proto knocker.Proto) string {
	f := strings.Fields(cmd)
	prog := ""
	if len(f) > 0 {
		prog = filepath.Base(f[0])
	}
	iptables := strings.HasPrefix(prog, "iptables") || strings.HasPrefix(prog, "ip6tables")
	guarded := fmt.Sprintf("%d/%s", port, proto)
	if backend == "nftables" {
		if strings.Contains(cmd, "add element") && strings.Contains(cmd, firewall.Tag+"_allow") {
			return ""
		}
		if iptables {
			return fmt.Sprintf("its accept goes into an iptables table, but on nftables the baseline's drop of %s in inet sesamed input wins over an accept in any other table or chain, so the door would never open", guarded)
		}
		return fmt.Sprintf("its accept goes outside sesamed's sets, but on nftables the baseline's drop of %s in inet sesamed input wins over an accept in any other table or chain, so the door would never open", guarded)
	}
	if strings.Contains(cmd, firewall.Tag+"_allow") {
		return "it adds to sesamed's nftables set, but the backend is iptables, so there is no such set and the door would never open"
	}
	if !iptables {
		return fmt.Sprintf("%s adds its accept below the top of INPUT, where the baseline's drop of %s comes first, so the door would never open", prog, guarded)
	}
	for i, a := range f {
		switch a {
		case "-A", "--append":
			return fmt.Sprintf("it appends its accept to the end of the chain, below the baseline's drop of %s at the top of INPUT, so the door would never open", guarded)
		case "-I", "--insert":
			if i+1 >= len(f) || f[i+1] != "INPUT" {
				return fmt.Sprintf("it inserts its accept into another chain than INPUT, which the baseline's drop of %s at the top of INPUT comes before, so the door would never open", guarded)
			}
			if i+2 < len(f) {
				if n, err := strconv.Atoi(f[i+2]); err == nil && n > 1 {
					return fmt.Sprintf("it inserts its accept at position %d of INPUT, below the baseline's drop of %s at the top, so the door would never open", n, guarded)
				}
			}
			return ""
		}
	}
	return fmt.Sprintf("it does not insert its accept at the top of INPUT, where the baseline's drop of %s is, so the door would never open", guarded)
}

// keptConfigError is the refusal for a kept config with problem doors:
// each door, why, and the two ways out.
func keptConfigError(path string, problems []doorProblem, port uint16, proto knocker.Proto) error {
	var b strings.Builder
	fmt.Fprintf(&b, "the config %s, which install keeps, has doors that could never open %d/%s past the baseline:", path, port, proto)
	for _, p := range problems {
		fmt.Fprintf(&b, "\n  %s", p)
	}
	fmt.Fprintf(&b, "\nfix: pass --rewrite-config to make these doors use sesamed's native Open_Ports (the original is kept as %s), "+
		"or edit them to `Open_Ports = %d:%s` yourself", path+configBackupSuffix, port, proto)
	return fmt.Errorf("%s", b.String())
}
