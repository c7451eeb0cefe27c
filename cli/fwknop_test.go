package cli

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/spa"
)

// Test keys only: they protect nothing.
const (
	fwTestKey  = "Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk="
	fwTestHMAC = "FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng=="
)

func fwTestKeys(t *testing.T) spa.Keys {
	t.Helper()
	k, err := spa.KeysFromBase64(fwTestKey, fwTestHMAC)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// nextSPA reads the next datagram, SPA-sized.
func (s *udpSink) nextSPA(t *testing.T) []byte {
	t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2048)
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram arrived: %v", err)
	}
	return buf[:n]
}

// leaks reports whether text shows a test key, in base64 or raw.
func leaks(t *testing.T, text string) bool {
	k := fwTestKeys(t)
	for _, s := range []string{fwTestKey, fwTestHMAC, strings.TrimRight(fwTestKey, "="), fwTestHMAC[:20], string(k.Key), string(k.HMACKey[:16]), "correct-horse", "battery-staple"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

func writeRC(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fwknoprc")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFwknopSendsAPacketFwknopdReads(t *testing.T) {
	sink := newUDPSink(t)
	code, stdout, stderr := runCLI(t, "fwknop", "-A", "tcp/22,udp/53", "-a", "192.0.2.7", "-D", "127.0.0.1", "-p", sink.port,
		"--key-base64-rijndael", fwTestKey, "--key-base64-hmac", fwTestHMAC, "-f", "45", "-U", "alice", "--no-rc-file")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing (fwknop prints nothing without -v)", stdout)
	}
	m, err := spa.Decode(sink.nextSPA(t), fwTestKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Access != "192.0.2.7,tcp/22,udp/53" || m.User != "alice" || m.ClientTimeout != 45 || m.Type != spa.ClientTimeoutAccessMsg {
		t.Fatalf("packet carries %+v", m)
	}
	if d := time.Since(m.Time); d < -2*time.Second || d > time.Minute {
		t.Fatalf("packet time %v is not now", m.Time)
	}
}

func TestFwknopRCStanza(t *testing.T) {
	sink := newUDPSink(t)
	rc := writeRC(t, "[default]\nSPA_SERVER_PORT "+sink.port+"\nACCESS tcp/22\nSPOOF_USER bob\n\n[web]\nSPA_SERVER 127.0.0.1\nALLOW_IP source\nACCESS tcp/443\nKEY_BASE64 "+fwTestKey+"\nHMAC_KEY_BASE64 "+fwTestHMAC+"\n")
	code, _, stderr := runCLI(t, "fwknop", "--rc-file", rc, "-n", "web", "--time-offset-minus", "10m")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := spa.Decode(sink.nextSPA(t), fwTestKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Access != "0.0.0.0,tcp/443" || m.User != "bob" {
		t.Fatalf("packet carries %+v, want the [web] stanza over [default]", m)
	}
	if d := time.Since(m.Time); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("packet time is %v ago, want 10m (--time-offset-minus)", d)
	}
	// Flags override the stanza.
	code, _, stderr = runCLI(t, "fwknop", "--rc-file", rc, "-n", "web", "-A", "udp/1194", "-a", "192.0.2.9")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if m, err = spa.Decode(sink.nextSPA(t), fwTestKeys(t)); err != nil || m.Access != "192.0.2.9,udp/1194" {
		t.Fatalf("packet carries %+v (%v), want the flags' access", m, err)
	}
}

func TestFwknopTestModeAndSavePacket(t *testing.T) {
	sink := newUDPSink(t)
	save := filepath.Join(t.TempDir(), "spa.txt")
	args := []string{"fwknop", "-A", "tcp/22", "-a", "192.0.2.7", "-D", "127.0.0.1", "-p", sink.port, "--no-rc-file",
		"--key-base64-rijndael", fwTestKey, "--key-base64-hmac", fwTestHMAC, "--test", "-v", "-B", save}
	code, stdout, stderr := runCLI(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, " Message String: 192.0.2.7,tcp/22\n") || !strings.Contains(stdout, "not actually sent") {
		t.Fatalf("--test -v printed %q", stdout)
	}
	if leaks(t, stdout+stderr) {
		t.Fatalf("a key was printed:\n%s%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "warning: keys on the command line can be read by other users") {
		t.Errorf("keys given as flags, and no warning: %q", stderr)
	}
	code, _, stderr = runCLI(t, append(args, "-b")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	saved, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(saved), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("--save-packet then --save-packet-append wrote %d lines, want 2", len(lines))
	}
	for _, l := range lines {
		if _, err := spa.Decode([]byte(l), fwTestKeys(t)); err != nil {
			t.Fatalf("saved packet: %v", err)
		}
	}
	if fi, _ := os.Stat(save); fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved packet mode %v, want 0600", fi.Mode().Perm())
	}
	// --test sent nothing.
	sink.sentinel(t)
	if got := sink.nextSPA(t); string(got) != "sentinel" {
		t.Fatalf("--test sent %q", got)
	}
}

func TestFwknopBadInput(t *testing.T) {
	sink := newUDPSink(t)
	keys := []string{"--key-base64-rijndael", fwTestKey, "--key-base64-hmac", fwTestHMAC}
	base := func(extra ...string) []string {
		a := []string{"-A", "tcp/22", "-a", "192.0.2.7", "-D", "127.0.0.1", "-p", sink.port, "--no-rc-file"}
		return append(append(a, keys...), extra...)
	}
	without := func(drop string, args []string) []string {
		var out []string
		for i := 0; i < len(args); i++ {
			if args[i] == drop {
				i++
				continue
			}
			out = append(out, args[i])
		}
		return out
	}
	badKey := "QUJD!!" + fwTestKey[6:]
	rc := writeRC(t, "[web]\nSPA_SERVER 127.0.0.1\nKEY_BASE64 "+badKey+"\n")
	gpg := writeRC(t, "[g]\nUSE_GPG Y\nKEY_BASE64 "+fwTestKey+"\n")
	tests := []struct {
		name  string
		args  []string
		token string // the error must name it
	}{
		{"no access", without("-A", base()), "-A PROTO/PORT"},
		{"bad access", base("-A", "tcp/99999"), `"99999"`},
		{"bad proto", base("-A", "sctp/22"), `"sctp"`},
		{"no allow ip", without("-a", base()), "-a IP, or -s"},
		{"ipv6 allow ip", base("-a", "2001:db8::7"), `"2001:db8::7" is not an IPv4`},
		{"-a and -s", base("-s"), "-a and -s"},
		{"no destination", without("-D", base()), "-D HOST"},
		{"unknown host", base("-D", "no-such-host.invalid"), `"no-such-host.invalid"`},
		{"bad port", base("-p", "0"), "port 0"},
		{"bad proto flag", base("-P", "icmp"), `"icmp"`},
		{"no key", without("--key-base64-hmac", without("--key-base64-rijndael", base())), "no key"},
		{"bad key", append(without("--key-base64-rijndael", base()), "--key-base64-rijndael", badKey), "not base64"},
		{"short hmac only", without("--key-base64-rijndael", base()), "needs --key-base64-rijndael"},
		{"use-hmac without key", without("--key-base64-hmac", base("--use-hmac")), "--use-hmac needs an HMAC key"},
		{"bad offset", base("--time-offset-minus", "soon"), `"soon"`},
		{"bad timeout", base("-f", "-3"), "timeout -3"},
		{"bad digest", base("-m", "crc32"), `"crc32"`},
		{"legacy with hmac", base("-M", "legacy"), "legacy"},
		{"append without save", base("-b"), "--save-packet FILE"},
		{"bad user", base("-U", "a:b"), `"a:b"`},
		{"missing stanza", []string{"--rc-file", rc, "-n", "nope", "-A", "tcp/22", "-s"}, "no stanza [nope]"},
		{"bad rc key", []string{"--rc-file", rc, "-n", "web", "-A", "tcp/22", "-s"}, "line 3: KEY_BASE64"},
		{"gpg stanza", []string{"--rc-file", gpg, "-n", "g", "-A", "tcp/22", "-s", "-D", "127.0.0.1"}, "USE_GPG"},
		{"missing rc file", []string{"--rc-file", "/nonexistent/rc", "-A", "tcp/22", "-s"}, "/nonexistent/rc"},
		{"unknown flag", base("--gpg-recipient", "x"), "--gpg-recipient"},
		{"argument", base("extra"), "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"fwknop"}, tt.args...)...)
			if code != ExitUsage {
				t.Errorf("exit status %d, want %d (%s)", code, ExitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.token) {
				t.Errorf("error %q does not name %s", stderr, tt.token)
			}
			if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, "sesame fwknop: ") {
				t.Errorf("error %q is not one line starting with \"sesame fwknop: \"", stderr)
			}
			if leaks(t, stdout+stderr) || strings.Contains(stderr, badKey[:10]) {
				t.Errorf("a key was printed: %s", stderr)
			}
			sink.sentinel(t)
			if got := sink.nextSPA(t); string(got) != "sentinel" {
				t.Fatalf("a packet was sent despite the bad input (got %q before the sentinel)", got)
			}
		})
	}
}

func TestFwknopKeyGen(t *testing.T) {
	code, stdout, _ := runCLI(t, "fwknop", "--key-gen")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	k, err := spa.ParseKeyGenText(stdout)
	if err != nil || len(k.Key) != 32 || len(k.HMACKey) != 64 {
		t.Fatalf("--key-gen printed %q: %v", stdout, err)
	}
	if !strings.HasPrefix(stdout, "KEY_BASE64: ") || !strings.Contains(stdout, "\nHMAC_KEY_BASE64: ") {
		t.Fatalf("--key-gen printed %q, want fwknop's two lines", stdout)
	}
}

// TestFwknopOverTCP: -P tcp carries the packet over one TCP connection, as
// fwknop does for fwknopd's TCP server.
func TestFwknopOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	code, _, stderr := runCLI(t, "fwknop", "-P", "tcp", "-p", port, "-D", "127.0.0.1", "-A", "tcp/22", "-a", "192.0.2.7",
		"--no-rc-file", "--key-base64-rijndael", fwTestKey, "--key-base64-hmac", fwTestHMAC)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if m, err := spa.Decode(<-got, fwTestKeys(t)); err != nil || m.Access != "192.0.2.7,tcp/22" {
		t.Fatalf("over TCP: %+v, %v", m, err)
	}
}

func TestFwknopWarnsAboutAReadableRCFile(t *testing.T) {
	rc := writeRC(t, "[web]\nSPA_SERVER 127.0.0.1\nACCESS tcp/22\nALLOW_IP source\nKEY_BASE64 "+fwTestKey+"\n")
	if err := os.Chmod(rc, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "fwknop", "--rc-file", rc, "-n", "web", "--test")
	if code != ExitOK || !strings.Contains(stderr, "chmod 600 "+rc) || leaks(t, stderr) {
		t.Fatalf("exit %d, stderr %q: want a warning that names the fix", code, stderr)
	}
	if err := os.Chmod(rc, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runCLI(t, "fwknop", "--rc-file", rc, "-n", "web", "--test"); code != ExitOK || stderr != "" {
		t.Fatalf("mode 0600: exit %d, stderr %q", code, stderr)
	}
}
