package spa

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzDecode: Decode never panics, and every error it returns is one of
// the typed errors a daemon counts. With the HMAC key known to the fuzzer
// the HMAC is skipped (nil HMACKey), so that the decryption and the field
// parser are reached too.
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.packet, v.name == "nohmac" || v.name == "legacy")
	}
	k, _ := KeysFromBase64(testKey, testHMACKey)
	f.Fuzz(func(t *testing.T, packet []byte, noHMAC bool) {
		keys := k
		if noHMAC {
			keys.HMACKey = nil
		}
		// The field parser on its own, since random ciphertext almost
		// never decrypts to something it would see.
		if _, err := parsePlain(string(packet)); err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDigest) {
			t.Fatalf("parsePlain: untyped error %v", err)
		}
		m, err := Decode(packet, keys)
		if err != nil {
			for _, want := range []error{ErrNotSPA, ErrBadHMAC, ErrDecrypt, ErrDigest, ErrMalformed} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("Decode: untyped error %v", err)
		}
		_ = ReplayDigest(packet)
		if m.Type != CommandMsg && m.NATAccess == "" && m.Time.Unix() > 0 {
			// What decodes re-encodes and decodes to the same message.
			out, err := Encode(m, keys, bytes.NewReader(make([]byte, 64)))
			if err != nil {
				return // e.g. a version or timeout libfko decodes but Encode will not write
			}
			back, err := Decode([]byte(out), keys)
			if err != nil || back.Access != m.Access || back.User != m.User || !back.Time.Equal(m.Time.Truncate(time.Second)) {
				t.Fatalf("round trip: %+v -> %+v, %v", m, back, err)
			}
		}
	})
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	k, err := GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1796311108, 0)
	tests := []struct {
		name string
		m    Message
		keys func(Keys) Keys
		want MessageType
	}{
		{"access", Message{User: "root", Time: now, Access: "192.0.2.7,tcp/22"}, nil, AccessMsg},
		{"timeout", Message{User: "alice", Time: now, Access: "192.0.2.7,tcp/22,udp/53", ClientTimeout: 30}, nil, ClientTimeoutAccessMsg},
		{"sha512", Message{User: "root", Time: now, Access: "192.0.2.7,tcp/22", Digest: SHA512}, func(k Keys) Keys { k.HMAC = SHA384; return k }, AccessMsg},
		{"no hmac", Message{User: "root", Time: now, Access: "192.0.2.7,tcp/22"}, func(k Keys) Keys { k.HMACKey = nil; return k }, AccessMsg},
		{"server auth", Message{User: "root", Time: now, Access: "192.0.2.7,tcp/22", ServerAuth: "crypt,x", ClientTimeout: 9}, nil, ClientTimeoutAccessMsg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := k
			if tt.keys != nil {
				keys = tt.keys(k)
			}
			pkt, err := Encode(tt.m, keys, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode([]byte(pkt), keys)
			if err != nil {
				t.Fatal(err)
			}
			if got.Type != tt.want || got.Access != tt.m.Access || got.User != tt.m.User || !got.Time.Equal(now) ||
				got.ClientTimeout != tt.m.ClientTimeout || got.ServerAuth != tt.m.ServerAuth || got.Digest != tt.m.Digest.resolve() || len(got.Rand) != 16 {
				t.Fatalf("Decode(Encode(%+v)) = %+v", tt.m, got)
			}
		})
	}
}

func TestEncodeRefusesBadInput(t *testing.T) {
	k, _ := GenerateKeys(nil)
	now := time.Unix(1796311108, 0)
	tests := []struct {
		name string
		m    Message
		k    Keys
		want string
	}{
		{"no user", Message{Time: now, Access: "192.0.2.7,tcp/22"}, k, "no user name"},
		{"bad user", Message{User: "a:b", Time: now, Access: "192.0.2.7,tcp/22"}, k, "not allowed"},
		{"no time", Message{User: "u", Access: "192.0.2.7,tcp/22"}, k, "no time"},
		{"ipv6", Message{User: "u", Time: now, Access: "2001:db8::1,tcp/22"}, k, "IPv4"},
		{"bad port", Message{User: "u", Time: now, Access: "192.0.2.7,tcp/0"}, k, "1 to 65535"},
		{"bad proto", Message{User: "u", Time: now, Access: "192.0.2.7,sctp/22"}, k, "tcp, udp or icmp"},
		{"no key", Message{User: "u", Time: now, Access: "192.0.2.7,tcp/22"}, Keys{}, "no encryption key"},
		{"long key", Message{User: "u", Time: now, Access: "192.0.2.7,tcp/22"}, Keys{Key: make([]byte, 33)}, "at most 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.m, tt.k, nil)
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("Encode: %v, want %q", err, tt.want)
			}
		})
	}
}

// BenchmarkEncodeDecode: the packet's cost in process, for comparison
// with the per-process figures of cli's BenchmarkFwknopVsFwknop1.
func BenchmarkEncodeDecode(b *testing.B) {
	k, _ := GenerateKeys(nil)
	m := Message{User: "root", Time: time.Unix(1796311108, 0), Access: "192.0.2.7,tcp/22"}
	for b.Loop() {
		p, err := Encode(m, k, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Decode([]byte(p), k); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOnePacketOneText: without an HMAC key nothing signs the text, so a
// resent packet must not decode under another spelling (padding added, or
// the last character's unused bits set), which ReplayDigest would count
// as new.
func TestOnePacketOneText(t *testing.T) {
	k, _ := GenerateKeys(nil)
	k.HMACKey = nil
	m := Message{User: "u", Time: time.Unix(1796311108, 0), Access: "192.0.2.7,tcp/22"}
	pkt, err := Encode(m, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode([]byte(pkt), k); err != nil {
		t.Fatalf("the packet itself: %v", err)
	}
	last := pkt[len(pkt)-1]
	i := strings.IndexByte(b64Alphabet, last)
	bumped := pkt[:len(pkt)-1] + string(b64Alphabet[i^1])
	for _, text := range []string{pkt + "=", pkt + "==", bumped} {
		if text == pkt {
			continue
		}
		if got, err := Decode([]byte(text), k); err == nil && ReplayDigest([]byte(text)) != ReplayDigest([]byte(pkt)) {
			t.Errorf("%q decodes as %+v under a digest of its own", text, got)
		}
	}
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
