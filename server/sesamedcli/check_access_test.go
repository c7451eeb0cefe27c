package sesamedcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckAccess: check reads Fwknop_Access with the config, lists its
// stanzas, says its problems with file:line, and never prints a key.
func TestCheckAccess(t *testing.T) {
	const (
		key  = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
		hmac = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
	)
	dir := t.TempDir()
	access := filepath.Join(dir, "access.conf")
	writeAccess := func(text string) {
		if err := os.WriteFile(access, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := writeConf(t, "[options]\n\tInterface = lo\n\tFwknop_Access = "+access+"\n")
	for _, tc := range []struct {
		name     string
		access   string
		code     int
		out, err []string
	}{
		{"good", "SOURCE 192.0.2.0/24\nOPEN_PORTS tcp/22\nKEY_BASE64 " + key + "\nHMAC_KEY_BASE64 " + hmac + "\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 10\nWHATEVER x\n", 0,
			[]string{"OK, 0 doors", "SPA on 62201/udp: " + access + ", 1 stanza\n", "[stanza #1] " + access + ":1: SOURCE 192.0.2.0/24, opens tcp/22, for 10s (a client may ask up to 5m0s), HMAC SHA256, source address required"},
			[]string{"warning: " + access + ":7: unknown variable WHATEVER is ignored (fwknopd ignores it too)"}},
		{"a bad key", "SOURCE ANY\nKEY_BASE64 " + key + "\nHMAC_KEY_BASE64 " + hmac + "#\n", 1,
			nil, []string{"sesamed check: Fwknop_Access: " + access + ":3: HMAC_KEY_BASE64 is not base64 (not shown: it is a key)"}},
		{"a key line without its name", "SOURCE ANY\n" + key + " " + hmac + "\n", 0,
			nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeAccess(tc.access)
			code, out, errOut := run(t, "check", "-c", conf)
			if tc.name == "a key line without its name" {
				// fwknopd reads it as an unknown variable named by the
				// key; the warning must not show it, and no keys: error.
				if code != 1 || strings.Contains(errOut, key[:10]) || !strings.Contains(errOut, access+":1: no keys found") {
					t.Fatalf("code %d:\n%s%s", code, out, errOut)
				}
				return
			}
			wantRun(t, code, out, errOut, tc.code, tc.out, tc.err)
			if strings.Contains(out+errOut, key[:10]) || strings.Contains(out+errOut, hmac[:10]) {
				t.Errorf("check printed a key:\n%s%s", out, errOut)
			}
		})
	}
}

// TestCheckAccessJSON: check --json lists the SPA stanzas sesamed serves,
// and access.conf's errors with file and line, never a key.
func TestCheckAccessJSON(t *testing.T) {
	const (
		key  = "wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A="
		hmac = "Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A=="
	)
	access := filepath.Join(t.TempDir(), "access.conf")
	conf := writeConf(t, "[options]\n\tInterface = lo\n\tFwknop_Access = "+access+"\n\tFwknop_Port = 62202/udp\n")
	write := func(text string) {
		if err := os.WriteFile(access, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("SOURCE 192.0.2.0/24\nOPEN_PORTS tcp/22\nKEY_BASE64 " + key + "\nHMAC_KEY_BASE64 " + hmac + "\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 10\n")
	code, out, errOut := run(t, "check", "--json", "-c", conf)
	if code != 0 || strings.Contains(out, key[:10]) || strings.Contains(out, hmac[:10]) {
		t.Fatalf("exit %d, stderr %q, or a key in:\n%s", code, errOut, out)
	}
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.SPA == nil || r.SPA.Port != "62202/udp" || r.SPA.File != access || len(r.SPA.Stanzas) != 1 {
		t.Fatalf("spa: %+v\n%s", r.SPA, out)
	}
	if s := r.SPA.Stanzas[0]; s.Line != 1 || s.Source != "192.0.2.0/24" || strings.Join(s.OpenPorts, ",") != "tcp/22" ||
		s.AccessTimeout != "10s" || !s.RequireSourceAddress || s.HMAC != "SHA256" {
		t.Fatalf("stanza: %+v", s)
	}

	write("SOURCE ANY\nKEY_BASE64 " + key + "\nHMAC_KEY_BASE64 " + hmac + "#\n")
	code, out, _ = run(t, "check", "--json", "-c", conf)
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || r.OK {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(r.Errors) != 1 || r.Errors[0].File != access || r.Errors[0].Line != 3 || strings.Contains(out, hmac[:10]) {
		t.Fatalf("errors: %+v\n%s", r.Errors, out)
	}
}
