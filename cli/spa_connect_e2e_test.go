//go:build linux

package cli_test

import (
	"encoding/base64"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/profiles"
	"sesame/server/firewall/firewalltest"
)

// spaDoor is a real sshd behind an SPA door in the server namespace,
// which opens port 22 for the address an SPA packet asks for, and a client
// with an SPA profile "gate" holding the door's keys. The door is the real
// fwknopd (Debian's 2.6, in the foreground) or sesamed serving the same
// access.conf through Fwknop_Access.
type spaDoor struct {
	*sshDoor
	fwknopd *testnet.Fwknopd
	sesamed *testnet.Sesamed
	keys    *profiles.SPAKeys
}

// The SPA doors the tests run against.
const (
	spaFwknopd = "fwknopd"
	spaSesamed = "sesamed"
)

var spaServers = []string{spaFwknopd, spaSesamed}

// newSPADoor starts fwknopd (or, with server spaSesamed, sesamed) with one
// access.conf stanza: any source, tcp/22, the source address required to
// be the one asked for (so the profile's default allow IP, the address it
// sends from, is checked), and keys of its own.
func newSPADoor(t *testing.T, server string) *spaDoor {
	t.Helper()
	if server == spaFwknopd {
		testnet.RequireTools(t, "fwknopd")
	}
	d := &spaDoor{sshDoor: newSSHHost(t)}
	var err error
	if d.keys, err = profiles.NewSPAKeys(nil); err != nil {
		t.Fatal(err)
	}
	access := "SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\n" + d.keys.AccessLines()
	switch server {
	case spaFwknopd:
		d.fwknopd = d.pair.Server.Fwknopd(t, testnet.ServerIf, access)
	case spaSesamed:
		// Auto-detection picks iptables, where the baseline drops port 22.
		d.sesamed = d.pair.Server.SesamedSPA(t, testnet.ServerIf, "auto", t.TempDir(), access, "-D")
	default:
		t.Fatalf("unknown SPA server %q", server)
	}
	return d
}

// log is the door's output: what it granted and refused.
func (d *spaDoor) log() *testnet.Proc {
	if d.sesamed != nil {
		return d.sesamed.Proc
	}
	return d.fwknopd.Proc
}

// refusedHMAC is the line the door logs for a packet whose HMAC fails.
func (d *spaDoor) refusedHMAC() string {
	if d.sesamed != nil {
		return "SPA packet matches no stanza's HMAC: " + testnet.ClientAddr4.String()
	}
	return "HMAC_COMPAREFAIL"
}

// addProfile adds the SPA profile name with keys, read from a file as
// fwknop --key-gen prints them.
func (d *spaDoor) addProfile(t *testing.T, name string, keys *profiles.SPAKeys, flags ...string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte(keys.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d.sesame(t, append([]string{"profile", "add", name, "--host", testnet.ServerAddr4.String(), "--user", "root", "--spa", file}, flags...)...)
}

// opened reports whether the door has let the client in to port 22:
// fwknopd's rule in its chain, or a connection sesamed's firewall passes.
func (d *spaDoor) opened(t *testing.T) bool {
	if d.sesamed != nil {
		return !firewalltest.Dropped(t, d.pair.Client, netip.AddrPortFrom(testnet.ServerAddr4, 22))
	}
	return d.fwknopd.Opened(t, d.pair.Server, testnet.ClientAddr4.String(), "tcp", 22)
}

// TestConnectSPAOpens: an SPA profile's connect sends a packet the real
// fwknopd, and sesamed serving the same access.conf, accept, reaches sshd
// through the door it opens, and says the door closes by itself.
func TestConnectSPAOpens(t *testing.T) {
	for _, server := range spaServers {
		t.Run(server, func(t *testing.T) {
			d := newSPADoor(t, server)
			d.trust(t)
			d.addProfile(t, "gate", d.keys)

			out, errOut, code := d.try(t, "connect", "-v", "gate", "--", "echo", "ok")
			if code != 0 || strings.TrimSpace(out) != "ok" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and ok", code, out, errOut)
			}
			if !strings.Contains(errOut, "the door closes by itself after the server's FW_ACCESS_TIMEOUT (SPA has no close packet)") {
				t.Errorf("connect -v does not say how the door closes:\n%s", errOut)
			}
			d.log().WaitOutput(t, "Added access rule")
			if !d.opened(t) {
				t.Fatal("the door is not open for the client after connect")
			}
			for _, k := range []string{d.keys.String()[12:40]} {
				if strings.Contains(out+errOut, k) {
					t.Fatal("connect printed a key")
				}
			}
		})
	}
}

