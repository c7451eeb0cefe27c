package spa

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Send sends packet to addr as fwknop does: proto "udp" (the default) is
// one datagram; "tcp" is one connection that carries the packet and
// closes (fwknopd's ENABLE_TCP_SERVER).
func Send(ctx context.Context, proto string, addr netip.AddrPort, packet string) error {
	switch proto {
	case "", "udp", "tcp":
	default:
		return fmt.Errorf("protocol %q: SPA goes over udp or tcp", proto)
	}
	if proto == "" {
		proto = "udp"
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, proto, addr.String())
	if err != nil {
		return fmt.Errorf("sending the SPA packet to %s/%s: %w", addr, proto, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(packet)); err != nil {
		return fmt.Errorf("sending the SPA packet to %s/%s: %w", addr, proto, err)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("sending the SPA packet to %s/%s: %w", addr, proto, err)
	}
	return nil
}
