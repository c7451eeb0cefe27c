//go:build linux

package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/server/replay"
	"sesame/server/spagate"
	"sesame/spa"
)

const (
	spaKey   = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
	spaHMAC  = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
	spaHMAC2 = "O2x6qr8XQGnJr7bDjGBTJXwn1Jz3XCEHmMWQ5ycnmmB2v0ryNKDe0p0ILXFuUFxODm4h2nnt1pUu5F5pg1eJPQ=="
)

// spaLab is a lab whose config serves an access.conf with one stanza
// for hmac, its state in a directory of its own.
func spaLab(t *testing.T, hmac string) (*lab, string) {
	t.Helper()
	dir := t.TempDir()
	access := filepath.Join(dir, "access.conf")
	writeAccess(t, access, hmac)
	conf := fmt.Sprintf("[options]\n\tlogfile = /dev/null\n\tstatedir = %s\n\tfwknop_access = %s\n", dir, access)
	return newLab(t, conf), access
}

func writeAccess(t *testing.T, path, hmac string) {
	t.Helper()
	text := fmt.Sprintf("SOURCE ANY\nOPEN_PORTS tcp/22\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nREQUIRE_SOURCE_ADDRESS Y\n", spaKey, hmac)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sendSPA hands the SPA server a packet from client, made with hmac at
// the lab's time, as the capture path would.
func (l *lab) sendSPA(hmac string, age time.Duration) {
	l.t.Helper()
	k, err := spa.KeysFromBase64(spaKey, hmac)
	if err != nil {
		l.t.Fatal(err)
	}
	pkt, err := spa.Encode(spa.Message{User: "alice", Time: l.clk.Now().Add(-age), Access: client.String() + ",tcp/22"}, k, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	l.b.spa.handle(context.Background(), spagate.Packet{Src: client, Dst: local4, DstPort: 62201, Payload: []byte(pkt)})
}

const spaOpened = "open fwknop stanza #1 192.0.2.2 22/tcp access 30s idle 0s"

// TestSPA: a good packet opens natively for FW_ACCESS_TIMEOUT; noise and
// an old packet open nothing; the capture filter takes the SPA port.
func TestSPA(t *testing.T) {
	cases := []struct {
		name string
		send func(l *lab)
		want []string
		line string
	}{
		{"a good packet opens", func(l *lab) { l.sendSPA(spaHMAC, 0) }, []string{spaOpened, "shutdown"},
			"[192.0.2.2] (stanza #1) SPA packet from user alice: Added access rule for 192.0.2.2 22/tcp, expires at"},
		{"a wrong HMAC opens nothing, and is counted", func(l *lab) { l.sendSPA(spaHMAC2, 0); l.b.spa.report() }, []string{"shutdown"},
			"SPA: refused 1 packet(s) in the last 10s"},
		{"an old packet opens nothing", func(l *lab) { l.sendSPA(spaHMAC, 10*time.Minute) }, []string{"shutdown"},
			"[192.0.2.2] (stanza #1) SPA data time difference is too great (600 seconds)."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := spaLab(t, spaHMAC)
			if f := l.b.currentFilter(); !strings.Contains(f, "(udp and (dst port 62201))") {
				t.Errorf("the capture filter lacks the SPA port: %s", f)
			}
			tc.send(l)
			l.expect(tc.want, tc.line)
		})
	}
}

// TestSPAReload: a bad access.conf at SIGHUP keeps the running one (its
// keys still open, the bad file's open nothing), and a config without
// Fwknop_Access stops SPA and its filter.
func TestSPAReload(t *testing.T) {
	t.Run("a bad access.conf keeps the running one", func(t *testing.T) {
		l, access := spaLab(t, spaHMAC)
		if err := os.WriteFile(access, []byte("SOURCE ANY\nKEY_BASE64 __CHANGEME__\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		l.b.reload(context.Background())
		l.sendSPA(spaHMAC, 0)
		l.expect([]string{spaOpened, "shutdown"}, access+":2: KEY_BASE64 is still __CHANGEME__")
	})
	t.Run("new keys replace the old", func(t *testing.T) {
		l, access := spaLab(t, spaHMAC)
		writeAccess(t, access, spaHMAC2)
		l.b.reload(context.Background())
		l.sendSPA(spaHMAC, 0)
		l.clk.Advance(time.Second)
		l.sendSPA(spaHMAC2, 0)
		l.expect([]string{spaOpened, "shutdown"}, "1 SPA stanzas from "+access)
	})
	t.Run("without Fwknop_Access, no SPA", func(t *testing.T) {
		l, _ := spaLab(t, spaHMAC)
		l.writeConf(nativeConf)
		l.b.reload(context.Background())
		if f := l.b.currentFilter(); strings.Contains(f, "62201") {
			t.Errorf("the filter still takes the SPA port: %s", f)
		}
		l.sendSPA(spaHMAC, 0)
		l.expect([]string{"shutdown"}, "reloaded ")
	})
}

// TestSPAReplayFile: the digest of a granted packet is on disk before the
// grant is asked for.
func TestSPAReplayFile(t *testing.T) {
	l, access := spaLab(t, spaHMAC)
	l.sendSPA(spaHMAC, 0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(access), replay.File))
	if err != nil || strings.Count(string(data), "\n") != 1 {
		t.Fatalf("replay file: %q, %v", data, err)
	}
	l.expect([]string{spaOpened, "shutdown"}, "Added access rule")
}

// TestSPARefusalsBounded: a packet replayed again and again is logged
// line by line only so often; the rest are counted in the report.
func TestSPARefusalsBounded(t *testing.T) {
	l, _ := spaLab(t, spaHMAC)
	k, err := spa.KeysFromBase64(spaKey, spaHMAC)
	if err != nil {
		t.Fatal(err)
	}
	pkt, err := spa.Encode(spa.Message{User: "alice", Time: l.clk.Now(), Access: client.String() + ",tcp/22"}, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 1 + spaLinesPer10s + 5 {
		l.b.spa.handle(context.Background(), spagate.Packet{Src: client, Dst: local4, DstPort: 62201, Payload: []byte(pkt)})
	}
	l.b.spa.report()
	_, log := l.shutdown()
	if n := strings.Count(log, "Replay detected"); n != spaLinesPer10s {
		t.Errorf("%d replay lines, want %d:\n%s", n, spaLinesPer10s, log)
	}
	if !strings.Contains(log, "SPA: refused 5 more packet(s) in the last 10s with a valid HMAC") {
		t.Errorf("no count of the rest:\n%s", log)
	}
}
