package install

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// session is the SSH session install runs in, from SSH_CONNECTION.
type session struct {
	Client     netip.Addr
	ServerPort uint16
}

// parseSSHConnection reads SSH_CONNECTION ("client-ip client-port
// server-ip server-port"). An empty value means no SSH session: ok is
// false and err nil.
func parseSSHConnection(v string) (s session, ok bool, err error) {
	if strings.TrimSpace(v) == "" {
		return session{}, false, nil
	}
	f := strings.Fields(v)
	if len(f) != 4 {
		return session{}, false, fmt.Errorf("SSH_CONNECTION %q: want \"client-ip client-port server-ip server-port\"", v)
	}
	client, err := netip.ParseAddr(f[0])
	if err != nil {
		return session{}, false, fmt.Errorf("SSH_CONNECTION %q: client address: %w", v, err)
	}
	port, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || port == 0 {
		return session{}, false, fmt.Errorf("SSH_CONNECTION %q: server port %q: want 1 to 65535", v, f[3])
	}
	return session{Client: client.Unmap().WithZone(""), ServerPort: uint16(port)}, true, nil
}
