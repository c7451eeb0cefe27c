//go:build linux

package install_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
)

// failInsert puts a program called name first in PATH, for the rest of
// the test, that fails (printing msg) when asked to insert a rule (-I)
// and otherwise runs the real one.
func failInsert(t *testing.T, name, msg string) {
	t.Helper()
	real, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed", name)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nfor a; do [ \"$a\" = -I ] && { echo '" + msg + "' >&2; exit 1; }; done\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

// TestHalfAppliedBaselineUndone (issue 13, case 7): when the last step of
// the baseline fails (the IPv6 jump), every step already made — the IPv6
// chain, the IPv4 jump, chain and ipset — is undone in reverse, and
// nothing of install is left.
func TestHalfAppliedBaselineUndone(t *testing.T) {
	testnet.RequireTools(t, "ipset")
	r := newRig(t, "iptables")
	before := r.snapshot(t)
	failInsert(t, "ip6tables", "ip6tables: no room at the top")
	err := r.install(t, r.options())
	if err == nil || !strings.Contains(err.Error(), "no room at the top") {
		t.Fatalf("install = %v, want the ip6tables failure\n%s", err, r.out.String())
	}
	r.unchanged(t, "a half-applied baseline", before)
	if sets := r.p.Server.Run(t, "ipset", "list", "-n"); strings.TrimSpace(sets) != "" {
		t.Fatalf("a failed install left ipsets: %s", sets)
	}
}

// TestBaselineWithoutIPv6 (issue 13, case 7): on a host with IPv6 turned
// off, the IPv6 half of the baseline is left out, with a note, not an
// error; the IPv4 half guards the port, and uninstall takes it out.
func TestBaselineWithoutIPv6(t *testing.T) {
	testnet.RequireTools(t, "ipset")
	r := newRig(t, "iptables")
	before := r.snapshot(t)
	r.p.Server.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	if err := r.install(t, r.options()); err != nil {
		t.Fatalf("install without IPv6: %v\n%s", err, r.out.String())
	}
	if !strings.Contains(r.out.String(), "IPv6 left out of the baseline") {
		t.Fatalf("install did not say IPv6 is left out:\n%s", r.out.String())
	}
	if !firewalltest.DroppedFrom(t, r.p.Client, other, to4) {
		t.Fatal("without IPv6, install does not guard IPv4")
	}
	firewalltest.ConnectFrom(t, r.p.Client, client, to4).Close()
	if err := r.uninstall(t, r.options()); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, r.out.String())
	}
	r.unchanged(t, "install then uninstall without IPv6", before)
}
