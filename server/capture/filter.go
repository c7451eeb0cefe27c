// Package capture reads packets off network interfaces with libpcap, in
// immediate mode (each packet as it arrives: knockd's buffered capture adds
// tens of milliseconds to every knock), through a BPF filter built from the
// doors, so that the kernel hands over only packets that can be knocks.
package capture

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"sesame/knockdconf"
	"sesame/knocker"
)

// Door is what the filter needs to know of a door.
type Door struct {
	Sequence knocker.Sequence
	Flags    knockdconf.TCPFlags
	// Target, when valid, replaces the local addresses as destination.
	Target netip.Addr
}

// matchNothing is a filter no real packet passes, for when no door can
// match yet (no address on the interface).
const matchNothing = "less 1"

// IPv6 extension headers that may stand between the IPv6 header and TCP or
// UDP: hop-by-hop, routing, fragment, destination options, AH. libpcap's
// "tcp port" only looks at the first next-header field, so packets with
// any of these pass to sesamed, whose decoder walks them.
const ipv6ExtHeaders = "ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 60 or ip6[6] == 51"

// Filter builds the BPF filter for doors, with local as the destination of
// doors without a Target, as knockd does: per door, its TCP ports (with
// its TCPFlags) and its UDP ports, sent to its addresses. IPv6 is left out
// with ipv4Only (-4). The matcher applies the same test to every packet,
// so the filter only saves work; it never decides.
func Filter(doors []Door, local []netip.Addr, ipv4Only bool) string {
	var clauses []string
	var ext6 []netip.Addr // IPv6 destinations, for extension header packets
	for _, d := range doors {
		dsts := local
		if d.Target.IsValid() {
			dsts = []netip.Addr{d.Target}
		}
		var v4, v6 []netip.Addr
		for _, a := range dsts {
			a = a.Unmap().WithZone("")
			switch {
			case a.Is4():
				v4 = append(v4, a)
			case !ipv4Only:
				v6 = append(v6, a)
			}
		}
		if c := doorClause("ip", "tcp[13]", v4, d); c != "" {
			clauses = append(clauses, c)
		}
		// libpcap cannot index the TCP header of IPv6; with no extension
		// headers it starts at byte 40.
		if c := doorClause("ip6", "ip6[53]", v6, d); c != "" {
			clauses = append(clauses, c)
			ext6 = append(ext6, v6...)
		}
	}
	if len(ext6) > 0 {
		clauses = append(clauses, fmt.Sprintf("(ip6 and %s and (%s))", hosts(ext6), ipv6ExtHeaders))
	}
	if len(clauses) == 0 {
		return matchNothing
	}
	// Doors often share ports (an open and a close door): say each
	// clause once.
	var uniq []string
	for _, c := range clauses {
		if !slices.Contains(uniq, c) {
			uniq = append(uniq, c)
		}
	}
	return strings.Join(uniq, " or ")
}

func doorClause(family, flagsByte string, dsts []netip.Addr, d Door) string {
	if len(dsts) == 0 {
		return ""
	}
	var tcp, udp []uint16
	for _, st := range d.Sequence {
		switch st.Proto {
		case knocker.TCP:
			tcp = append(tcp, st.Port)
		case knocker.UDP:
			udp = append(udp, st.Port)
		}
	}
	var parts []string
	if len(tcp) > 0 {
		p := fmt.Sprintf("(tcp and %s", ports(tcp))
		if d.Flags.Set != 0 {
			p += fmt.Sprintf(" and %s & 0x%02x == 0x%02x", flagsByte, d.Flags.Set, d.Flags.Set)
		}
		if d.Flags.Unset != 0 {
			p += fmt.Sprintf(" and %s & 0x%02x == 0", flagsByte, d.Flags.Unset)
		}
		parts = append(parts, p+")")
	}
	if len(udp) > 0 {
		parts = append(parts, fmt.Sprintf("(udp and %s)", ports(udp)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("(%s and %s and (%s))", family, hosts(dsts), strings.Join(parts, " or "))
}

func hosts(addrs []netip.Addr) string {
	addrs = slices.Clone(addrs)
	slices.SortFunc(addrs, netip.Addr.Compare)
	addrs = slices.Compact(addrs)
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = "dst host " + a.String()
	}
	return "(" + strings.Join(s, " or ") + ")"
}

func ports(ps []uint16) string {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("dst port %d", p)
	}
	return "(" + strings.Join(s, " or ") + ")"
}