// TestConnectSPAWrongKey: a profile whose HMAC key differs from the
// door's is refused by fwknopd and by sesamed, and connect says the door
// did not open.
func TestConnectSPAWrongKey(t *testing.T) {
	for _, server := range spaServers {
		t.Run(server, func(t *testing.T) {
			d := newSPADoor(t, server)
			d.trust(t)
			wrong := *d.keys
			wrong.HMACKey = append([]byte{d.keys.HMACKey[0] ^ 1}, d.keys.HMACKey[1:]...)
			d.addProfile(t, "wrong", &wrong)
			out, errOut, code := d.try(t, "connect", "wrong", "--", "echo", "ok")
			if code == 0 || strings.Contains(out, "ok") {
				t.Fatalf("exit %d, stdout %q, stderr %q: a wrong HMAC key got in", code, out, errOut)
			}
			d.log().WaitOutput(t, d.refusedHMAC())
			if d.opened(t) {
				t.Fatal("the door opened for a wrong HMAC key")
			}
		})
	}
}

// TestFwknopOpensSesamed: `sesame fwknop`, Sesamed's drop-in for fwknop,
// opens sesamed's Fwknop_Access door and sshd answers behind it; the same
// packet with a wrong HMAC key, sent first, opens nothing.
func TestFwknopOpensSesamed(t *testing.T) {
	d := newSPADoor(t, spaSesamed)
	fwknop := func(hmacKey []byte) {
		t.Helper()
		d.sesame(t, "fwknop", "--no-rc-file", "-D", testnet.ServerAddr4.String(), "-A", "tcp/22",
			"-a", testnet.ClientAddr4.String(), "--use-hmac",
			"--key-base64-rijndael", base64.StdEncoding.EncodeToString(d.keys.Key),
			"--key-base64-hmac", base64.StdEncoding.EncodeToString(hmacKey))
	}

	fwknop(append([]byte{d.keys.HMACKey[0] ^ 1}, d.keys.HMACKey[1:]...))
	d.log().WaitOutput(t, d.refusedHMAC())
	if d.opened(t) {
		t.Fatalf("sesamed opened for a wrong HMAC key:\n%s", d.log().Output())
	}

	from := d.log().Len()
	fwknop(d.keys.HMACKey)
	d.log().WaitOutputAfter(t, from, "Added access rule for "+testnet.ClientAddr4.String()+" 22/tcp")
	if b := d.pair.Client.SSHBanner(t, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
		t.Fatalf("port 22 answered %q, want an SSH banner", b)
	}
}

// TestKnockSPA: sesame knock NAME opens the fwknopd door of an SPA profile
// and says how it closes; knock --close says there is no close packet.
func TestKnockSPA(t *testing.T) {
	d := newSPADoor(t, spaFwknopd)
	d.addProfile(t, "gate", d.keys, "--spa-timeout", "20")

	_, errOut, code := d.try(t, "knock", "--close", "gate")
	if code != 1 || !strings.Contains(errOut, "closes by itself after 20 s (SPA has no close packet)") {
		t.Fatalf("knock --close: exit %d, %q", code, errOut)
	}
	if d.opened(t) {
		t.Fatal("the door is open before the knock")
	}
	if out := d.sesame(t, "knock", "-v", "gate"); !strings.Contains(out, "closes by itself after 20 s") {
		t.Errorf("knock -v does not say how the door closes:\n%s", out)
	}
	d.fwknopd.Proc.WaitOutput(t, "Added access rule")
	testnet.WaitFor(t, "fwknopd's rule for the client", func() bool { return d.opened(t) })
}

// TestProxySPA: sesame proxy, as OpenSSH's ProxyCommand, opens the
// fwknopd door of an SPA profile unchanged.
func TestProxySPA(t *testing.T) {
	d := newSPADoor(t, spaFwknopd)
	d.trust(t)
	d.addProfile(t, "gate", d.keys)
	out, err := d.openSSH(t, "gate", "echo", "via-proxy")
	if err != nil || !strings.Contains(out, "via-proxy") {
		t.Fatalf("ssh with sesame proxy: %v\n%s", err, out)
	}
	if !d.opened(t) {
		t.Fatal("no fwknopd rule for the client after the proxied session")
	}
}

// TestConnectSPAOverTCP: with --spa-proto tcp the packet goes over one TCP
// connection to fwknopd's TCP server, and the door opens the same.
func TestConnectSPAOverTCP(t *testing.T) {
	testnet.RequireTools(t, "fwknopd")
	d := &spaDoor{sshDoor: newSSHHost(t)}
	var err error
	if d.keys, err = profiles.NewSPAKeys(nil); err != nil {
		t.Fatal(err)
	}
	d.fwknopd = d.pair.Server.Fwknopd(t, testnet.ServerIf, "SOURCE ANY\nOPEN_PORTS tcp/22\n"+d.keys.AccessLines(),
		"ENABLE_TCP_SERVER Y;", "PCAP_FILTER tcp port 62201;")
	d.trust(t)
	d.addProfile(t, "gate", d.keys, "--spa-proto", "tcp")
	out, errOut, code := d.try(t, "connect", "gate", "--", "echo", "ok")
	if code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and ok", code, out, errOut)
	}
	d.fwknopd.Proc.WaitOutput(t, "Added access rule")
}
