//go:build !unix

package sshlaunch

import "net/netip"

// probe does not probe here: the flow never says the door was already
// open.
type probe struct{}

func startProbe(netip.AddrPort) *probe { return nil }
func (*probe) wasOpen() bool           { return false }
func (*probe) stop()                   {}
