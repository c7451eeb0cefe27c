//go:build linux

package spa

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

const (
	testKey     = "Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk="
	testHMACKey = "FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng=="
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
