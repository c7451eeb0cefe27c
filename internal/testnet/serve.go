//go:build linux

package testnet

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Listen listens on TCP addr inside the namespace until the test ends.
func (ns *NS) Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	if err := ns.Do(func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns.Name, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// ServeGreeting runs, on addr inside the namespace, a service that greets
// each connection with greeting and a line, then echoes what it reads
// until EOF: the far end of a port forward.
func (ns *NS) ServeGreeting(t testing.TB, addr, greeting string) {
	t.Helper()
	l := ns.Listen(t, addr)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.WriteString(c, greeting+"\n")
				_, _ = io.Copy(c, c)
			}()
		}
	}()
}

// Greeting dials addr from the namespace and returns the service's first
// line (ServeGreeting's greeting), and the connection, still open.
func (ns *NS) Greeting(t testing.TB, addr string) (string, net.Conn) {
	t.Helper()
	c, err := ns.Dial(netip.MustParseAddrPort(addr), Await)
	if err != nil {
		t.Fatalf("dial %s in %s: %v", addr, ns.Name, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(Await))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		c.Close()
		t.Fatalf("read from %s in %s: %v", addr, ns.Name, err)
	}
	return strings.TrimSpace(line), c
}
