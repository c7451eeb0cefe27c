package spa

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The keys of the test vectors (testdata/gen.sh): test keys only.
const (
	testKey     = "Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk="
	testHMACKey = "FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng=="
)

// vector is one packet the real fwknop made (see testdata/README.md).
type vector struct {
	name   string
	packet []byte
	fields map[string]string // fwknop -v's dump: "Random Value" -> "..."
	keys   Keys
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	names, err := filepath.Glob("testdata/*.packet")
	if err != nil || len(names) == 0 {
		t.Fatalf("no test vectors in testdata (%v): run testdata/gen.sh", err)
	}
	rcf, err := os.Open("testdata/fwknoprc")
	if err != nil {
		t.Fatal(err)
	}
	defer rcf.Close()
	rc, err := ParseRC(rcf, "testdata/fwknoprc")
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, p := range names {
		name := strings.TrimSuffix(filepath.Base(p), ".packet")
		v := vector{name: name, fields: map[string]string{}}
		pkt, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v.packet = bytes.TrimSpace(pkt)
		dump, err := os.ReadFile(strings.TrimSuffix(p, ".packet") + ".fields")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(dump), "\n") {
			if k, val, ok := strings.Cut(line, ": "); ok {
				v.fields[strings.TrimSpace(k)] = strings.TrimSpace(val)
			}
		}
		argText, err := os.ReadFile(strings.TrimSuffix(p, ".packet") + ".args")
		if err != nil {
			t.Fatal(err)
		}
		v.keys = keysFromArgs(t, strings.Split(strings.TrimSpace(string(argText)), "\n"), rc)
		out = append(out, v)
	}
	return out
}

// keysFromArgs reads the keys and settings from fwknop's arguments as
// fwknop would.
func keysFromArgs(t testing.TB, args []string, rc []RCStanza) Keys {
	t.Helper()
	var k Keys
	var key, hmacKey string
	useHMAC := slices.Contains(args, "--use-hmac")
	for i := 0; i < len(args)-1; i++ {
		switch args[i] {
		case "--key-base64-rijndael":
			key = args[i+1]
		case "--key-base64-hmac":
			hmacKey = args[i+1]
		case "-n":
			s, err := Stanza(rc, args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			if k, err = s.Keys(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if key != "" {
		var err error
		if k, err = KeysFromBase64(key, hmacKey); err != nil {
			t.Fatal(err)
		}
	}
	if !useHMAC {
		k.HMACKey = nil
	}
	for i := 0; i < len(args)-1; i++ {
		switch args[i] {
		case "--hmac-digest-type":
			h, err := ParseHash(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			k.HMAC = h
		case "-M":
			m, err := ParseEncryptionMode(args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			k.Mode = m
		}
	}
	return k
}

// firstWord is "3" of "3 (SHA256)".
func firstWord(s string) string { w, _, _ := strings.Cut(s, " "); return w }

// inParens is "SHA256" of "3 (SHA256)".
func inParens(s string) string {
	_, rest, _ := strings.Cut(s, "(")
	return strings.TrimSuffix(rest, ")")
}

// TestDecodeRealFwknop reads every packet the real fwknop made and checks
// each field against fwknop's own dump of what it encoded.
func TestDecodeRealFwknop(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			m, err := Decode(v.packet, v.keys)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			f := v.fields
			timeout := 0
			if s := f["Client Timeout"]; s != "" {
				timeout, _ = strconv.Atoi(s)
			}
			checks := []struct{ field, got, want string }{
				{"Random Value", m.Rand, f["Random Value"]},
				{"Username", m.User, f["Username"]},
				{"Timestamp", strconv.FormatInt(m.Time.Unix(), 10), f["Timestamp"]},
				{"FKO Version", m.Version, f["FKO Version"]},
				{"Message Type", strconv.Itoa(int(m.Type)), firstWord(f["Message Type"])},
				{"Message String", m.Access, f["Message String"]},
				{"Client Timeout", strconv.Itoa(m.ClientTimeout), strconv.Itoa(timeout)},
				{"Digest Type", m.Digest.String(), inParens(f["Digest Type"])},
			}
			if len(v.keys.HMACKey) > 0 {
				checks = append(checks, struct{ field, got, want string }{"HMAC Type", v.keys.HMAC.String(), inParens(f["HMAC Type"])})
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: Decode read %q, fwknop encoded %q", c.field, c.got, c.want)
				}
			}
		})
	}
}

// TestEncodeMatchesRealFwknop re-encodes each decoded message with the
// packet's own salt and gets fwknop's packet back byte for byte: the
// inner encoding, the digest, the key derivation, the padding, the
// base64, the prefix stripping and the HMAC all agree with libfko.
func TestEncodeMatchesRealFwknop(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			m, err := Decode(v.packet, v.keys)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			inner, err := encodeInner(&m, bytes.NewReader(nil))
			if err != nil {
				t.Fatal(err)
			}
			if inner != v.fields["Encoded Data"] {
				t.Errorf("inner encoding\n got %s\nwant %s (fwknop's)", inner, v.fields["Encoded Data"])
			}
			got, err := Encode(m, v.keys, bytes.NewReader(saltOf(t, v.packet)))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(v.packet) {
				t.Errorf("Encode\n got %s\nwant %s (fwknop's)", got, v.packet)
			}
		})
	}
}

