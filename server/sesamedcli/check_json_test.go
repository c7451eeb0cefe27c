package sesamedcli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	good := writeConf(t, `[options]
	Interface = lo
	Firewall  = nftables
[openSSH]
	sequence      = 31337,4242:udp,2121
	seq_timeout   = 5
	command       = /bin/true
	command       = /bin/false
[native]
	sequence        = 31338,4243
	open_ports      = 22,60001:udp
	access_time     = 0
	close_when_idle = 300
	close_sequence  = 4243,31338
`)
	code, out, errOut := run(t, "check", "--json", "-c", good)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, secret := range []string{"31337", "4242", "2121", "31338", "4243"} {
		if strings.Contains(out, secret) {
			t.Fatalf("check --json printed a sequence (%s):\n%s", secret, out)
		}
	}
	var r checkReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if !r.OK || r.File != good || len(r.Doors) != 2 || len(r.Errors) != 0 || r.Firewall != "nftables" || len(r.Interfaces) != 1 {
		t.Fatalf("report %+v", r)
	}
	if d := r.Doors[0]; d.Name != "openSSH" || d.Line != 4 || d.Kind != "sequence" || d.Knocks != 3 || d.Protocols != "tcp,udp" || d.SeqTimeout != "5s" {
		t.Fatalf("door %+v", d)
	}
	if d := r.Doors[1]; len(d.OpenPorts) != 2 || d.CloseKnocks != 2 || d.CloseWhenIdle != "5m0s" {
		t.Fatalf("native door %+v", d)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].File != good || r.Warnings[0].Line != 8 || !strings.Contains(r.Warnings[0].Message, "set twice") {
		t.Fatalf("warnings %+v", r.Warnings)
	}

	bad := writeConf(t, "[d]\nsequence = 31337,99999\n")
	code, out, errOut = run(t, "check", "--json", "-c", bad)
	if code != 1 || errOut != "" || strings.Contains(out, "31337") {
		t.Fatalf("bad config: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	r = checkReport{}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.OK || len(r.Errors) != 1 || r.Errors[0].File != bad || r.Errors[0].Line != 2 || !strings.Contains(r.Errors[0].Message, `bad knock "99999"`) {
		t.Fatalf("bad config report %+v", r)
	}
	if code, _, errOut := run(t, "check", "--json", "--show-current", "-c", good); code != 2 || !strings.Contains(errOut, "cannot be used together") {
		t.Fatalf("--json --show-current: exit %d %q", code, errOut)
	}
}
