// Package spaknock opens the door of an SPA profile: it builds the
// profile's fwknop Single Packet Authorization packet (package spa) and
// sends it to the server's SPA port, reporting it as a one-knock sequence,
// so that the connect flow, sesame knock, the app and the tray show it as
// they show a knock.
package spaknock

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spa"
)

// Options tune Send. The zero value uses the clock, crypto/rand and the
// local user name.
type Options struct {
	// Progress, when set, gets the packet's Sent event (Step 1 of 1, the
	// server's port and protocol).
	Progress func(knock.Event)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand draws the packet's random value and salt; nil means
	// crypto/rand.
	Rand io.Reader
}

// Send builds p's SPA packet for the server at addr and sends it. The
// packet asks for p.SPA's ports, for the address this computer sends it
// from (or p.SPA.AllowIP), for p.SPA.Timeout seconds. Errors never quote
// the keys.
func Send(ctx context.Context, addr netip.Addr, p *profiles.Profile, opts Options) error {
	s, keys := p.SPA, p.Secrets.SPA
	if s == nil || keys == nil {
		return fmt.Errorf("profile %q is not an SPA profile (no SPA settings or keys)", p.Name)
	}
	port, proto := s.ServerPort()
	dst := netip.AddrPortFrom(addr.Unmap(), uint16(port))
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	step := knocker.Step{Port: uint16(port), Proto: knockProto(proto)}
	sendErr := func(err error) error {
		return &knock.KnockError{Step: 1, Total: 1, Knock: step, Addr: dst.Addr(), Err: err}
	}
	conn, err := dial(ctx, proto, dst)
	if err != nil {
		return sendErr(err)
	}
	defer conn.Close()
	allow, err := allowIP(s.AllowIP, conn.LocalAddr())
	if err != nil {
		return err
	}
	m := spa.Message{
		User:          spaUser(s.User),
		Time:          now(),
		Access:        allow.String() + "," + s.AccessFor(p.SSHPort()),
		ClientTimeout: s.Timeout,
	}
	packet, err := spa.Encode(m, keys.Keys(), opts.Rand)
	if err != nil {
		return fmt.Errorf("profile %q: build the SPA packet: %w", p.Name, err)
	}
	if _, err := conn.Write([]byte(packet)); err != nil {
		return sendErr(err)
	}
	if opts.Progress != nil {
		opts.Progress(knock.Event{Kind: knock.Sent, Step: 1, Total: 1, Addr: dst.Addr(), Knock: step, At: now()})
	}
	return nil
}

// dial makes the socket the packet goes out on: a connected UDP socket
// (which sends nothing until written to, and knows its source address),
// or a TCP connection to a server that listens for SPA over TCP (fwknop
// -P tcp).
func dial(ctx context.Context, proto string, dst netip.AddrPort) (net.Conn, error) {
	// A TCP server that does not answer is given up on as a knock would
	// be, not after the kernel's two minutes of retries.
	d := net.Dialer{Timeout: dialTimeout}
	return d.DialContext(ctx, proto, dst.String())
}

// dialTimeout bounds the TCP connection an SPA packet over TCP goes on.
const dialTimeout = 10 * time.Second

// allowIP is the address the packet asks the server to open for: the
// profile's fixed one, 0.0.0.0 for AllowSource (the server takes the
// packet's source), else local, the address the packet leaves from.
func allowIP(setting string, local net.Addr) (netip.Addr, error) {
	switch setting {
	case profiles.AllowSource:
		return netip.IPv4Unspecified(), nil
	case "":
		ap, err := netip.ParseAddrPort(local.String())
		if err != nil {
			return netip.Addr{}, fmt.Errorf("the SPA packet's source address %s: %w", local, err)
		}
		a := ap.Addr().Unmap()
		if !a.Is4() {
			return netip.Addr{}, fmt.Errorf("the SPA packet leaves from %s, and an SPA packet (fwknop 2.6) can only ask for an IPv4 address: set the profile's SPA allow IP to %q (the address the server sees) or to an IPv4 address", a.WithZone(""), profiles.AllowSource)
		}
		return a, nil
	}
	a, err := netip.ParseAddr(setting)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("the SPA allow IP %q: %w", setting, err)
	}
	return a, nil
}

// spaUser is the user name in the packet: the profile's, else the local
// login name, as fwknop sends it.
func spaUser(name string) string {
	if name != "" {
		return name
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "sesame"
}

func knockProto(proto string) knocker.Proto {
	if proto == "tcp" {
		return knocker.TCP
	}
	return knocker.UDP
}

// Describe names the packet for a progress row or the details of p:
// "SPA packet to UDP 62201".
func Describe(p *profiles.Profile) string {
	port, proto := p.SPA.ServerPort()
	return "SPA packet to " + strings.ToUpper(proto) + " " + strconv.Itoa(port)
}
