//go:build linux

package install

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sesame/knocker"
	"sesame/server/firewall"
)

// shadowed lists the accept rules in the ruleset now that name the guarded
// port: the baseline's drop comes before them, so the sources they let in
// now would have to knock. sesamed's own rules are not listed. A ruleset
// that cannot be read lists nothing (the backup step will say why).
func (f fwTools) shadowed(ctx context.Context, port uint16, proto knocker.Proto) []string {
	names := func(rule string) bool {
		return slices.Contains(commandPorts(rule), port) && !strings.Contains(rule, firewall.Tag)
	}
	var out []string
	if f.nft() {
		dump, err := f.run(ctx, nil, "nft", "list", "ruleset")
		if err != nil {
			return nil
		}
		table, chain := "", ""
		for _, l := range strings.Split(string(dump), "\n") {
			t := strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(t, "table "):
				table, chain = strings.TrimSuffix(strings.TrimPrefix(t, "table "), " {"), ""
			case strings.HasPrefix(t, "chain "):
				chain = strings.TrimSuffix(strings.TrimPrefix(t, "chain "), " {")
			case table != "inet "+firewall.NFTDefaultTable && chain != "" && strings.HasSuffix(t, "accept") &&
				strings.Contains(t, proto.String()+" dport") && names(t):
				out = append(out, fmt.Sprintf("table %s chain %s: %s", table, chain, t))
			}
		}
		return out
	}
	for _, v6 := range []bool{false, true} {
		ipt := f.iptables(v6)
		dump, err := f.run(ctx, nil, ipt, "-w", "-S")
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(dump), "\n") {
			fl := strings.Fields(l)
			if len(fl) < 2 || fl[0] != "-A" || !strings.HasSuffix(l, "-j ACCEPT") || !names(l) ||
				strings.EqualFold(fl[1], firewall.IPTablesChain) {
				continue
			}
			if i := slices.Index(fl, "-p"); i >= 0 && i+1 < len(fl) && fl[i+1] != proto.String() {
				continue
			}
			out = append(out, ipt+": "+l)
		}
	}
	return out
}
