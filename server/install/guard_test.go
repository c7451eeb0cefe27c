//go:build linux

package install_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/server/install"
)

// TestReadGuard: the install record sesamed --guard reads, and the errors
// that name what is wrong with it.
func TestReadGuard(t *testing.T) {
	for _, tc := range []struct {
		name, record, want, err string
	}{
		{name: "nftables", record: `{"backend":"nftables","port":22,"proto":"tcp","allowed":["192.0.2.2/32","2001:db8::/64"]}`,
			want: "nftables  tcp/22 [192.0.2.2/32 2001:db8::/64]"},
		{name: "iptables legacy", record: `{"backend":"iptables","variant":"legacy","port":51820,"proto":"udp"}`,
			want: "iptables legacy udp/51820 []"},
		{name: "not json", record: `{"backend"`, err: "is not an install record"},
		{name: "unknown backend", record: `{"backend":"pf","port":22,"proto":"tcp"}`, err: `firewall backend "pf"`},
		{name: "no port", record: `{"backend":"nftables","proto":"tcp"}`, err: "port 0"},
		{name: "bad protocol", record: `{"backend":"nftables","port":22,"proto":"icmp"}`, err: "protocol"},
		{name: "bad source", record: `{"backend":"nftables","port":22,"proto":"tcp","allowed":["192.0.2.300/32"]}`, err: `allowed source "192.0.2.300/32"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "install.json")
			if err := os.WriteFile(path, []byte(tc.record), 0o600); err != nil {
				t.Fatal(err)
			}
			c, g, err := install.ReadGuard(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("ReadGuard = %v, want an error naming %s and saying %q", err, path, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			allowed := make([]string, len(g.Allow))
			for i, a := range g.Allow {
				allowed[i] = a.String()
			}
			got := fmt.Sprintf("%s %s %s/%d [%s]", c.Name, c.Variant, g.Proto, g.Port, strings.Join(allowed, " "))
			if got != tc.want {
				t.Fatalf("ReadGuard = %q, want %q", got, tc.want)
			}
		})
	}
	if _, _, err := install.ReadGuard(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "run sesamed install") {
		t.Fatalf("ReadGuard of a missing file = %v, want an error saying to install", err)
	}
}
