//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/profiles"
)

// spaDoor is a real sshd behind the real fwknopd (Debian's 2.6, in the
// foreground in the server namespace), which opens port 22 for the
// address an SPA packet asks for, and a client with an SPA profile
// "gate" holding the door's keys.
type spaDoor struct {
	*sshDoor
	fwknopd *testnet.Fwknopd
	keys    *profiles.SPAKeys
}

// newSPADoor starts fwknopd with one access.conf stanza: any source,
// tcp/22, the source address required to be the one asked for (so the
// profile's default allow IP, the address it sends from, is checked), and
// keys of its own.
func newSPADoor(t *testing.T) *spaDoor {
	t.Helper()
	testnet.RequireTools(t, "fwknopd")
	d := &spaDoor{sshDoor: newSSHHost(t)}
	var err error
	if d.keys, err = profiles.NewSPAKeys(nil); err != nil {
		t.Fatal(err)
	}
	access := "SOURCE ANY\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\n" + d.keys.AccessLines()
	d.fwknopd = d.pair.Server.Fwknopd(t, testnet.ServerIf, access)
	return d
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

// opened reports whether fwknopd has let the client in to port 22.
func (d *spaDoor) opened(t *testing.T) bool {
	return d.fwknopd.Opened(t, d.pair.Server, testnet.ClientAddr4.String(), "tcp", 22)
}

// TestConnectSPAOpensFwknopd: an SPA profile's connect sends a packet the
// real fwknopd accepts, reaches sshd through the door it opens, and says
// the door closes by itself; a profile with another HMAC key opens
// nothing.
func TestConnectSPAOpensFwknopd(t *testing.T) {
	d := newSPADoor(t)
	d.trust(t)
	d.addProfile(t, "gate", d.keys)

	out, errOut, code := d.try(t, "connect", "-v", "gate", "--", "echo", "ok")
	if code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and ok", code, out, errOut)
	}
	if !strings.Contains(errOut, "the door closes by itself after the server's FW_ACCESS_TIMEOUT (SPA has no close packet)") {
		t.Errorf("connect -v does not say how the door closes:\n%s", errOut)
	}
	d.fwknopd.Proc.WaitOutput(t, "Added access rule")
	if !d.opened(t) {
		t.Fatal("no fwknopd rule for the client after connect")
	}
	for _, k := range []string{d.keys.String()[12:40]} {
		if strings.Contains(out+errOut, k) {
			t.Fatal("connect printed a key")
		}
	}
}

// TestConnectSPAWrongKey: a profile whose HMAC key differs from the
// door's is refused by fwknopd, and connect says the door did not open.
func TestConnectSPAWrongKey(t *testing.T) {
	d := newSPADoor(t)
	d.trust(t)
	wrong := *d.keys
	wrong.HMACKey = append([]byte{d.keys.HMACKey[0] ^ 1}, d.keys.HMACKey[1:]...)
	d.addProfile(t, "wrong", &wrong)
	out, errOut, code := d.try(t, "connect", "wrong", "--", "echo", "ok")
	if code == 0 || strings.Contains(out, "ok") {
		t.Fatalf("exit %d, stdout %q, stderr %q: a wrong HMAC key got in", code, out, errOut)
	}
	d.fwknopd.Proc.WaitOutput(t, "HMAC_COMPAREFAIL")
	if d.opened(t) {
		t.Fatal("fwknopd opened the door for a wrong HMAC key")
	}
}

// TestKnockSPA: sesame knock NAME opens the fwknopd door of an SPA profile
// and says how it closes; knock --close says there is no close packet.
func TestKnockSPA(t *testing.T) {
	d := newSPADoor(t)
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
	d := newSPADoor(t)
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
