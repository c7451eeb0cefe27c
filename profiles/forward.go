package profiles

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ForwardKind is which way a port forward carries connections, as ssh's
// -L, -R and -D.
type ForwardKind byte

// The kinds, named by ssh's flag letters.
const (
	// LocalForward listens here and connects, from the server, to Host.
	LocalForward ForwardKind = 'L'
	// RemoteForward listens on the server and connects, from here, to Host.
	RemoteForward ForwardKind = 'R'
	// DynamicForward is a SOCKS5 proxy here whose connections leave from
	// the server.
	DynamicForward ForwardKind = 'D'
)

// Forward is one port forward of a connection.
type Forward struct {
	Kind ForwardKind
	// Bind is the address listened on; empty means the loopback address
	// (ssh's GatewayPorts=no), "*" every address.
	Bind string
	Port int
	// Host and HostPort are where each connection goes; empty for a
	// DynamicForward, whose client says where.
	Host     string
	HostPort int
}

// ParseForwardSpec reads ssh's -L/-R argument ([bind:]port:host:hostport)
// or -D argument ([bind:]port). IPv6 addresses go in brackets, as with ssh.
func ParseForwardSpec(kind ForwardKind, spec string) (Forward, error) {
	f := Forward{Kind: kind}
	parts, err := splitForward(spec)
	if err != nil {
		return f, err
	}
	want := "[bind:]port:host:hostport, e.g. 8080:localhost:80"
	if kind == DynamicForward {
		want = "[bind:]port, e.g. 1080"
	}
	bad := func(reason string) error {
		return fmt.Errorf("-%c %s: %s: write %s", kind, spec, reason, want)
	}
	switch kind {
	case DynamicForward:
		switch len(parts) {
		case 1:
		case 2:
			f.Bind, parts = parts[0], parts[1:]
		default:
			return f, bad("too many parts")
		}
	case LocalForward, RemoteForward:
		switch len(parts) {
		case 3:
		case 4:
			f.Bind, parts = parts[0], parts[1:]
		default:
			return f, bad(fmt.Sprintf("%d colon-separated part(s) where 3 or 4 are needed", len(parts)))
		}
		f.Host = parts[1]
		if f.HostPort, err = forwardPort(parts[2]); err != nil {
			return f, bad("the host's port " + err.Error())
		}
	default:
		return f, fmt.Errorf("forward kind %q: use L, R or D", string(kind))
	}
	// ssh takes port 0 for -R (the server picks one); a listener here
	// needs a port the user knows.
	if f.Port, err = forwardPort(parts[0]); err != nil {
		return f, bad("the listening port " + err.Error())
	}
	if err := f.validate(); err != nil {
		return f, bad(err.Error())
	}
	return f, nil
}

// ParseForward reads a saved forward, "L 8080:localhost:80", "R ...",
// "D 1080" (a leading - as in "-L" is allowed).
func ParseForward(text string) (Forward, error) {
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(text, "-")
	if len(text) < 2 {
		return Forward{}, fmt.Errorf("forward %q: write L, R or D and the spec, e.g. \"L 8080:localhost:80\" or \"D 1080\"", text)
	}
	kind := ForwardKind(strings.ToUpper(text[:1])[0])
	if kind != LocalForward && kind != RemoteForward && kind != DynamicForward {
		return Forward{}, fmt.Errorf("forward %q: start with L, R or D, e.g. \"L 8080:localhost:80\" or \"D 1080\"", text)
	}
	return ParseForwardSpec(kind, strings.TrimSpace(text[1:]))
}

// String is the saved form, which ParseForward reads back.
func (f Forward) String() string {
	var b strings.Builder
	b.WriteByte(byte(f.Kind))
	b.WriteByte(' ')
	b.WriteString(f.Spec())
	return b.String()
}

// Spec is the -L/-R/-D argument.
func (f Forward) Spec() string {
	var b strings.Builder
	if f.Bind != "" {
		b.WriteString(bracket(f.Bind) + ":")
	}
	b.WriteString(strconv.Itoa(f.Port))
	if f.Kind != DynamicForward {
		b.WriteString(":" + bracket(f.Host) + ":" + strconv.Itoa(f.HostPort))
	}
	return b.String()
}

// SSHConfigLine is the forward as an ssh_config line ("LocalForward 8080
// localhost:80"), which ReadSSHConfig reads back.
func (f Forward) SSHConfigLine() string {
	listen := strconv.Itoa(f.Port)
	if f.Bind != "" {
		listen = bracket(f.Bind) + ":" + listen
	}
	switch f.Kind {
	case LocalForward:
		return "LocalForward " + listen + " " + bracket(f.Host) + ":" + strconv.Itoa(f.HostPort)
	case RemoteForward:
		return "RemoteForward " + listen + " " + bracket(f.Host) + ":" + strconv.Itoa(f.HostPort)
	}
	return "DynamicForward " + listen
}

// ListenAddr is the host:port to listen on.
func (f Forward) ListenAddr() string {
	bind := f.Bind
	switch bind {
	case "":
		bind = "localhost"
	case "*":
		bind = ""
	}
	return net.JoinHostPort(bind, strconv.Itoa(f.Port))
}

// TargetAddr is the host:port each connection goes to (not for a
// DynamicForward).
func (f Forward) TargetAddr() string {
	return net.JoinHostPort(f.Host, strconv.Itoa(f.HostPort))
}

func (f Forward) validate() error {
	for _, s := range []string{f.Bind, f.Host} {
		if strings.ContainsAny(s, " \t\n/@") {
			return fmt.Errorf("%q is not a host name or address", s)
		}
	}
	if f.Kind != DynamicForward && f.Host == "" {
		return errors.New("no host")
	}
	return nil
}

func bracket(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// splitForward splits at colons outside brackets, dropping the brackets.
func splitForward(spec string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	inBracket := false
	for _, r := range spec {
		switch {
		case r == '[' && !inBracket && cur.Len() == 0:
			inBracket = true
		case r == ']' && inBracket:
			inBracket = false
		case r == ':' && !inBracket:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if inBracket {
		return nil, fmt.Errorf("%s: a [ is not closed", spec)
	}
	return append(parts, cur.String()), nil
}

func forwardPort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port 1-65535", s)
	}
	return n, nil
}

// ParseForwards reads saved forwards, one per entry.
func ParseForwards(texts []string) ([]Forward, error) {
	var fs []Forward
	for _, t := range texts {
		f, err := ParseForward(t)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// ForwardStrings is the saved form of fs.
func ForwardStrings(fs []Forward) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}
