package cli_test

import (
	"bytes"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSPAKeysNeverLeak runs the real binary on the real keyring through
// every command that touches an SPA profile, and checks that no output and
// no file but an export with secrets holds a key, in base64 or in part.
func TestSPAKeysNeverLeak(t *testing.T) {
	keyring.Require(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	s := newSesame(t, "SESAME_CONFIG_DIR="+config)
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa7, 0x3c, 0x91}, 11)[:32])
	hmac := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5e, 0xd2, 0x0b}, 22)[:64])
	// A key is found in full, or by any 12 characters of it.
	leaks := func(text string) []string {
		var out []string
		for _, k := range []string{key, hmac} {
			for i := 0; i+12 <= len(k); i += 6 {
				if strings.Contains(text, k[i:i+12]) {
					out = append(out, "a key")
					break
				}
			}
		}
		return out
	}
	sink, port := loopSink(t)
	rc := filepath.Join(dir, "fwknoprc")
	os.WriteFile(rc, []byte("[rcgate]\nSPA_SERVER 127.0.0.1\nSPA_SERVER_PORT "+strconv.Itoa(port)+"\nKEY_BASE64 "+key+"\nHMAC_KEY_BASE64 "+hmac+"\n"), 0o600)
	export := filepath.Join(dir, "export.json")
	steps := []struct {
		stdin string
		args  []string
		fails bool
	}{
		{"KEY_BASE64: " + key + "\nHMAC_KEY_BASE64: " + hmac + "\n",
			[]string{"profile", "add", "gate", "--host", "127.0.0.1", "--spa", "-", "--spa-port", strconv.Itoa(port), "--spa-timeout", "30"}, false},
		{"", []string{"profile", "import", rc}, false},
		{"", []string{"profile", "list"}, false},
		{"", []string{"profile", "show", "gate"}, false},
		{"", []string{"profile", "show", "rcgate"}, false},
		{"KEY_BASE64: " + key + "\nHMAC_KEY_BASE64: %" + hmac + "\n", []string{"profile", "edit", "gate", "--spa", "-"}, true},
		{"KEY_BASE64: " + key + hmac + "\nHMAC_KEY_BASE64: " + hmac + "\n", []string{"profile", "edit", "gate", "--spa", "-"}, true},
		{"", []string{"profile", "edit", "gate", "--spa-access", "tcp/0"}, true},
		{"", []string{"profile", "export"}, false},
		{"", []string{"profile", "export", export}, false},
		{"", []string{"profile", "import", export, "--force"}, false},
		{"", []string{"knock", "-v", "gate"}, false},
		{"", []string{"knock", "-v", "rcgate"}, false},
		{"", []string{"knock", "--close", "gate"}, true},
	}
	for _, st := range steps {
		r := s.run(t, st.stdin, st.args...)
		if (r.code != 0) != st.fails {
			t.Fatalf("sesame %s: %v (want failure: %v)", strings.Join(st.args, " "), r, st.fails)
		}
		if l := leaks(r.stdout + r.stderr); len(l) > 0 {
			t.Errorf("sesame %s printed %v:\n%v", strings.Join(st.args, " "), l, r)
		}
	}
	if n := countPackets(t, sink, 2); n != 2 {
		t.Fatalf("the knocks sent %d packets, want 2", n)
	}
	files := []string{export}
	filepath.WalkDir(config, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if l := leaks(string(data)); len(l) > 0 {
			t.Errorf("%s holds %v", f, l)
		}
	}
	// The scan can fail: the keys are there to find where they belong.
	reveal := s.ok(t, "", "profile", "show", "--reveal", "gate").stdout
	withSecrets := s.ok(t, "", "profile", "export", "--with-secrets").stdout
	if len(leaks(reveal)) == 0 || len(leaks(withSecrets)) == 0 {
		t.Error("show --reveal or export --with-secrets lacks the keys: the scan would not see them")
	}
}

// countPackets reads up to want datagrams from sink, each within a few
// seconds, and returns how many came.
func countPackets(t *testing.T, sink *net.UDPConn, want int) int {
	t.Helper()
	buf := make([]byte, 2048)
	n := 0
	for ; n < want; n++ {
		sink.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := sink.Read(buf); err != nil {
			break
		}
	}
	return n
}
