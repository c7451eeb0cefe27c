//go:build linux

package install

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"

	"sesame/knocker"
	"sesame/server/firewall"
)

// guardRecord is the part of the install record (install.json) that
// `sesamed --guard` reads: which backend install chose, and the baseline.
type guardRecord struct {
	Backend string   `json:"backend"`
	Variant string   `json:"variant"`
	Port    uint16   `json:"port"`
	Proto   string   `json:"proto"`
	Allowed []string `json:"allowed"`
}

// ReadGuard reads the baseline an install recorded in path, for the
// daemon to keep in place (sesamed --guard): the backend install chose and
// the guard. Its errors name the file and what to fix in it.
func ReadGuard(path string) (firewall.Choice, firewall.Guard, error) {
	var (
		rec guardRecord
		c   firewall.Choice
		g   firewall.Guard
	)
	b, err := os.ReadFile(path)
	if err != nil {
		return c, g, fmt.Errorf("guard: %w (run sesamed install, or leave --guard out)", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return c, g, fmt.Errorf("guard: %s is not an install record: %w (run sesamed uninstall --force, then install again)", path, err)
	}
	if rec.Backend != "nftables" && rec.Backend != "iptables" {
		return c, g, fmt.Errorf("guard: %s: firewall backend %q: want nftables or iptables", path, rec.Backend)
	}
	proto, err := knocker.ParseProto(rec.Proto)
	if err != nil {
		return c, g, fmt.Errorf("guard: %s: protocol: %w", path, err)
	}
	g = firewall.Guard{Port: rec.Port, Proto: proto}
	for _, a := range rec.Allowed {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			return c, g, fmt.Errorf("guard: %s: allowed source %q: %w", path, a, err)
		}
		g.Allow = append(g.Allow, p)
	}
	if err := g.Validate(); err != nil {
		return c, g, fmt.Errorf("%w (in %s)", err, path)
	}
	c = firewall.Choice{Name: rec.Backend, Variant: rec.Variant, Reason: "recorded by sesamed install in " + path}
	return c, g, nil
}
