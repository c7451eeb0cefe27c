package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
)

// decode parses out as JSON into a map, failing the test otherwise.
func decode(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	return m
}

func TestProfileShowJSON(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "web.example.com", "--open", "17001,17002:udp", "--close", "17002:udp,17001",
		"--user", "admin", "--port", "2222")
	e.ok("pw\n", "profile", "edit", "web", "--password-stdin")
	out := e.ok("", "profile", "show", "--json", "web")
	for _, secret := range []string{"17001", "17002", `"pw"`} {
		if strings.Contains(out, secret) {
			t.Fatalf("show --json without --reveal printed a secret (%s):\n%s", secret, out)
		}
	}
	m := decode(t, out)
	for k, want := range map[string]any{"name": "web", "host": "web.example.com", "port": 2222.0, "user": "admin", "kind": "fixed",
		"has_close": true, "password_saved": true, "passphrase_saved": false, "keepalive": "15s", "keepalive_max": 3.0} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if _, ok := m["secrets"]; ok {
		t.Fatalf("secrets without --reveal:\n%s", out)
	}
	rv := decode(t, e.ok("", "profile", "show", "--json", "--reveal", "web"))
	s, _ := rv["secrets"].(map[string]any)
	if s["open"] != "17001,17002:udp" || s["close"] != "17002:udp,17001" || s["password"] != "pw" {
		t.Fatalf("--reveal secrets: %v", rv["secrets"])
	}

	e.ok("", "profile", "add", "rot", "--host", "h", "--seed", "new")
	out = e.ok("", "profile", "show", "--json", "rot")
	seed := e.get("rot").Secrets.Rotation.Seed.String()
	if strings.Contains(out, seed) {
		t.Fatalf("the seed is in show --json:\n%s", out)
	}
	m = decode(t, out)
	if r, _ := m["rotating"].(map[string]any); m["kind"] != "rotating" || r["length"] != 4.0 || r["window"] != "30s" {
		t.Fatalf("rotating profile: %v", m)
	}
}

func TestKnockJSON(t *testing.T) {
	sink := newUDPSink(t)
	code, out, stderr := runCLI(t, "knock", "--json", "-v", "127.0.0.1", sink.port+":udp", sink.port+":udp")
	if code != 0 {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if !strings.Contains(stderr, "hitting udp") {
		t.Fatalf("-v with --json must go to stderr; stderr %q", stderr)
	}
	m := decode(t, out)
	knocks, _ := m["knocks"].([]any)
	if m["host"] != "127.0.0.1" || m["address"] != "127.0.0.1" || m["sent"] != 2.0 || len(knocks) != 2 || m["door_open"] != nil || m["door_checked"] != false {
		t.Fatalf("knock --json: %v", m)
	}
	if k, _ := knocks[0].(map[string]any); fmt.Sprint(k["port"]) != sink.port || k["proto"] != "udp" {
		t.Fatalf("first knock %v", knocks[0])
	}

	// A profile: counted, never its ports; --probe-port checks the door.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	probe := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "loop", "--host", "127.0.0.1", "--open", sink.port+":udp,"+sink.port+":udp,"+sink.port+":udp")
	out = e.ok("", "knock", "--json", "--probe-port", probe, "loop")
	if strings.Contains(out, sink.port) {
		t.Fatalf("knock --json printed a profile's port:\n%s", out)
	}
	m = decode(t, out)
	if m["profile"] != "loop" || m["sequence"] != "open" || m["sent"] != 3.0 || m["door_checked"] != true || m["door_open"] != true {
		t.Fatalf("knock --json NAME: %v", m)
	}
}
