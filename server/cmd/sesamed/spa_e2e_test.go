//go:build linux

package main_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/server/firewall/firewalltest"
)

// The SPA tests' keys, as fwknop --key-gen prints them.
const (
	spaKey     = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
	spaHMACKey = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
	otherHMAC  = "O2x6qr8XQGnJr7bDjGBTJXwn1Jz3XCEHmMWQ5ycnmmB2v0ryNKDe0p0ILXFuUFxODm4h2nnt1pUu5F5pg1eJPQ=="
)

// spaAccess is an unchanged fwknopd access.conf for the test keys.
func spaAccess(extra string) string {
	return fmt.Sprintf("SOURCE ANY\nOPEN_PORTS tcp/22\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nFW_ACCESS_TIMEOUT 60\n%s", spaKey, spaHMACKey, extra)
}

// fwknop runs the real fwknop client in the client namespace, with a
// home of its own (it writes ~/.fwknop.run) and the given arguments after
// the destination and keys.
func fwknop(t testing.TB, p *testnet.Pair, home, hmacKey string, args ...string) {
	t.Helper()
	testnet.RequireTools(t, "fwknop")
	all := append([]string{"env", "HOME=" + home, "fwknop", "--no-rc-file", "-D", testnet.ServerAddr4.String(),
		"--key-base64-rijndael", spaKey, "--key-base64-hmac", hmacKey, "--use-hmac"}, args...)
	p.Client.Run(t, all[0], all[1:]...)
}

// sendSaved sends a packet fwknop saved (--save-packet) again, as one
// datagram from the client: a replay.
func sendSaved(t testing.TB, p *testnet.Pair, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pkt := []byte(strings.TrimSpace(string(data)))
	err = p.Client.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(testnet.ServerAddr4, 62201)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write(pkt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// granted reports whether sesamed's nftables sets hold addr.
func granted(t testing.TB, p *testnet.Pair, addr string) bool {
	t.Helper()
	out, err := p.Server.Try("nft", "list", "table", "inet", "sesamed")
	return err == nil && strings.Contains(out, addr+" . tcp . 22")
}

// TestRealFwknopOpensSesamed: the real fwknop client opens sesamed, which
// serves an unchanged access.conf; a wrong HMAC, a 10-minute-old packet
// and a replay open nothing, and the replay stays refused after sesamed
// restarts (the digest cache is on disk).
func TestRealFwknopOpensSesamed(t *testing.T) {
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "nft", "fwknop")
	p := testnet.NewPair(t)
	firewalltest.Guard(t, p.Server, "nftables", 22)
	p.Server.SSHD(t)
	dir, home := t.TempDir(), t.TempDir()
	s := p.Server.SesamedSPA(t, testnet.ServerIf, "nftables", dir, spaAccess(""), "-D")
	if reachable(t, p, testnet.ServerAddr4) {
		t.Fatal("port 22 is open before any SPA packet")
	}

	saved := filepath.Join(home, "spa.pkt")
	fwknop(t, p, home, spaHMACKey, "-A", "tcp/22", "-a", testnet.ClientAddr4.String(), "--save-packet", saved)
	s.WaitOutput(t, "[192.0.2.2] (stanza #1) SPA packet from user root: Added access rule for 192.0.2.2 22/tcp")
	waitReachable(t, p, testnet.ServerAddr4, true)

	for _, c := range []struct {
		name  string
		allow string
		send  func()
		log   string
	}{
		{"wrong HMAC", "192.0.2.50", func() {
			fwknop(t, p, home, otherHMAC, "-A", "tcp/22", "-a", "192.0.2.50")
		}, "SPA packet matches no stanza's HMAC: 192.0.2.2"},
		{"10 minutes old", "192.0.2.51", func() {
			fwknop(t, p, home, spaHMACKey, "-A", "tcp/22", "-a", "192.0.2.51", "--time-offset-minus", "10m")
		}, "[192.0.2.2] (stanza #1) SPA data time difference is too great (6"},
		{"replay", "192.0.2.2", func() { sendSaved(t, p, saved) }, "Replay detected from source IP: 192.0.2.2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := s.Len()
			c.send()
			s.WaitOutputAfter(t, from, c.log)
			if out := s.Output()[from:]; strings.Contains(out, "Added access rule") {
				t.Fatalf("sesamed opened:\n%s", out)
			}
			if c.allow != "192.0.2.2" && granted(t, p, c.allow) {
				t.Fatalf("sesamed granted %s", c.allow)
			}
		})
	}

	// A restart takes the grants down and keeps the digests: the saved
	// packet, still young enough to pass the age check, is a replay.
	s.Signal(unix.SIGTERM)
	<-s.Done()
	waitReachable(t, p, testnet.ServerAddr4, false)
	s = p.Server.SesamedSPA(t, testnet.ServerIf, "nftables", dir, spaAccess(""), "-D")
	from := s.Len()
	sendSaved(t, p, saved)
	s.WaitOutputAfter(t, from, "Replay detected from source IP: 192.0.2.2")
	if reachable(t, p, testnet.ServerAddr4) {
		t.Fatalf("the replayed packet opened port 22 after a restart:\n%s", s.Output())
	}
}

// TestBadAccessConf: sesamed does not start on an access.conf that
// fwknopd would not serve as written, says why with its file:line and
// no key, opens nothing, and `sesamed check` says the same.
func TestBadAccessConf(t *testing.T) {
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	access := filepath.Join(dir, "access.conf")
	text := "SOURCE ANY\nKEY_BASE64 " + spaKey + "\nHMAC_KEY_BASE64 " + spaHMACKey + "\nFORCE_NAT 192.0.2.9 22\n"
	if err := os.WriteFile(access, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(conf, []byte("[options]\n\tlogfile = /dev/null\n\tfirewall = nftables\n\tstatedir = "+dir+"\n\tfwknop_access = "+access+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	want := "Fwknop_Access: " + access + ":4: FORCE_NAT: sesamed opens local ports only and does not forward"
	for _, args := range [][]string{{"-i", testnet.ServerIf, "-c", conf}, {"check", "-i", testnet.ServerIf, "-c", conf}} {
		proc := p.Server.Start(t, bin, args...)
		<-proc.Done()
		out := proc.Output()
		if proc.Err() == nil || !strings.Contains(out, want) || strings.Contains(out, spaKey[:10]) || strings.Contains(out, spaHMACKey[:10]) {
			t.Errorf("sesamed %s: %v\n%s", strings.Join(args, " "), proc.Err(), out)
		}
	}
	if out, err := p.Server.Try("nft", "list", "table", "inet", "sesamed"); err == nil && strings.Contains(out, "elements") {
		t.Errorf("a refused start left grants:\n%s", out)
	}
}
