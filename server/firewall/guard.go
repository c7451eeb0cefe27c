package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"sesame/knocker"
)

// GuardTag marks the rules of the guard (the baseline `sesamed install`
// sets up): the iptables comment and the nftables comment on each. It is
// the comment install has always used, so that a guard from an older
// install is found and replaced, never doubled.
const GuardTag = "sesamed-install"

// Guard is the baseline that keeps a port shut for everyone who has not
// knocked: allow established and related traffic, allow the sources in
// Allow, drop the rest of Proto traffic to Port. A backend given a Guard
// keeps it in sesamed's own chain, below sesamed's accepts, so that the
// order is right whichever was set up first; the guard stays when sesamed
// stops (the port stays shut), and only Unguard takes it out.
type Guard struct {
	Port  uint16
	Proto knocker.Proto
	Allow []netip.Prefix
}

// Validate reports a guard that no backend can express.
func (g Guard) Validate() error {
	switch {
	case g.Port == 0:
		return errors.New("guard: port 0: use a port from 1 to 65535")
	case g.Proto != knocker.TCP && g.Proto != knocker.UDP:
		return fmt.Errorf("guard: protocol %s: use tcp or udp", g.Proto)
	}
	for _, a := range g.Allow {
		if !a.IsValid() || a.Addr().Zone() != "" {
			return fmt.Errorf("guard: allowed source %s: use an address or prefix without %%zone", a)
		}
	}
	return nil
}

// allowed splits Allow by address family, masked.
func (g Guard) allowed(v6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, a := range g.Allow {
		a = netip.PrefixFrom(a.Addr().Unmap(), a.Bits()-unmapBits(a)).Masked()
		if a.Addr().Is6() == v6 {
			out = append(out, a)
		}
	}
	return out
}

// unmapBits is how many bits an IPv4-mapped prefix loses by Unmap.
func unmapBits(p netip.Prefix) int {
	if p.Addr().Is4In6() {
		return 96
	}
	return 0
}

// prefixText prints a single address without its /32 or /128.
func prefixText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// Describe lists the guard's rules in the order they take effect, in the
// syntax of backend ("nftables" or "iptables"), for a plan or a log.
func (g Guard) Describe(backend string) []string {
	p, port := g.Proto.String(), strconv.Itoa(int(g.Port))
	if backend == nameNFTables {
		where := "inet " + NFTDefaultTable + " " + NFTDefaultChain
		lines := []string{
			fmt.Sprintf("%s: ip saddr . meta l4proto . th dport @%s accept (sesamed's accepts)", where, nftSet4),
			fmt.Sprintf("%s: ip6 saddr . meta l4proto . th dport @%s accept", where, nftSet6),
			fmt.Sprintf("%s: ct state established,related accept", where),
		}
		for _, v6 := range []bool{false, true} {
			fam := "ip"
			if v6 {
				fam = "ip6"
			}
			for _, a := range g.allowed(v6) {
				lines = append(lines, fmt.Sprintf("%s: %s saddr %s %s dport %s accept", where, fam, prefixText(a), p, port))
			}
		}
		return append(lines, fmt.Sprintf("%s: %s dport %s drop", where, p, port))
	}
	var lines []string
	for _, v6 := range []bool{false, true} {
		prog, set := "iptables", ipset4
		if v6 {
			prog, set = "ip6tables", ipset6
		}
		lines = append(lines, fmt.Sprintf("%s: INPUT 1: -j %s", prog, IPTablesChain))
		for _, spec := range guardSpecs(g, v6, set) {
			lines = append(lines, fmt.Sprintf("%s: -A %s %s", prog, IPTablesChain, spec))
		}
	}
	return lines
}

// ipset names: the sets the iptables backend keeps its open rules in.
const (
	ipset4 = Tag + "_allow4"
	ipset6 = Tag + "_allow6"
)

// guardSpecs are the rules of sesamed's iptables chain for one family, in
// order: the lookup of the open rules, then the guard's (when g has a
// port).
func guardSpecs(g Guard, v6 bool, set string) []string {
	specs := []string{lookupSpec(set)}
	if g.Port == 0 {
		return specs
	}
	p, port := g.Proto.String(), strconv.Itoa(int(g.Port))
	tag := "-m comment --comment " + GuardTag
	specs = append(specs, "-m conntrack --ctstate RELATED,ESTABLISHED "+tag+" -j ACCEPT")
	for _, a := range g.allowed(v6) {
		specs = append(specs, fmt.Sprintf("-s %s -p %s -m %s --dport %s %s -j ACCEPT", a, p, p, port, tag))
	}
	return append(specs, fmt.Sprintf("-p %s -m %s --dport %s %s -j DROP", p, p, port, tag))
}

// lookupSpec is the one rule that accepts what the set holds: a source
// address, protocol and destination port.
func lookupSpec(set string) string {
	return "-m set --match-set " + set + " src,dst -m comment --comment " + Tag + " -j ACCEPT"
}