// saltOf reads the salt of a packet: bytes 8 to 16 of its ciphertext.
func saltOf(t testing.TB, packet []byte) []byte {
	t.Helper()
	ct, err := b64.DecodeString(saltedPrefix + string(packet[:22]))
	if err != nil || len(ct) < 16 {
		t.Fatalf("cannot read the salt: %v", err)
	}
	return ct[8:16]
}

// TestDecodeRefuses checks the typed errors a daemon counts, on real
// fwknop packets changed in one way each.
func TestDecodeRefuses(t *testing.T) {
	var v vector
	for _, x := range loadVectors(t) {
		if x.name == "access" {
			v = x
		}
	}
	if v.packet == nil {
		t.Fatal("no access vector")
	}
	otherHMAC := v.keys
	otherHMAC.HMACKey = bytes.Repeat([]byte{7}, 64)
	otherKey := v.keys
	otherKey.Key = bytes.Repeat([]byte{7}, 32)
	flip := func(i int) []byte {
		p := bytes.Clone(v.packet)
		if p[i] == 'A' {
			p[i] = 'B'
		} else {
			p[i] = 'A'
		}
		return p
	}
	noHMAC := v.keys
	noHMAC.HMACKey = nil
	tests := []struct {
		name   string
		packet []byte
		keys   Keys
		want   error
	}{
		{"wrong HMAC key", v.packet, otherHMAC, ErrBadHMAC},
		{"ciphertext changed", flip(30), v.keys, ErrBadHMAC},
		{"HMAC changed", flip(len(v.packet) - 5), v.keys, ErrBadHMAC},
		{"wrong key, right HMAC", v.packet, otherKey, ErrDecrypt},
		{"prefix added", append([]byte(saltedPrefix), v.packet...), v.keys, ErrNotSPA},
		{"too short", v.packet[:100], v.keys, ErrNotSPA},
		{"not base64", append(bytes.Clone(v.packet), '\n'), v.keys, ErrNotSPA},
		{"padding added", append(bytes.Clone(v.packet), '='), v.keys, ErrNotSPA},
		{"too long", bytes.Repeat([]byte("A"), 1501), v.keys, ErrNotSPA},
		{"HMAC read as ciphertext", v.packet, noHMAC, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.packet, tt.keys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReplayDigest(t *testing.T) {
	// fwknopd's cache key of a packet: base64 SHA-256 of the payload,
	// '=' stripped (checked with: printf %s PACKET | sha256sum | xxd -r -p | base64).
	if got, want := ReplayDigest([]byte("abc")), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0"; got != want {
		t.Fatalf("ReplayDigest = %s, want %s", got, want)
	}
}
