package spa

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRC(t *testing.T) {
	const rc = `# a comment
[default]
SPA_SERVER_PORT 62201
ACCESS: tcp/22 ; trailing comment

[web]
SPA_SERVER  192.0.2.1
KEY_BASE64  Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk=
HMAC_KEY_BASE64 FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng==#c
ACCESS      tcp/443
`
	st, err := ParseRC(strings.NewReader(rc), "rc")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "default" || st[1].Name != "web" || st[1].Line != 6 {
		t.Fatalf("stanzas = %+v", st)
	}
	web, err := Stanza(st, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, want string }{
		{"ACCESS", "tcp/443"}, {"SPA_SERVER_PORT", "62201"}, {"SPA_SERVER", "192.0.2.1"},
	} {
		if got, _ := web.Get(c.name); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	k, err := web.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Key) != 32 || len(k.HMACKey) != 64 {
		t.Fatalf("keys: %v", k)
	}
	if _, err := Stanza(st, "nope"); err == nil || !strings.Contains(err.Error(), "web") {
		t.Fatalf("missing stanza: %v, want the list of stanzas", err)
	}
}

func TestParseRCErrors(t *testing.T) {
	tests := []struct{ name, rc, want string }{
		{"unknown variable", "[a]\nSPA_SERVR 192.0.2.1\n", "f:2: \"SPA_SERVR\" is not a fwknop rc variable"},
		{"outside stanza", "ACCESS tcp/22\n", "f:1: ACCESS is outside any stanza"},
		{"no value", "[a]\nACCESS\n", "f:2: ACCESS has no value"},
		{"bad header", "[a\n", "f:1: a stanza header is [name]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRC(strings.NewReader(tt.rc), "f")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRC: %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRCKeysErrorsHideValues: a bad key's error names the variable and
// its line, not the value.
func TestRCKeysErrorsHideValues(t *testing.T) {
	st, err := ParseRC(strings.NewReader("[a]\nKEY_BASE64 sekrit!!\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	_, err = st[0].Keys()
	if err == nil || !strings.Contains(err.Error(), "line 2: KEY_BASE64") || strings.Contains(err.Error(), "sekrit") {
		t.Fatalf("Keys: %v", err)
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	k, err := GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{k.String(), k.GoString(), sprint("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, k.KeyBase64()) || strings.Contains(s, k.HMACKeyBase64()) || strings.Contains(s, string(k.Key)) {
			t.Fatalf("keys printed: %s", s)
		}
	}
	back, err := ParseKeyGenText(k.KeyGenText())
	if err != nil || string(back.Key) != string(k.Key) || string(back.HMACKey) != string(k.HMACKey) {
		t.Fatalf("ParseKeyGenText(KeyGenText()) = %v, %v", back, err)
	}
}

func sprint(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestParseKeyGenTextSpellings(t *testing.T) {
	want, _ := KeysFromBase64(testKey, testHMACKey)
	for _, text := range []string{
		"KEY_BASE64: " + testKey + "\nHMAC_KEY_BASE64: " + testHMACKey + "\n",
		"KEY_BASE64:" + testKey + " HMAC_KEY_BASE64:" + testHMACKey,
		"KEY_BASE64     " + testKey + "\nHMAC_KEY_BASE64 " + testHMACKey,
	} {
		k, err := ParseKeyGenText(text)
		if err != nil || string(k.Key) != string(want.Key) || string(k.HMACKey) != string(want.HMACKey) {
			t.Errorf("ParseKeyGenText(%q) = %v, %v", text, k, err)
		}
	}
	if got := want.QRText(); got != "KEY_BASE64:"+testKey+" HMAC_KEY_BASE64:"+testHMACKey {
		t.Errorf("QRText = %q", got)
	}
	if _, err := ParseKeyGenText("HMAC_KEY_BASE64: " + testHMACKey); err == nil {
		t.Error("no KEY_BASE64: no error")
	}
}

// TestKeysFromPassphrases decodes the real fwknop's passphrase vector
// with keys built from the passphrases of testdata/fwknoprc.
func TestKeysFromPassphrases(t *testing.T) {
	k, err := KeysFromPassphrases("correct-horse", "battery-staple-hmac")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range loadVectors(t) {
		if v.name == "passphrase" {
			if _, err := Decode(v.packet, k); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			return
		}
	}
	t.Fatal("no passphrase vector")
}
