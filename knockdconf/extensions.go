package knockdconf

// sesamed's extension keys. They are new keys, never new meanings for
// knockd's: a knockd.conf without them means exactly what it means to
// knockd. knockd itself refuses a file that uses them ("syntax error"), so a
// config that uses them is a sesamed config.
//
//	[options]
//	    Firewall        = auto | iptables | nftables
//	[door]
//	    Open_Ports      = 22,60001:udp   ports to open for the knocking address, no shell
//	    Access_Time     = 10             seconds the rule stays after the last knock (0: until closed)
//	    Close_When_Idle = 300            remove the rule after this long without an established connection
//	    Close_Sequence  = 9000,8000,7000 knocked from the same address, removes the rule
//	    Cooldown        = 2              seconds a door ignores the address it just opened for

import (
	"fmt"
	"strings"
	"time"

	"sesame/knocker"
)

// Defaults of the extension keys.
const (
	// DefaultAccessTime matches knockd's default Cmd_Timeout: the native
	// rule lets the client connect and then goes, as the guides' start and
	// stop commands do; the established connection stays.
	DefaultAccessTime = 10 * time.Second
	// DefaultCooldown swallows the retransmits and repeated datagrams that
	// follow a door's last knock.
	DefaultCooldown = 2 * time.Second
)

// Firewall backends for the Firewall option.
const (
	FirewallAuto     = "auto"
	FirewallIPTables = "iptables"
	FirewallNFTables = "nftables"
)

// Port is a port and protocol the native open action opens.
type Port struct {
	Port  uint16
	Proto knocker.Proto
}

// String prints the port as "22/tcp".
func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Port, p.Proto) }

// HasNativeOpen reports whether the door opens ports itself (Open_Ports)
// rather than only through commands.
func (d *Door) HasNativeOpen() bool { return len(d.OpenPorts) > 0 }

func parseFirewall(v string) (string, error) {
	switch s := strings.ToLower(v); s {
	case FirewallAuto, FirewallIPTables, FirewallNFTables:
		return s, nil
	}
	return "", fmt.Errorf("%q is not a firewall backend: use auto, iptables or nftables", v)
}

// ParsePorts reads an Open_Ports value: PORT[:tcp|udp] elements separated
// by commas, TCP by default, as in Sequence.
func ParsePorts(v string) ([]Port, error) {
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("is empty: give ports, e.g. 22 or 22,60001:udp")
	}
	var ports []Port
	seen := map[Port]bool{}
	for _, tok := range strings.Split(v, ",") {
		st, err := knocker.ParseStep(tok)
		if err != nil {
			if te, ok := err.(*knocker.TokenError); ok {
				return nil, fmt.Errorf("has a bad port %q: %s", te.Token, te.Reason)
			}
			return nil, err
		}
		if st.GapSet {
			return nil, fmt.Errorf("has a gap (@) in %q: gaps belong to knock sequences, not to ports", strings.TrimSpace(tok))
		}
		p := Port{Port: st.Port, Proto: st.Proto}
		if seen[p] {
			return nil, fmt.Errorf("lists %s twice", p)
		}
		seen[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

func (p *parser) setExtensionKey(key, raw, value string) error {
	d := p.door
	switch key {
	case "OPEN_PORTS":
		ports, err := ParsePorts(value)
		if err != nil {
			return p.errorf("%s %v", raw, err)
		}
		d.OpenPorts = ports
	case "ACCESS_TIME", "CLOSE_WHEN_IDLE", "COOLDOWN":
		t, err := seconds(value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		switch key {
		case "ACCESS_TIME":
			d.AccessTime = t
		case "CLOSE_WHEN_IDLE":
			d.CloseWhenIdle = t
		case "COOLDOWN":
			if t > time.Minute {
				return p.errorf("%s = %s would ignore the address for more than a minute after it opens the door: give a few seconds, e.g. %s = 2", raw, value, raw)
			}
			d.Cooldown = t
		}
	case "CLOSE_SEQUENCE":
		seq, ignored, err := parseDoorSequence(value)
		if err != nil {
			return p.errorf("%s %v", raw, err)
		}
		p.warnIgnored(raw, ignored)
		if len(seq) > MaxSequence {
			return p.errorf("%s has %d knocks: at most %d, as for Sequence", raw, len(seq), MaxSequence)
		}
		d.CloseSequence = seq
	}
	return nil
}

// finishExtensions checks what the extension keys need from each other,
// once the whole door is read.
func (p *parser) finishExtensions() error {
	for _, d := range p.cfg.Doors {
		keyLine := func(key string) int { return p.keyLine(d, key) }
		if !d.HasNativeOpen() {
			for _, k := range []string{"ACCESS_TIME", "CLOSE_WHEN_IDLE", "CLOSE_SEQUENCE"} {
				if line := keyLine(k); line > 0 {
					return &Error{File: p.cfg.File, Line: line, Msg: fmt.Sprintf("%s in door [%s] needs Open_Ports: it applies to the ports sesamed opens itself (add e.g. Open_Ports = 22)", displayKey(k), d.Name)}
				}
			}
			continue
		}
		if len(d.CloseSequence) > 0 && d.CloseSequence.Equal(d.Sequence) {
			return &Error{File: p.cfg.File, Line: keyLine("CLOSE_SEQUENCE"), Msg: fmt.Sprintf("door [%s] has the same Close_Sequence as Sequence: the door could never stay open; use another order, e.g. the reverse", d.Name)}
		}
		if d.CloseWhenIdle > 0 && d.AccessTime > 0 && d.CloseWhenIdle >= d.AccessTime {
			p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s:%d: door [%s] has Close_When_Idle (%s) not shorter than Access_Time (%s), so the idle check never closes it first; set Access_Time = 0 to keep the rule while it is used", p.cfg.File, keyLine("CLOSE_WHEN_IDLE"), d.Name, d.CloseWhenIdle, d.AccessTime))
		}
	}
	return nil
}
