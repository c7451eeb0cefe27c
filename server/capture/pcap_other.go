//go:build !(linux && cgo)

package capture

import (
	"context"
	"errors"

	"sesame/server/packet"
)

// Available reports whether this build can capture.
const Available = false

// ErrUnavailable is what Open returns in a build without libpcap.
var ErrUnavailable = errors.New("this sesamed was built without libpcap: build it on Linux with cgo (CGO_ENABLED=1 and libpcap-dev installed)")

// Handle is an open capture on one interface.
type Handle struct{}

// Open fails: packet capture needs libpcap through cgo, on Linux.
func Open(iface, filter string) (*Handle, error) { return nil, ErrUnavailable }

// LinkType is the interface's link type.
func (c *Handle) LinkType() packet.LinkType { return 0 }

// SetFilter replaces the filter.
func (c *Handle) SetFilter(filter string) <-chan struct{} {
	done := make(chan struct{})
	close(done)
	return done
}

// Stats returns libpcap's counters.
func (c *Handle) Stats() (received, dropped int, err error) { return 0, 0, ErrUnavailable }

// Run reads packets until ctx ends.
func (c *Handle) Run(ctx context.Context, fn func(data []byte)) error { return ErrUnavailable }

// Close ends the capture.
func (c *Handle) Close() {}
