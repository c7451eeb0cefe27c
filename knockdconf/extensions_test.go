package knockdconf

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
)

func TestParseExtensions(t *testing.T) {
	cfg, err := Parse(strings.NewReader(`
[options]
	Firewall = NFTables
[SSH]
	sequence        = 7000,8000,9000
	open_ports      = 22, 60001:udp
	Access_Time     = 0
	close_when_idle = 300
	close_sequence  = 9000,8000,7000
	cooldown        = 0
[plain]
	sequence = 1234:udp
	command  = /bin/true
`), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Firewall != FirewallNFTables {
		t.Errorf("Firewall = %q", cfg.Firewall)
	}
	d := cfg.Doors[0]
	want := []Port{{22, knocker.TCP}, {60001, knocker.UDP}}
	if len(d.OpenPorts) != 2 || d.OpenPorts[0] != want[0] || d.OpenPorts[1] != want[1] {
		t.Errorf("OpenPorts = %v, want %v", d.OpenPorts, want)
	}
	if !d.HasNativeOpen() || d.AccessTime != 0 || d.CloseWhenIdle != 300*time.Second || d.Cooldown != 0 ||
		d.CloseSequence.String() != "9000,8000,7000" {
		t.Errorf("SSH door: %+v", d)
	}
	plain := cfg.Doors[1]
	if plain.HasNativeOpen() || plain.AccessTime != DefaultAccessTime || plain.Cooldown != DefaultCooldown {
		t.Errorf("a door without extension keys must get the defaults: %+v", plain)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	if got := d.OpenPorts[1].String(); got != "60001/udp" {
		t.Errorf("Port.String = %q", got)
	}
}

func TestParseExtensionErrors(t *testing.T) {
	tests := []struct {
		name, conf string
		line       int
		want       string
	}{
		{"bad firewall", "[options]\nfirewall = pf\n", 2, "use auto, iptables or nftables"},
		{"firewall in a door", "[d]\nsequence = 1\nfirewall = nftables\n", 3, "belongs in [options]"},
		{"door key in options", "[options]\nopen_ports = 22\n", 2, "belongs in a door"},
		{"empty open ports", "[d]\nsequence = 1\nopen_ports =\n", 3, "is empty"},
		{"bad open port", "[d]\nsequence = 1\nopen_ports = 22,0\n", 3, "bad port"},
		{"bad open proto", "[d]\nsequence = 1\nopen_ports = 22:sctp\n", 3, "tcp or udp"},
		{"open port twice", "[d]\nsequence = 1\nopen_ports = 22,22:tcp\n", 3, "22/tcp twice"},
		{"gap in open ports", "[d]\nsequence = 1\nopen_ports = 22@1s\n", 3, "gap"},
		{"bad access time", "[d]\nsequence = 1\nopen_ports = 22\naccess_time = 1h\n", 4, "number of seconds"},
		{"access time without ports", "[d]\nsequence = 1\naccess_time = 5\n", 3, "needs Open_Ports"},
		{"idle without ports", "[d]\nsequence = 1\n\nclose_when_idle = 5\n", 4, "Close_When_Idle in door [d] needs Open_Ports"},
		{"close sequence without ports", "[d]\nsequence = 1\nclose_sequence = 2\n", 3, "needs Open_Ports"},
		{"close sequence same as open", "[d]\nsequence = 1,2\nopen_ports = 22\nclose_sequence = 1,2:tcp\n", 4, "same Close_Sequence"},
		{"bad close sequence", "[d]\nsequence = 1\nopen_ports = 22\nclose_sequence = 1,99999\n", 4, "bad knock"},
		{"long cooldown", "[d]\nsequence = 1\ncooldown = 61\n", 3, "more than a minute"},
		{"typo", "[d]\nsequence = 1\nopen_port = 22\n", 3, "did you mean Open_Ports?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.conf), "s.conf")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a *Error", err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %q, want line %d saying %q", err, tt.line, tt.want)
			}
		})
	}
}

func TestCloseSequenceErrorsDoNotQuoteIt(t *testing.T) {
	// 70000 is no port, so naming it gives nothing away; 31337 is.
	_, err := Parse(strings.NewReader("[d]\nsequence = 1\nopen_ports = 22\nclose_sequence = 31337,70000\n"), "s.conf")
	if err == nil || strings.Contains(err.Error(), "31337") || !strings.Contains(err.Error(), `bad knock "70000"`) {
		t.Fatalf("error %v quotes the secret close sequence, or does not name the bad knock", err)
	}
}

func TestIdleNotShorterThanAccessTimeWarns(t *testing.T) {
	cfg, err := Parse(strings.NewReader("[d]\nsequence = 1\nopen_ports = 22\naccess_time = 60\nclose_when_idle = 60\n"), "s.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], "s.conf:5:") || !strings.Contains(cfg.Warnings[0], "Access_Time = 0") {
		t.Fatalf("warnings %q", cfg.Warnings)
	}
}
