//go:build linux

package cli_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// Test keys only: they protect nothing.
const (
	e2eKey  = "Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk="
	e2eHMAC = "FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng=="
	// otherHMAC is another valid HMAC key, which fwknopd must refuse.
	otherHMAC = "Q5O53NOlNBH9J7v8kUijdsGIuv7LCZMPAiOmUNP+20YTNdzmXr6FDj70ETHDPiqr4FKlGBtP3eXa17hG30sWsw=="
)

// TestFwknopOpensRealFwknopd: `sesame fwknop` makes Debian's real fwknopd
// open its firewall, and sshd behind it answers; a wrong HMAC key, a
// packet 10 minutes old and a replayed packet open nothing (each refusal
// awaited as fwknopd's own log line).
func TestFwknopOpensRealFwknopd(t *testing.T) {
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "fwknopd", "iptables")
	sesame := testnet.Binary(t, "sesame", "headless")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	p.Server.SSHD(t)
	d := p.Server.Fwknopd(t, testnet.ServerIf,
		fmt.Sprintf("SOURCE ANY\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nFW_ACCESS_TIMEOUT 60\n", e2eKey, e2eHMAC))
	srv := testnet.ServerAddr4.String()
	client := testnet.ClientAddr4.String()
	fwknop := func(hmacKey string, args ...string) string {
		t.Helper()
		argv := append([]string{"fwknop", "-D", srv, "-A", "tcp/22", "--no-rc-file",
			"--key-base64-rijndael", e2eKey, "--key-base64-hmac", hmacKey}, args...)
		return p.Client.Run(t, sesame, argv...)
	}

	if c, err := p.Client.Dial(netip.AddrPortFrom(testnet.ServerAddr4, 22), 500*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("port 22 answered before the SPA packet: the baseline firewall is not in place")
	}
	saved := filepath.Join(t.TempDir(), "spa.txt")
	fwknop(e2eHMAC, "-a", client, "-B", saved)
	d.Proc.WaitOutput(t, "Added access rule to FWKNOP_INPUT for "+client)
	if !d.Opened(t, p.Server, client, "tcp", 22) {
		t.Fatalf("fwknopd logged a rule but iptables has none:\n%s", p.Server.Run(t, "iptables", "-S"))
	}
	if b := p.Client.SSHBanner(t, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
		t.Fatalf("port 22 answered %q, want an SSH banner", b)
	}

	// -s: the server opens for the packet's source address.
	from := d.Proc.Len()
	p.Client.Run(t, sesame, "fwknop", "-D", srv, "-A", "tcp/2222", "-s", "--no-rc-file",
		"--key-base64-rijndael", e2eKey, "--key-base64-hmac", e2eHMAC)
	d.Proc.WaitOutputAfter(t, from, "Added access rule to FWKNOP_INPUT for "+client)
	if !d.Opened(t, p.Server, client, "tcp", 2222) {
		t.Fatalf("-s: no rule for %s tcp/2222:\n%s", client, p.Server.Run(t, "iptables", "-S"))
	}

	packet, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		allow string
		send  func()
		log   string
	}{
		{"wrong HMAC key", "192.0.2.50", func() { fwknop(otherHMAC, "-a", "192.0.2.50") }, "HMAC"},
		{"10 minutes old", "192.0.2.51", func() { fwknop(e2eHMAC, "-a", "192.0.2.51", "--time-offset-minus", "10m") }, "time difference"},
		{"replayed", client, func() { sendFrom(t, p.Client, strings.TrimSpace(string(packet))) }, "Replay"},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := d.Proc.Len()
			c.send()
			d.Proc.WaitOutputAfter(t, from, c.log)
			if out := d.Proc.Output()[from:]; strings.Contains(out, "Added access rule") {
				t.Fatalf("fwknopd added a rule:\n%s", out)
			}
			if c.allow != client && d.Opened(t, p.Server, c.allow, "tcp", 22) {
				t.Fatalf("fwknopd opened for %s", c.allow)
			}
		})
	}
}

// sendFrom sends one UDP datagram to fwknopd's port from inside ns.
func sendFrom(t *testing.T, ns *testnet.NS, payload string) {
	t.Helper()
	err := ns.Do(func() error {
		c, err := net.Dial("udp", netip.AddrPortFrom(testnet.ServerAddr4, 62201).String())
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(payload))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
