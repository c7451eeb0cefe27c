package accessconf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
	"sesame/spa"
)

// Keys as fwknop --key-gen prints them; the tests check they never show.
const (
	keyB64  = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
	hmacB64 = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
)

func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse(strings.NewReader(text), "access.conf")
}

func TestParse(t *testing.T) {
	cfg, err := parse(t, `# a comment
; another
SOURCE              192.0.2.0/24, 198.51.100.7/255.255.255.0
OPEN_PORTS          tcp/22, udp/1194
KEY_BASE64          `+keyB64+`
HMAC_KEY_BASE64:    `+hmacB64+`   ; trailing comment
FW_ACCESS_TIMEOUT   60
REQUIRE_USERNAME    alice
REQUIRE_SOURCE_ADDRESS Y
  # an indented comment

SOURCE ANY
KEY        a passphrase
HMAC_KEY   another one
RESTRICT_PORTS tcp/23
MAX_FW_TIMEOUT 20
HMAC_DIGEST_TYPE SHA256
ENCRYPTION_MODE cbc
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Stanzas) != 2 {
		t.Fatalf("stanzas: %d", len(cfg.Stanzas))
	}
	a, b := cfg.Stanzas[0], cfg.Stanzas[1]
	if a.Line != 3 || a.Num != 1 || b.Line != 12 || b.Num != 2 {
		t.Errorf("lines %d/%d, nums %d/%d", a.Line, b.Line, a.Num, b.Num)
	}
	if !a.MatchSource(netip.MustParseAddr("192.0.2.9"), netip.Addr{}) || !a.MatchSource(netip.MustParseAddr("198.51.100.200"), netip.Addr{}) ||
		a.MatchSource(netip.MustParseAddr("203.0.113.1"), netip.Addr{}) {
		t.Errorf("source %v", a.Source)
	}
	if !b.MatchSource(netip.MustParseAddr("2001:db8::2"), netip.Addr{}) || !b.MatchSource(netip.MustParseAddr("203.0.113.1"), netip.Addr{}) {
		t.Errorf("ANY: %v", b.Source)
	}
	want := []Port{{knocker.TCP, 22}, {knocker.UDP, 1194}}
	if fmt.Sprint(a.OpenPorts) != fmt.Sprint(want) {
		t.Errorf("open ports %v", a.OpenPorts)
	}
	if len(a.Key) != 32 || len(a.HMACKey) != 64 || string(b.Key) != "a passphrase" || string(b.HMACKey) != "another one" {
		t.Errorf("keys: %d %d %q %q", len(a.Key), len(a.HMACKey), b.Key, b.HMACKey)
	}
	if a.AccessTimeout != time.Minute || a.MaxTimeout != DefaultMaxTimeout || b.AccessTimeout != DefaultAccessTimeout || b.MaxTimeout != 20*time.Second {
		t.Errorf("timeouts %v %v %v %v", a.AccessTimeout, a.MaxTimeout, b.AccessTimeout, b.MaxTimeout)
	}
	if a.RequireUsername != "alice" || !a.RequireSourceAddress || b.RequireSourceAddress {
		t.Errorf("require: %+v", a)
	}
	if b.HMAC != spa.SHA256 || b.Mode != spa.CBC || a.HMAC != spa.HashDefault {
		t.Errorf("types %v %v %v", b.HMAC, b.Mode, a.HMAC)
	}
	// fwknopd's timeout rule: the client's time, capped; else the stanza's.
	if a.Timeout(0) != time.Minute || a.Timeout(10*time.Second) != 10*time.Second || b.Timeout(time.Hour) != 20*time.Second {
		t.Errorf("Timeout: %v %v %v", a.Timeout(0), a.Timeout(10*time.Second), b.Timeout(time.Hour))
	}
	if !a.Allows([]Port{{knocker.TCP, 22}}) || a.Allows([]Port{{knocker.TCP, 22}, {knocker.TCP, 80}}) ||
		!b.Allows([]Port{{knocker.TCP, 80}}) || b.Allows([]Port{{knocker.TCP, 23}}) || b.Allows(nil) {
		t.Error("Allows")
	}
	// The second stanza lacks REQUIRE_SOURCE_ADDRESS: fwknopd warns, so
	// does sesamed, at the stanza's line.
	if !hasWarning(cfg, "access.conf:12: REQUIRE_SOURCE_ADDRESS is not enabled") {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	for _, s := range cfg.Stanzas {
		out := fmt.Sprintf("%v %+v %#v %s %x", s, s, s, s.Key, s.HMACKey)
		if strings.Contains(out, "passphrase") || strings.Contains(out, "another one") || strings.Contains(out, "wZKl") {
			t.Errorf("a printed stanza shows its key: %s", out)
		}
	}
}

func hasWarning(cfg *Config, prefix string) bool {
	for _, w := range cfg.Warnings {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

const good = "KEY_BASE64 " + keyB64 + "\nHMAC_KEY_BASE64 " + hmacB64 + "\nREQUIRE_SOURCE_ADDRESS Y\n"

// TestWarnings: what fwknopd ignores is a warning with the file and line,
// and the file still loads.
func TestWarnings(t *testing.T) {
	cfg, err := parse(t, "OPEN_PORTS tcp/22\nSOURCE ANY\n"+good+"FOO_BAR 1\nsource 192.0.2.1\nOPEN_PORT tcp/22\nENABLE_CMD_EXEC Y\nGPG_DECRYPT_ID ABCD\nKEY_BASE64 "+keyB64+"\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"access.conf:1: OPEN_PORTS comes before any SOURCE and is ignored",
		"access.conf:6: unknown variable FOO_BAR is ignored (fwknopd ignores it too)",
		"access.conf:7: unknown variable source is ignored (fwknopd ignores it too): fwknopd reads variable names in upper case only; write SOURCE",
		"access.conf:8: unknown variable OPEN_PORT is ignored (fwknopd ignores it too): did you mean OPEN_PORTS?",
		"access.conf:9: ENABLE_CMD_EXEC is ignored: sesamed refuses SPA command messages",
		"access.conf:10: GPG_DECRYPT_ID is ignored",
		"access.conf:11: KEY_BASE64 is set twice in the stanza of line 2 (before on line 3)",
	} {
		if !hasWarning(cfg, w) {
			t.Errorf("no warning %q in\n%s", w, strings.Join(cfg.Warnings, "\n"))
		}
	}
}

// TestErrors: each error names the file and line, and never a key.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"SOURCE 192.0.2.300\n" + good, "access.conf:1: SOURCE has \"192.0.2.300\", not an address"},
		{"SOURCE 192.0.2.0/33\n" + good, "access.conf:1: SOURCE has \"192.0.2.0/33\", whose mask"},
		{"SOURCE 192.0.2.0/255.0.255.0\n" + good, "not contiguous"},
		{"SOURCE ANY\n" + good + "OPEN_PORTS tcp/22,icmp/1\n", "access.conf:5: OPEN_PORTS: \"icmp/1\" has protocol"},
		{"SOURCE ANY\n" + good + "OPEN_PORTS tcp/0\n", "access.conf:5: OPEN_PORTS: \"tcp/0\" has no port"},
		{"SOURCE ANY\nKEY_BASE64 __CHANGEME__\n", "access.conf:2: KEY_BASE64 is still __CHANGEME__"},
		{"SOURCE ANY\nKEY_BASE64 " + keyB64 + "!\n", "access.conf:2: KEY_BASE64 is not base64 (not shown: it is a key)"},
		{"SOURCE ANY\nHMAC_KEY_BASE64\n", "access.conf:2: HMAC_KEY_BASE64 has no value"},
		{"SOURCE ANY\n" + keyB64 + "\n", "access.conf:2: the line has no value (the line is not shown"},
		{"SOURCE ANY\nREQUIRE_SOURCE_ADDRESS Y\n", "access.conf:1: no keys found for the stanza of SOURCE ANY"},
		{"SOURCE ANY\nKEY_BASE64 " + keyB64 + "\n", "access.conf:1: the stanza of SOURCE ANY has no HMAC_KEY_BASE64"},
		{"SOURCE ANY\nKEY_BASE64 " + keyB64 + "\nHMAC_KEY_BASE64 " + keyB64 + "\n", "access.conf:1: the stanza of SOURCE ANY has the same encryption and HMAC key"},
		{"SOURCE ANY\n" + good + "ENCRYPTION_MODE ctr\n", "access.conf:5: ENCRYPTION_MODE CTR is not served by sesamed"},
		{"SOURCE ANY\nKEY_BASE64 " + hmacB64 + "\nHMAC_KEY_BASE64 " + keyB64 + "\n", "access.conf:1: the stanza of SOURCE ANY: the encryption key is 64 bytes"},
		{"SOURCE ANY\n" + good + "ENCRYPTION_MODE ofb\n", "access.conf:5: ENCRYPTION_MODE \"ofb\" is not one of"},
		{"SOURCE ANY\n" + good + "HMAC_DIGEST_TYPE sha2\n", "access.conf:5: HMAC_DIGEST_TYPE \"sha2\""},
		{"SOURCE ANY\n" + good + "FW_ACCESS_TIMEOUT 30s\n", "access.conf:5: FW_ACCESS_TIMEOUT \"30s\""},
		{"SOURCE ANY\n" + good + "FORCE_NAT 192.0.2.2 22\n", "access.conf:5: FORCE_NAT: sesamed opens local ports only"},
		{"SOURCE ANY\n" + good + "CMD_CYCLE_OPEN iptables -A\n", "access.conf:5: CMD_CYCLE_OPEN: sesamed opens the firewall itself"},
		{"SOURCE ANY\n" + good + "ACCESS_EXPIRE 2026-01-01\n", "access.conf:5: ACCESS_EXPIRE"},
		{"# nothing\n", "access.conf: has no SOURCE stanza"},
		{"SOURCE ANY\n" + good + "SOURCE 192.0.2.1\nKEY x\n", "access.conf:5: the stanza of SOURCE 192.0.2.1 has no HMAC_KEY_BASE64"},
	} {
		_, err := parse(t, tc.text)
		var ce *Error
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.text, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), keyB64[:12]) || strings.Contains(err.Error(), hmacB64[:12]) {
			t.Errorf("error shows a key: %v", err)
		}
	}
}

// TestGPGOnly: a GPG stanza is one sesamed cannot serve; it is left out
// with a warning and the other stanzas keep fwknopd's numbers.
func TestGPGOnly(t *testing.T) {
	cfg, err := parse(t, "SOURCE 192.0.2.1\nGPG_DECRYPT_PW secret\nGPG_DECRYPT_ID ABCD\nSOURCE ANY\n"+good)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Stanzas) != 1 || cfg.Stanzas[0].Num != 2 {
		t.Fatalf("stanzas %+v", cfg.Stanzas)
	}
	if !hasWarning(cfg, "access.conf:1: the stanza of SOURCE 192.0.2.1 has only GPG keys") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	for _, w := range cfg.Warnings {
		if strings.Contains(w, "secret") {
			t.Errorf("warning shows the GPG password: %s", w)
		}
	}
}

func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("keys", "KEY_BASE64 "+keyB64+"\nHMAC_KEY_BASE64 "+hmacB64+"\nOPEN_PORTS tcp/1\n")
	write("d/b.conf", "SOURCE 192.0.2.2\n"+good)
	write("d/a.conf", "SOURCE 192.0.2.1\n"+good)
	write("d/skip.txt", "SOURCE 192.0.2.9\n")
	main := write("access.conf", "SOURCE ANY\n%include_keys keys\nREQUIRE_SOURCE_ADDRESS Y\n%include_folder d\n")
	cfg, err := ParseFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Stanzas) != 3 || len(cfg.Stanzas[0].Key) != 32 || len(cfg.Stanzas[0].OpenPorts) != 0 ||
		cfg.Stanzas[1].SourceText != "192.0.2.1" || cfg.Stanzas[2].File != filepath.Join(dir, "d/b.conf") {
		t.Fatalf("stanzas: %+v", cfg.Stanzas)
	}
	if !hasWarning(cfg, filepath.Join(dir, "keys")+":3: OPEN_PORTS is ignored in an %include_keys file") {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	loop := write("loop.conf", "%include loop.conf\n")
	if _, err := ParseFile(loop); err == nil || !strings.Contains(err.Error(), "deeper than 3") {
		t.Errorf("include loop: %v", err)
	}
	if _, err := ParseFile(write("missing.conf", "%include nothere\n")); err == nil || !strings.Contains(err.Error(), "nothere") {
		t.Errorf("missing include: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SOURCE ANY\n" + good,
		"SOURCE 192.0.2.0/24,2001:db8::/64\nKEY a\nHMAC_KEY b\nOPEN_PORTS tcp/22,udp/53\nRESTRICT_PORTS tcp/23\nFW_ACCESS_TIMEOUT 5\n",
		"SOURCE ANY\nGPG_DECRYPT_PW x\n", "SOURCE\n", "KEY x\n", "SOURCE ANY;x\nKEY: y\n", "%include x\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Parse(strings.NewReader(s), "f.conf")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) && !strings.Contains(err.Error(), "read the fwknop access file") {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		for _, st := range cfg.Stanzas {
			if len(st.Key) == 0 || len(st.HMACKey) == 0 || len(st.Source) == 0 || st.AccessTimeout <= 0 || st.MaxTimeout <= 0 || st.Keys().Check() != nil {
				t.Fatalf("stanza served without what it needs: %+v", st)
			}
		}
	})
}

// TestLineNames: a line is named by its variable only when the first word
// is shaped like one; anything else may be a key written without its
// name.
func TestLineNames(t *testing.T) {
	for _, tc := range []struct{ text, want, hidden string }{
		{"SOURCE ANY\nmysecretpass\n", "access.conf:2: the line has no value", "mysecretpass"},
		{"SOURCE ANY\nMySecret pass\n" + good, "access.conf:2: the line is not a variable fwknopd knows", "MySecret"},
		{"SOURCE ANY\nhmac_key_base64 x\n" + good, "write HMAC_KEY_BASE64", ""},
	} {
		cfg, err := parse(t, tc.text)
		var all string
		if err != nil {
			all = err.Error()
		} else {
			all = strings.Join(cfg.Warnings, "\n")
		}
		if !strings.Contains(all, tc.want) || tc.hidden != "" && strings.Contains(all, tc.hidden) {
			t.Errorf("%q: got %s", tc.text, all)
		}
	}
}
