//go:build linux

package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fwknopd is Debian's real fwknopd (2.6) running in the foreground in a
// namespace.
type Fwknopd struct {
	Proc *Proc
	// Dir holds its fwknopd.conf, access.conf, pid file and digest cache.
	Dir string
}

// Fwknopd starts the real fwknopd sniffing iface (pcap, as deployed) with
// the given access.conf text; extra lines go into its fwknopd.conf (each
// "NAME value;"). It runs verbose, with its own run directory, pid file
// and replay digest cache, creates its iptables chain FWKNOP_INPUT, and is
// ready when this returns.
func (ns *NS) Fwknopd(t testing.TB, iface, accessConf string, extra ...string) *Fwknopd {
	t.Helper()
	RequireTools(t, "fwknopd", "iptables")
	dir := t.TempDir()
	conf := fmt.Sprintf("PCAP_INTF %s;\nFWKNOP_RUN_DIR %s;\n%s\n", iface, dir, strings.Join(extra, "\n"))
	for name, text := range map[string]string{"fwknopd.conf": conf, "access.conf": accessConf} {
		// fwknopd warns about files others can read.
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := ns.Start(t, "fwknopd", "-f", "-v",
		"-c", filepath.Join(dir, "fwknopd.conf"), "-a", filepath.Join(dir, "access.conf"),
		"-i", iface, "-p", filepath.Join(dir, "fwknopd.pid"), "-d", filepath.Join(dir, "digest.cache"))
	p.WaitOutput(t, "Starting fwknopd main event loop")
	return &Fwknopd{Proc: p, Dir: dir}
}

// Opened reports whether fwknopd's chain has an ACCEPT rule for src to
// proto/port.
func (f *Fwknopd) Opened(t testing.TB, ns *NS, src, proto string, port int) bool {
	t.Helper()
	out, err := ns.Try("iptables", "-w", "-S", "FWKNOP_INPUT")
	if err != nil {
		t.Fatalf("iptables -S FWKNOP_INPUT in %s: %v: %s", ns.Name, err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "-s "+src+"/32") && strings.Contains(line, "-p "+proto) &&
			strings.Contains(line, fmt.Sprintf("--dport %d", port)) && strings.Contains(line, "-j ACCEPT") {
			return true
		}
	}
	return false
}

// SesamedSPA runs sesamed (Sesamed) serving the fwknopd access.conf text
// access through Fwknop_Access, with the firewall backend firewall ("auto",
// "iptables" or "nftables") and its state in stateDir: a restart given the
// same stateDir keeps the replay cache. flags follow sesamed's own (-D
// logs the packets it refuses).
func (ns *NS) SesamedSPA(t testing.TB, iface, firewall, stateDir, access string, flags ...string) *Sesamed {
	t.Helper()
	path := filepath.Join(stateDir, "access.conf")
	if err := os.WriteFile(path, []byte(access), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("[options]\n\tlogfile = /dev/null\n\tfirewall = %s\n\tstatedir = %s\n\tfwknop_access = %s\n", firewall, stateDir, path)
	return ns.Sesamed(t, iface, conf, flags...)
}
