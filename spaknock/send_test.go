package spaknock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"sesame/knock"
	"sesame/knocker"
	"sesame/profiles"
	"sesame/spa"
)

// listen is a loopback UDP socket standing in for the server's SPA port.
func listen(t *testing.T) (*net.UDPConn, int) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

func receive(t *testing.T, c *net.UDPConn) []byte {
	t.Helper()
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// TestSend: the packet decodes with the profile's keys to the message the
// profile asks for: the allow IP (by default the address it left from),
// the access, the timeout and the user; the Sent event reports it as one
// knock.
func TestSend(t *testing.T) {
	keys, err := profiles.NewSPAKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		spa        profiles.SPA
		wantAccess string
	}{
		{"defaults: the address sent from, the SSH port", profiles.SPA{}, "127.0.0.1,tcp/2222"},
		{"source", profiles.SPA{AllowIP: profiles.AllowSource, Access: "tcp/22,udp/53", Timeout: 30, User: "ops"}, "0.0.0.0,tcp/22,udp/53"},
		{"a fixed address", profiles.SPA{AllowIP: "192.0.2.7"}, "192.0.2.7,tcp/2222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, port := listen(t)
			s := tt.spa
			s.Port = port
			p := &profiles.Profile{Name: "gate", Host: "127.0.0.1", Port: 2222, SPA: &s, Secrets: profiles.Secrets{SPA: keys}}
			var events []knock.Event
			err := Send(context.Background(), netip.MustParseAddr("127.0.0.1"), p, Options{
				Progress: func(ev knock.Event) { events = append(events, ev) },
				Now:      func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			m, err := spa.Decode(receive(t, c), keys.Keys())
			if err != nil {
				t.Fatal(err)
			}
			wantUser := cmpOr(tt.spa.User, spaUser(""))
			if m.Access != tt.wantAccess || m.ClientTimeout != tt.spa.Timeout || m.User != wantUser || !m.Time.Equal(now) {
				t.Errorf("sent %+v, want access %q, timeout %d, user %q", m, tt.wantAccess, tt.spa.Timeout, wantUser)
			}
			if len(events) != 1 || events[0].Kind != knock.Sent || events[0].Step != 1 || events[0].Total != 1 ||
				events[0].Knock != (knocker.Step{Port: uint16(port), Proto: knocker.UDP}) {
				t.Errorf("events %+v", events)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestSendRefuses: a profile without SPA, and a packet that would ask for
// an IPv6 address (fwknop 2.6 asks for IPv4 only), send nothing, with an
// error that says what to do and never quotes a key.
func TestSendRefuses(t *testing.T) {
	keys, _ := profiles.NewSPAKeys(nil)
	err := Send(context.Background(), netip.MustParseAddr("127.0.0.1"), &profiles.Profile{Name: "web"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "not an SPA profile") {
		t.Errorf("Send of a sequence profile = %v", err)
	}
	if _, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback here:", err)
	}
	p := &profiles.Profile{Name: "gate", Host: "::1", SPA: &profiles.SPA{Port: 9}, Secrets: profiles.Secrets{SPA: keys}}
	err = Send(context.Background(), netip.MustParseAddr("::1"), p, Options{})
	if err == nil || !strings.Contains(err.Error(), `set the profile's SPA allow IP to "source"`) {
		t.Errorf("Send from an IPv6 address = %v", err)
	}
	var ke *knock.KnockError
	if errors.As(err, &ke) {
		t.Errorf("the refusal is a send error: %v", err)
	}
}
