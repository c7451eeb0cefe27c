//go:build linux

package spa

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// accessConf is an fwknopd access.conf for the test keys.
func accessConf(extra ...string) string {
	return fmt.Sprintf("SOURCE ANY\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nFW_ACCESS_TIMEOUT 60\n%s\n", testKey, testHMACKey, strings.Join(extra, "\n"))
}

// sendUDP sends one datagram from inside ns.
func sendUDP(t testing.TB, ns *testnet.NS, to netip.AddrPort, payload []byte) {
	t.Helper()
	err := ns.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write(payload)
		return err
	})
	if err != nil {
		t.Fatalf("send to %v from %s: %v", to, ns.Name, err)
	}
}

// TestRealFwknopdAcceptsEncode: the real fwknopd opens its firewall for a
// packet Encode made, and opens nothing for a wrong HMAC, a replay, or a
// packet 10 minutes old. Each refusal is awaited as fwknopd's own log line.
func TestRealFwknopdAcceptsEncode(t *testing.T) {
	p := testnet.NewPair(t)
	d := p.Server.Fwknopd(t, testnet.ServerIf, accessConf())
	to := netip.AddrPortFrom(testnet.ServerAddr4, DefaultPort)
	keys, err := KeysFromBase64(testKey, testHMACKey)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(allow string, at time.Time, k Keys) []byte {
		t.Helper()
		pkt, err := Encode(Message{User: "root", Time: at, Access: allow + ",tcp/22"}, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(pkt)
	}

	good := encode("192.0.2.2", time.Now(), keys)
	sendUDP(t, p.Client, to, good)
	d.Proc.WaitOutput(t, "Added access rule to FWKNOP_INPUT for 192.0.2.2")
	if !d.Opened(t, p.Server, "192.0.2.2", "tcp", 22) {
		t.Fatalf("fwknopd logged the rule but iptables has none:\n%s", p.Server.Run(t, "iptables", "-S"))
	}
	// fwknopd keys its replay cache as ReplayDigest does.
	cache, err := os.ReadFile(filepath.Join(d.Dir, "digest.cache"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cache), ReplayDigest(good)+" ") {
		t.Fatalf("fwknopd's digest cache has no line for ReplayDigest %s:\n%s", ReplayDigest(good), cache)
	}

	wrongHMAC := keys
	wrongHMAC.HMACKey = bytes.Repeat([]byte{1}, 64)
	for _, c := range []struct {
		name   string
		allow  string
		packet []byte
		log    string // fwknopd's line for the refusal
	}{
		{"wrong HMAC", "192.0.2.50", encode("192.0.2.50", time.Now(), wrongHMAC), "HMAC"},
		{"10 minutes old", "192.0.2.51", encode("192.0.2.51", time.Now().Add(-10*time.Minute), keys), "time difference"},
		{"replay", "192.0.2.2", good, "Replay"},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := d.Proc.Len()
			sendUDP(t, p.Client, to, c.packet)
			d.Proc.WaitOutputAfter(t, from, c.log)
			if c.allow != "192.0.2.2" && d.Opened(t, p.Server, c.allow, "tcp", 22) {
				t.Fatalf("fwknopd opened for %s", c.allow)
			}
			if strings.Contains(d.Proc.Output()[from:], "Added access rule") {
				t.Fatalf("fwknopd added a rule:\n%s", d.Proc.Output()[from:])
			}
		})
	}
}

// TestDecodeLiveFwknop: what the real fwknop sends over the wire (here to
// a loopback port), Decode reads, field by field.
func TestDecodeLiveFwknop(t *testing.T) {
	testnet.RequireTools(t, "fwknop")
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	before := time.Now().Add(-time.Second)
	out, err := exec.Command("fwknop", "--no-rc-file", "--no-save-args", "-A", "tcp/22,udp/53", "-a", "192.0.2.7",
		"-D", "127.0.0.1", "-p", fmt.Sprint(port), "-f", "90", "-U", "carol",
		"--key-base64-rijndael", testKey, "--key-base64-hmac", testHMACKey).CombinedOutput()
	if err != nil {
		t.Fatalf("fwknop: %v: %s", err, out)
	}
	_ = conn.SetReadDeadline(time.Now().Add(testnet.Await))
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := KeysFromBase64(testKey, testHMACKey)
	m, err := Decode(buf[:n], keys)
	if err != nil {
		t.Fatal(err)
	}
	if m.Access != "192.0.2.7,tcp/22,udp/53" || m.User != "carol" || m.ClientTimeout != 90 || m.Type != ClientTimeoutAccessMsg ||
		m.Version != ProtocolVersion || m.Digest != SHA256 || m.Time.Before(before.Truncate(time.Second)) || m.Time.After(time.Now()) {
		t.Fatalf("decoded %+v", m)
	}
}
