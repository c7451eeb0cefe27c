package spa

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Port is one proto/port of an access request: "tcp/22".
type Port struct {
	Proto string // "tcp", "udp" or "icmp"
	Port  uint16
}

func (p Port) String() string { return p.Proto + "/" + strconv.Itoa(int(p.Port)) }

// Access is an access request: the address to let in and its ports.
type Access struct {
	IP    netip.Addr
	Ports []Port
}

// String is FormatAccess(a.IP, a.Ports...).
func (a Access) String() string { return FormatAccess(a.IP, a.Ports...) }

// FormatAccess writes an access message: "192.0.2.7,tcp/22,udp/53".
func FormatAccess(ip netip.Addr, ports ...Port) string {
	var b strings.Builder
	b.WriteString(ip.String())
	for _, p := range ports {
		b.WriteByte(',')
		b.WriteString(p.String())
	}
	return b.String()
}

// ParseAccess reads an access message "IP,proto/port[,proto/port...]". The
// IP is IPv4: libfko 2.6 accepts nothing else in the message.
func ParseAccess(s string) (Access, error) {
	ipText, rest, ok := strings.Cut(s, ",")
	if !ok || rest == "" {
		return Access{}, fmt.Errorf("access %q: want IP,proto/port (e.g. 192.0.2.7,tcp/22)", s)
	}
	ip, err := netip.ParseAddr(ipText)
	if err != nil || !ip.Is4() {
		return Access{}, fmt.Errorf("access %q: %q is not an IPv4 address (fwknop 2.6 sends IPv4 only)", s, ipText)
	}
	ports, err := ParsePorts(rest)
	if err != nil {
		return Access{}, fmt.Errorf("access %q: %w", s, err)
	}
	return Access{IP: ip, Ports: ports}, nil
}

// ParsePorts reads fwknop's -A/--access list: "tcp/22,udp/53".
func ParsePorts(s string) ([]Port, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no ports: give proto/port, e.g. tcp/22")
	}
	var ports []Port
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		proto, num, ok := strings.Cut(f, "/")
		if !ok {
			return nil, fmt.Errorf("%q: want proto/port, e.g. tcp/22", f)
		}
		proto = strings.ToLower(proto)
		if proto != "tcp" && proto != "udp" && proto != "icmp" {
			return nil, fmt.Errorf("%q: protocol %q: use tcp, udp or icmp", f, proto)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 65535 || len(num) > 5 || num[0] == '+' {
			return nil, fmt.Errorf("%q: port %q: use a number from 1 to 65535", f, num)
		}
		ports = append(ports, Port{Proto: proto, Port: uint16(n)})
	}
	return ports, nil
}

// isIPv4 reports whether s is an IPv4 address in dotted decimal.
func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}
