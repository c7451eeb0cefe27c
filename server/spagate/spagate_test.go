package spagate

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/server/accessconf"
	"sesame/server/replay"
	"sesame/spa"
)

const (
	keyB64   = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
	hmacB64  = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
	key2B64  = "jzT7wCCmWbGPWg7k4WKR02QcoOyq3ZPScbrCjTBw9ZM="
	hmac2B64 = "O2x6qr8XQGnJr7bDjGBTJXwn1Jz3XCEHmMWQ5ycnmmB2v0ryNKDe0p0ILXFuUFxODm4h2nnt1pUu5F5pg1eJPQ=="
)

var (
	client = netip.MustParseAddr("192.0.2.2")
	server = netip.MustParseAddr("192.0.2.1")
	now    = time.Unix(1_800_000_000, 0)
)

func keys(t *testing.T, k, h string) spa.Keys {
	t.Helper()
	ks, err := spa.KeysFromBase64(k, h)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func gate(t *testing.T, access string) *Gate {
	t.Helper()
	cfg, err := accessconf.Parse(strings.NewReader(access), "access.conf")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := replay.Open(filepath.Join(t.TempDir(), replay.File), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	return New(cfg, cache, 0)
}

func packet(t *testing.T, k spa.Keys, m spa.Message) []byte {
	t.Helper()
	if m.User == "" {
		m.User = "alice"
	}
	if m.Time.IsZero() {
		m.Time = now
	}
	if m.Access == "" {
		m.Access = "192.0.2.2,tcp/22"
	}
	p, err := spa.Encode(m, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(p)
}

func TestCheck(t *testing.T) {
	const access = `SOURCE 192.0.2.0/24
OPEN_PORTS tcp/22, udp/53
KEY_BASE64 ` + keyB64 + `
HMAC_KEY_BASE64 ` + hmacB64 + `
REQUIRE_SOURCE_ADDRESS Y
FW_ACCESS_TIMEOUT 20
MAX_FW_TIMEOUT 60

SOURCE ANY
KEY_BASE64 ` + key2B64 + `
HMAC_KEY_BASE64 ` + hmac2B64 + `
REQUIRE_USERNAME bob
RESTRICT_PORTS tcp/23
`
	k1, k2 := keys(t, keyB64, hmacB64), keys(t, key2B64, hmac2B64)
	wrongHMAC := k1
	wrongHMAC.HMACKey = []byte("the HMAC key of no stanza")
	other := netip.MustParseAddr("203.0.113.9")
	for _, tc := range []struct {
		name  string
		src   netip.Addr
		data  []byte
		grant string // "stanza allow ports timeout"
		kind  Kind
		line  string
	}{
		{name: "a good packet", data: packet(t, k1, spa.Message{}), grant: "1 192.0.2.2 [22/tcp] 20s"},
		{name: "the client's timeout", data: packet(t, k1, spa.Message{ClientTimeout: 45}), grant: "1 192.0.2.2 [22/tcp] 45s"},
		{name: "capped by MAX_FW_TIMEOUT", data: packet(t, k1, spa.Message{ClientTimeout: 4000}), grant: "1 192.0.2.2 [22/tcp] 1m0s"},
		{name: "two ports", data: packet(t, k1, spa.Message{Access: "192.0.2.2,tcp/22,udp/53"}), grant: "1 192.0.2.2 [22/tcp 53/udp] 20s"},
		{name: "the second stanza's keys", data: packet(t, k2, spa.Message{User: "bob", Access: "0.0.0.0,tcp/8080"}), grant: "2 192.0.2.2 [8080/tcp] 30s"},
		{name: "0.0.0.0 without REQUIRE_SOURCE_ADDRESS", src: other, data: packet(t, k2, spa.Message{User: "bob", Access: "0.0.0.0,tcp/22"}), grant: "2 203.0.113.9 [22/tcp] 30s"},
		{name: "another address without REQUIRE_SOURCE_ADDRESS", data: packet(t, k2, spa.Message{User: "bob", Access: "198.51.100.4,tcp/22"}), grant: "2 198.51.100.4 [22/tcp] 30s"},

		{name: "a wrong HMAC key", data: packet(t, wrongHMAC, spa.Message{}), kind: Noise, line: "SPA packet matches no stanza's HMAC"},
		{name: "random base64", data: []byte(strings.Repeat("QUJD", 60)), kind: Noise},
		{name: "the keys of a SOURCE it is not from", src: other, data: packet(t, k1, spa.Message{}), kind: Noise, line: "SPA packet matches no stanza's HMAC"},
		{name: "10 minutes old", data: packet(t, k1, spa.Message{Time: now.Add(-10 * time.Minute)}), kind: Refused, line: "[192.0.2.2] (stanza #1) SPA data time difference is too great (600 seconds)."},
		{name: "from the future", data: packet(t, k1, spa.Message{Time: now.Add(121 * time.Second)}), kind: Refused, line: "time difference is too great (121 seconds)"},
		{name: "at the age limit", data: packet(t, k1, spa.Message{Time: now.Add(-120 * time.Second)}), grant: "1 192.0.2.2 [22/tcp] 20s"},
		{name: "0.0.0.0 with REQUIRE_SOURCE_ADDRESS", data: packet(t, k1, spa.Message{Access: "0.0.0.0,tcp/22"}), kind: Refused, line: "[192.0.2.2] (stanza #1) Got 0.0.0.0 when valid source IP was required."},
		{name: "another address with REQUIRE_SOURCE_ADDRESS", data: packet(t, k1, spa.Message{Access: "198.51.100.4,tcp/22"}), kind: Refused, line: "asks to open for 198.51.100.4, not the address it came from"},
		{name: "a port not in OPEN_PORTS", data: packet(t, k1, spa.Message{Access: "192.0.2.2,tcp/22,tcp/80"}), kind: Refused, line: "[192.0.2.2] (stanza #1) One or more requested protocol/ports was denied per access.conf."},
		{name: "a port in RESTRICT_PORTS", data: packet(t, k2, spa.Message{User: "bob", Access: "192.0.2.2,tcp/23"}), kind: Refused, line: "(stanza #2) One or more requested protocol/ports was denied"},
		{name: "the wrong user", data: packet(t, k2, spa.Message{User: "eve"}), kind: Refused, line: "(stanza #2) Username in SPA data (eve) does not match required username: bob"},
		{name: "a NAT request", data: packet(t, k1, spa.Message{NATAccess: "192.0.2.9,22"}), kind: Refused, line: "requested NAT access, but is not enabled/supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gate(t, access)
			src := tc.src
			if !src.IsValid() {
				src = client
			}
			p := Packet{Src: src, Dst: server, DstPort: 62201, Payload: tc.data}
			grant, err := g.Check(p, now)
			if tc.grant != "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				got := fmt.Sprintf("%d %s %v %s", grant.Stanza.Num, grant.Allow, grant.Ports, grant.Timeout)
				if got != tc.grant {
					t.Fatalf("grant %s, want %s", got, tc.grant)
				}
				// The same packet again is a replay.
				if _, err := g.Check(p, now); err == nil || !strings.HasPrefix(err.Error(), "Replay detected from source IP: ") {
					t.Fatalf("replay: %v", err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.Kind != tc.kind || !strings.Contains(r.Line, tc.line) {
				t.Fatalf("got %+v (%v), want kind %d and %q", grant, err, tc.kind, tc.line)
			}
		})
	}
}

// TestExpiredStanza: an expired stanza refuses its own packets, and junk
// sent at it stays noise (not a logged refusal for every datagram).
func TestExpiredStanza(t *testing.T) {
	g := gate(t, "SOURCE ANY\nKEY_BASE64 "+keyB64+"\nHMAC_KEY_BASE64 "+hmacB64+"\nACCESS_EXPIRE 01/01/2020\n")
	for _, tc := range []struct {
		name string
		data []byte
		kind Kind
		line string
	}{
		{"its own packet", packet(t, keys(t, keyB64, hmacB64), spa.Message{}), Refused, "Access stanza has expired"},
		{"random base64", []byte(strings.Repeat("QUJD", 60)), Noise, ""},
	} {
		_, err := g.Check(Packet{Src: client, Dst: server, DstPort: 62201, Payload: tc.data}, now)
		var r *Refusal
		if !errors.As(err, &r) || r.Kind != tc.kind || !strings.Contains(r.Line, tc.line) {
			t.Errorf("%s: %v, want kind %d and %q", tc.name, err, tc.kind, tc.line)
		}
	}
}

// TestReplayAcrossRestart: a packet accepted before a restart is refused
// after it, and only HMAC-checked packets take room in the cache.
func TestReplayAcrossRestart(t *testing.T) {
	access := "SOURCE ANY\nKEY_BASE64 " + keyB64 + "\nHMAC_KEY_BASE64 " + hmacB64 + "\n"
	cfg, err := accessconf.Parse(strings.NewReader(access), "access.conf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), replay.File)
	cache, err := replay.Open(path, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	k := keys(t, keyB64, hmacB64)
	good := Packet{Src: client, Dst: server, Payload: packet(t, k, spa.Message{})}
	if _, err := New(cfg, cache, 0).Check(good, now); err != nil {
		t.Fatal(err)
	}
	noise := Packet{Src: client, Dst: server, Payload: packet(t, keys(t, key2B64, hmac2B64), spa.Message{})}
	if _, err := New(cfg, cache, 0).Check(noise, now); err == nil {
		t.Fatal("wrong HMAC granted")
	}
	cache.Close()
	cache, err = replay.Open(path, now.Add(30*time.Second), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	if cache.Len() != 1 {
		t.Errorf("cache holds %d digests, want the good packet's only", cache.Len())
	}
	if _, err := New(cfg, cache, 0).Check(good, now.Add(30*time.Second)); err == nil || !strings.HasPrefix(err.Error(), "Replay detected") {
		t.Errorf("replay after restart: %v", err)
	}
}

// TestNoSource: a packet from outside every SOURCE is not even decoded.
func TestNoSource(t *testing.T) {
	g := gate(t, "SOURCE 198.51.100.0/24\nKEY_BASE64 "+keyB64+"\nHMAC_KEY_BASE64 "+hmacB64+"\n")
	_, err := g.Check(Packet{Src: client, Dst: server, Payload: packet(t, keys(t, keyB64, hmacB64), spa.Message{})}, now)
	var r *Refusal
	if !errors.As(err, &r) || r.Kind != Noise || r != ErrNoSource {
		t.Errorf("got %v", err)
	}
}

// TestLaterStanza: a packet one stanza refuses is checked against the
// next, as fwknopd does, and its digest recorded once (not a replay of
// itself).
func TestLaterStanza(t *testing.T) {
	keys2 := "KEY_BASE64 " + keyB64 + "\nHMAC_KEY_BASE64 " + hmacB64 + "\n"
	g := gate(t, "SOURCE ANY\nOPEN_PORTS tcp/80\n"+keys2+"SOURCE ANY\nOPEN_PORTS tcp/22\n"+keys2)
	grant, err := g.Check(Packet{Src: client, Dst: server, DstPort: 62201, Payload: packet(t, keys(t, keyB64, hmacB64), spa.Message{})}, now)
	if err != nil || grant.Stanza.Num != 2 {
		t.Fatalf("got %+v, %v; want stanza #2's grant", grant, err)
	}
}
