//go:build !unix && !windows

package knock

import (
	"errors"
	"net/netip"
)

func sendSYN(netip.AddrPort) error {
	return errors.New("TCP knocks are not supported on this platform")
}
