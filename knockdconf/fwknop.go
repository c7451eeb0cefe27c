package knockdconf

// sesamed's fwknop keys, in [options]: sesamed serves fwknopd's
// access.conf beside the doors.
//
//	[options]
//	    Fwknop_Access = /etc/fwknop/access.conf   serve its SOURCE stanzas (SPA)
//	    Fwknop_Port   = 62201/udp                 where SPA packets come (the default)

import (
	"fmt"
	"strconv"
	"strings"

	"sesame/knocker"
)

// DefaultFwknopPort is fwknop's default SPA port.
var DefaultFwknopPort = Port{Port: 62201, Proto: knocker.UDP}

// FwknopPort is the port SPA packets are captured on: Fwknop_Port, else
// 62201/udp.
func (c *Config) FwknopPort() Port {
	if c.FwknopPortSet.Port != 0 {
		return c.FwknopPortSet
	}
	return DefaultFwknopPort
}

// parseFwknopPort reads Fwknop_Port: PORT, or PORT/udp as fwknopd.conf
// writes it. SPA over TCP needs a TCP server that answers (fwknopd's
// ENABLE_TCP_SERVER); sesamed only captures, so it is refused.
func parseFwknopPort(v string) (Port, error) {
	port, proto, hasProto := strings.Cut(strings.TrimSpace(v), "/")
	if !hasProto {
		port, proto, hasProto = strings.Cut(port, ":")
	}
	if hasProto && !strings.EqualFold(strings.TrimSpace(proto), "udp") {
		return Port{}, fmt.Errorf("%q: sesamed takes SPA packets over UDP only (fwknop's default); write e.g. Fwknop_Port = 62201/udp", v)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(port), 10, 16)
	if err != nil || n == 0 {
		return Port{}, fmt.Errorf("%q is not a port from 1 to 65535: write e.g. Fwknop_Port = 62201/udp", v)
	}
	return Port{Port: uint16(n), Proto: knocker.UDP}, nil
}

func (p *parser) setFwknopOption(key, value string) error {
	switch key {
	case "FWKNOP_ACCESS":
		if value == "" {
			return p.errorf("Fwknop_Access is empty: give fwknopd's access file, e.g. Fwknop_Access = /etc/fwknop/access.conf")
		}
		p.cfg.FwknopAccess = value
	case "FWKNOP_PORT":
		port, err := parseFwknopPort(value)
		if err != nil {
			return p.errorf("Fwknop_Port %v", err)
		}
		p.cfg.FwknopPortSet = port
		p.fwknopPortLine = p.line
	}
	return nil
}

// finishFwknop checks the fwknop keys against each other and the doors.
func (p *parser) finishFwknop() error {
	c := p.cfg
	if c.FwknopPortSet.Port != 0 && c.FwknopAccess == "" {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: Fwknop_Port is set without Fwknop_Access, so sesamed serves no SPA: add Fwknop_Access = /etc/fwknop/access.conf", c.File, p.fwknopPortLine))
	}
	if c.FwknopAccess == "" {
		return nil
	}
	spa := c.FwknopPort()
	for _, d := range c.Doors {
		for _, st := range d.Sequence {
			if st.Port == spa.Port && st.Proto == spa.Proto {
				return &Error{File: c.File, Line: d.Line, Msg: fmt.Sprintf("door [%s] knocks on %s, the SPA port: move the door or Fwknop_Port", d.Name, spa)}
			}
		}
	}
	return nil
}

// NeedsNative reports whether the config uses sesamed's native open
// action: a door with Open_Ports, or SPA (whose grants always open
// natively).
func (c *Config) NeedsNative() bool {
	if c.FwknopAccess != "" {
		return true
	}
	for _, d := range c.Doors {
		if d.HasNativeOpen() {
			return true
		}
	}
	return false
}
