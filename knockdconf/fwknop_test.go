package knockdconf

import (
	"strings"
	"testing"

	"sesame/knocker"
)

func TestFwknopKeys(t *testing.T) {
	for _, tc := range []struct {
		text, access string
		port         Port
		err, warn    string
	}{
		{text: "[options]\nfwknop_access = /etc/fwknop/access.conf\n", access: "/etc/fwknop/access.conf", port: DefaultFwknopPort},
		{text: "[options]\nFwknop_Access = /a\nFwknop_Port = 4000/udp\n", access: "/a", port: Port{4000, knocker.UDP}},
		{text: "[options]\nFwknop_Access = /a\nFwknop_Port = 4000\n", access: "/a", port: Port{4000, knocker.UDP}},
		{text: "[options]\nFwknop_Access = /a\nFwknop_Port = 4000/tcp\n", err: "f.conf:3: Fwknop_Port \"4000/tcp\": sesamed takes SPA packets over UDP only"},
		{text: "[options]\nFwknop_Access = /a\nFwknop_Port = 0\n", err: "f.conf:3: Fwknop_Port \"0\" is not a port"},
		{text: "[options]\nFwknop_Access =\n", err: "f.conf:2: Fwknop_Access is empty"},
		{text: "[options]\nFwknop_Port = 4000\n", port: Port{4000, knocker.UDP}, warn: "f.conf:2: Fwknop_Port is set without Fwknop_Access"},
		{text: "[options]\nFwknop_Access = /a\n[d]\nsequence = 7000,62201:udp\n", err: "f.conf:3: door [d] knocks on 62201/udp, the SPA port"},
		{text: "[d]\nsequence = 1\nfwknop_access = /a\n", err: "f.conf:3: \"fwknop_access\" belongs in [options]"},
	} {
		cfg, err := Parse(strings.NewReader(tc.text), "f.conf")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %v, want %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if cfg.FwknopAccess != tc.access || cfg.FwknopPort() != tc.port {
			t.Errorf("%q: access %q port %v", tc.text, cfg.FwknopAccess, cfg.FwknopPort())
		}
		if tc.warn != "" && (len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], tc.warn)) {
			t.Errorf("%q: warnings %q", tc.text, cfg.Warnings)
		}
	}
}
