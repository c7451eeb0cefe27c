package cli

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sesame/profiles"
)

// spaKeyText is a pair of keys as fwknop --key-gen prints them.
const (
	spaKeyB64  = "S0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0tLS0s="
	spaHMACB64 = "SEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISEhISA=="
	spaKeyText = "KEY_BASE64: " + spaKeyB64 + "\nHMAC_KEY_BASE64: " + spaHMACB64 + "\n"
)

func spaTestKeys(t *testing.T) *profiles.SPAKeys {
	t.Helper()
	k, err := profiles.ParseSPAKeys(spaKeyText)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestProfileSPA: --spa takes keys from a file, standard input (a
// pipe from fwknop --key-gen, or bare values) or makes them, never from
// the command line; show says the kind and hides the keys.
func TestProfileSPA(t *testing.T) {
	e := newProfileEnv(t)
	file := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(file, []byte(spaKeyText), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("", "profile", "add", "gate", "--host", "192.0.2.1", "--port", "2222", "--spa", file, "--spa-timeout", "30", "--spa-allow-ip", "source")
	p := e.get("gate")
	want := &profiles.SPA{Timeout: 30, AllowIP: profiles.AllowSource}
	if p.Kind() != profiles.KindSPA || !reflect.DeepEqual(p.SPA, want) || !reflect.DeepEqual(p.Secrets.SPA, spaTestKeys(t)) {
		t.Fatalf("profile gate = %+v %+v", p, p.SPA)
	}

	out := e.ok("", "profile", "show", "gate")
	for _, w := range []string{"kind:", "spa", "spa access:", "tcp/2222", "62201/udp", "closes by itself after 30 s (SPA has no close packet)", "hidden: --reveal"} {
		if !strings.Contains(out, w) {
			t.Errorf("show has no %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, spaKeyB64[:12]) || strings.Contains(out, spaHMACB64[:12]) {
		t.Fatalf("show without --reveal prints a key:\n%s", out)
	}
	if out := e.ok("", "profile", "show", "gate", "--reveal"); !strings.Contains(out, spaKeyB64) || !strings.Contains(out, spaHMACB64) {
		t.Fatalf("show --reveal has no keys:\n%s", out)
	}

	// From standard input: fwknop --key-gen's two lines, or bare values.
	e.ok(spaKeyText, "profile", "add", "piped", "--host", "192.0.2.1", "--spa", "-")
	e.ok(spaKeyB64+"\n"+spaHMACB64+"\n", "profile", "add", "bare", "--host", "192.0.2.1", "--spa", "-")
	for _, name := range []string{"piped", "bare"} {
		if p := e.get(name); !reflect.DeepEqual(p.Secrets.SPA, spaTestKeys(t)) || !reflect.DeepEqual(p.SPA, &profiles.SPA{}) {
			t.Errorf("profile %s = %+v %+v", name, p.SPA, p.Secrets.SPA)
		}
	}

	// New keys are printed once, as the server's access.conf lines.
	out = e.ok("", "profile", "add", "fresh", "--host", "192.0.2.1", "--spa", "new")
	k := e.get("fresh").Secrets.SPA
	for _, w := range []string{"shown only now", "OPEN_PORTS              tcp/22", "KEY_BASE64              " + base64.StdEncoding.EncodeToString(k.Key)} {
		if !strings.Contains(out, w) {
			t.Errorf("add --spa new printed no %q:\n%s", w, out)
		}
	}

	// Editing the settings keeps the keys; a sequence replaces them.
	e.ok("", "profile", "edit", "gate", "--spa-port", "40000", "--spa-proto", "tcp")
	if p := e.get("gate"); p.SPA.Port != 40000 || p.SPA.Proto != "tcp" || p.SPA.Timeout != 30 || p.Secrets.SPA == nil {
		t.Fatalf("after edit: %+v", p.SPA)
	}
	e.ok("", "profile", "edit", "gate", "--open", "7000,8000")
	if p := e.get("gate"); p.Kind() != profiles.KindSequence || p.SPA != nil || p.Secrets.SPA != nil {
		t.Fatalf("an open sequence did not replace SPA: %+v", p)
	}
	// And SPA keys replace the sequences, the close one too.
	e.ok("", "profile", "edit", "gate", "--close", "8000,7000")
	e.ok(spaKeyText, "profile", "edit", "gate", "--spa", "-")
	if p := e.get("gate"); p.Kind() != profiles.KindSPA || len(p.Secrets.Close) != 0 || len(p.Secrets.Open) != 0 {
		t.Fatalf("SPA keys did not replace the sequences: %+v", p)
	}
}

func TestProfileSPABadInput(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "192.0.2.1", "--open", "7000")
	e.ok(spaKeyText, "profile", "add", "gate", "--host", "192.0.2.1", "--spa", "-")
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("KEY_BASE64: "+spaKeyB64+"\n"), 0o600)
	before := e.state()
	tests := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", filepath.Join(t.TempDir(), "none")}, "no such file"},
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", bad}, "no KEY_BASE64 and HMAC_KEY_BASE64"},
		{"KEY_BASE64: " + spaKeyB64 + "\nHMAC_KEY_BASE64: %%%\n", []string{"profile", "add", "x", "--host", "h", "--spa", "-"}, "HMAC_KEY_BASE64 is not base64"},
		// Cobra's words for exclusive flags (which name both) may change.
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", "new", "--open", "1,2"}, "open"},
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", "new", "--close", "1,2"}, "close"},
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", "new", "--spa-access", "tcp/22,sctp/1"}, "spa-access"},
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", "new", "--spa-proto", "icmp"}, "spa-proto"},
		{"", []string{"profile", "add", "x", "--host", "h", "--spa", "new", "--spa-allow-ip", "0.0.0.0"}, `write "source"`},
		{"", []string{"profile", "edit", "web", "--spa-timeout", "30"}, "are for an SPA profile: give --spa new"},
		{"", []string{"profile", "edit", "gate", "--close", "1,2"}, "SPA has no close packet"},
	}
	for _, tt := range tests {
		code, stdout, stderr := e.run(tt.stdin, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("sesame %s: exit %d, %q; want exit %d and %q", strings.Join(tt.args, " "), code, stdout+stderr, ExitUsage, tt.want)
		}
		if strings.Contains(stderr, spaKeyB64[:12]) {
			t.Errorf("sesame %s quotes a key: %s", strings.Join(tt.args, " "), stderr)
		}
	}
	if after := e.state(); after != before {
		t.Fatal("a refused command changed the store")
	}
}

// TestProfileSPAExportImport: an export with secrets carries the kind, the
// settings and the keys, and imports as the same profile.
func TestProfileSPAExportImport(t *testing.T) {
	e := newProfileEnv(t)
	e.ok(spaKeyText, "profile", "add", "gate", "--host", "192.0.2.1", "--spa", "-", "--spa-access", "tcp/22,udp/53")
	file := filepath.Join(t.TempDir(), "out.json")
	e.ok("", "profile", "export", "--with-secrets", file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"kind": "spa"`)) || !bytes.Contains(data, []byte(spaKeyB64)) {
		t.Fatalf("the export:\n%s", data)
	}
	before := e.get("gate")
	e.ok("", "profile", "rm", "gate")
	e.ok("", "profile", "import", file)
	if after := e.get("gate"); !reflect.DeepEqual(after, before) {
		t.Fatalf("imported %+v %+v\nwant %+v %+v", after, after.SPA, before, before.SPA)
	}
}

// TestProfileImportFwknoprc: each stanza of a ~/.fwknoprc becomes an SPA
// profile, without --host; --door picks one; what cannot be sent is
// skipped with why.
func TestProfileImportFwknoprc(t *testing.T) {
	e := newProfileEnv(t)
	rc := filepath.Join(t.TempDir(), ".fwknoprc")
	text := "[default]\nALLOW_IP source\n\n[gate]\nSPA_SERVER 192.0.2.1\nACCESS tcp/2222\nKEY_BASE64 " + spaKeyB64 +
		"\nHMAC_KEY_BASE64 " + spaHMACB64 + "\n\n[old]\nSPA_SERVER 192.0.2.2\nKEY_BASE64 " + spaKeyB64 + "\n"
	if err := os.WriteFile(rc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := e.run("", "profile", "import", rc, "--door", "nope")
	if code != ExitUsage || !strings.Contains(stderr, "no stanza [nope]: its stanzas are gate, old") {
		t.Fatalf("--door nope: exit %d, %s", code, stderr)
	}
	out := e.ok("", "profile", "import", rc)
	if !strings.Contains(out, "created gate (from stanza [gate] of "+rc+")") || !strings.Contains(out, "skipped old: it has no HMAC key") {
		t.Fatalf("import said:\n%s", out)
	}
	p := e.get("gate")
	if p.Kind() != profiles.KindSPA || p.Port != 2222 || p.SPA.AllowIP != profiles.AllowSource || !reflect.DeepEqual(p.Secrets.SPA, spaTestKeys(t)) {
		t.Fatalf("imported gate = %+v %+v", p, p.SPA)
	}
	if strings.Contains(out, spaKeyB64[:12]) {
		t.Fatal("import printed a key")
	}
}
