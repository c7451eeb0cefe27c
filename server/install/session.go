package install

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Session is the SSH session install runs in, from SSH_CONNECTION.
type Session struct {
	Client     netip.Addr
	ServerPort uint16
}

// ParseSSHConnection reads SSH_CONNECTION ("client-ip client-port
// server-ip server-port"). An empty value means no SSH session: ok is
// false and err nil.
func ParseSSHConnection(v string) (s Session, ok bool, err error) {
	if strings.TrimSpace(v) == "" {
		return Session{}, false, nil
	}
	f := strings.Fields(v)
	if len(f) != 4 {
		return Session{}, false, fmt.Errorf("SSH_CONNECTION %q: want \"client-ip client-port server-ip server-port\"", v)
	}
	client, err := netip.ParseAddr(f[0])
	if err != nil {
		return Session{}, false, fmt.Errorf("SSH_CONNECTION %q: client address: %w", v, err)
	}
	port, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || port == 0 {
		return Session{}, false, fmt.Errorf("SSH_CONNECTION %q: server port %q: want 1 to 65535", v, f[3])
	}
	return Session{Client: client.Unmap().WithZone(""), ServerPort: uint16(port)}, true, nil
}
