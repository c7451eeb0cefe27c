//go:build linux

package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/knockdconf"
	"sesame/knocker"
)

// guides is the guides' single door with start and stop commands.
const guides = `[options]
	UseSyslog
[SSH]
	sequence      = 7000,8000,9000
	start_command = /usr/sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	cmd_timeout   = 15
	stop_command  = /usr/sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`

func parseConf(t *testing.T, text string) *knockdconf.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "knockd.conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := knockdconf.ParseFile(p)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return cfg
}

func TestCheckDoors(t *testing.T) {
	seq := knocker.Sequence{{Port: 31337, Proto: knocker.TCP}, {Port: 4242, Proto: knocker.UDP}, {Port: 5555, Proto: knocker.TCP}}
	door := func(cmd string) string {
		return "[d]\n\tsequence = 7000,8000,9000\n\tcommand = " + cmd + "\n"
	}
	for _, tc := range []struct {
		name, conf, backend string
		bad                 []string // doors refused
		why                 string   // in the first reason
	}{
		{"debian stock on iptables", testnet.DebianStockConf, "iptables", []string{"openSSH"}, "appends its accept to the end of the chain"},
		{"debian stock on nftables", testnet.DebianStockConf, "nftables", []string{"openSSH"}, "goes into an iptables table"},
		{"guides on iptables", guides, "iptables", nil, ""},
		{"guides on nftables", guides, "nftables", []string{"SSH"}, "inet sesamed input wins"},
		{"install's own, iptables", string(DefaultConfig("iptables", 22, knocker.TCP, seq)), "iptables", nil, ""},
		{"install's own, nftables", string(DefaultConfig("nftables", 22, knocker.TCP, seq)), "nftables", nil, ""},
		{"native", "[d]\n\tsequence = 7000,8000,9000\n\topen_ports = 22\n", "nftables", nil, ""},
		{"another port", door("/sbin/iptables -A INPUT -s %IP% -p tcp --dport 443 -j ACCEPT"), "iptables", nil, ""},
		{"every port", door("/sbin/iptables -A INPUT -s %IP% -j ACCEPT"), "iptables", []string{"d"}, "appends"},
		{"multiport with 22", door("iptables -A INPUT -s %IP% -p tcp -m multiport --dports 80,20:25 -j ACCEPT"), "iptables", []string{"d"}, "appends"},
		{"a lower position", door("iptables -I INPUT 3 -s %IP% -p tcp --dport 22 -j ACCEPT"), "iptables", []string{"d"}, "position 3"},
		{"position 1", door("iptables -I INPUT 1 -s %IP% -p tcp --dport 22 -j ACCEPT"), "iptables", nil, ""},
		{"another chain", door("iptables -I ufw-user-input -s %IP% -p tcp --dport 22 -j ACCEPT"), "iptables", []string{"d"}, "another chain"},
		{"ufw", door("ufw allow from %IP% to any port 22"), "iptables", []string{"d"}, "ufw adds its accept"},
		{"nft in another table", door("nft add rule inet filter input ip saddr %IP% tcp dport 22 accept"), "nftables", []string{"d"}, "outside sesamed's sets"},
		{"a logging door", door("logger knock from %IP%"), "nftables", nil, ""},
		{"sesamed's set on iptables", door("/usr/sbin/nft add element inet sesamed sesamed_allow4 { %IP% . tcp . 22 }"), "iptables", []string{"d"}, "no such set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkDoors(parseConf(t, tc.conf), tc.backend, 22, knocker.TCP)
			var names []string
			for _, p := range got {
				names = append(names, p.door.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.bad, ",") {
				t.Fatalf("refused doors %q, want %q (%v)", names, tc.bad, got)
			}
			if len(got) > 0 && !strings.Contains(got[0].reason, tc.why) {
				t.Errorf("reason %q does not say %q", got[0].reason, tc.why)
			}
		})
	}
}

// TestRewriteDoors: Debian's pair becomes one native door closed by the
// close door's sequence; the guides' door keeps its Cmd_Timeout as the
// access time; both then pass the check, and comments say what changed.
func TestRewriteDoors(t *testing.T) {
	for _, tc := range []struct {
		name, conf, backend string
		door                string
		access, closeSeq    string
	}{
		{"debian stock", testnet.DebianStockConf, "nftables", "openSSH", "0s", "9000,8000,7000"},
		{"guides", guides, "nftables", "SSH", "15s", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parseConf(t, tc.conf)
			probs := checkDoors(cfg, tc.backend, 22, knocker.TCP)
			out, notes := rewriteDoors([]byte(tc.conf), cfg, probs, 22, knocker.TCP)
			re := parseConf(t, string(out))
			if again := checkDoors(re, tc.backend, 22, knocker.TCP); len(again) != 0 {
				t.Fatalf("the rewritten config still has problems: %v\n%s", again, out)
			}
			if len(re.Doors) != 1 {
				t.Fatalf("%d doors after the rewrite, want 1:\n%s", len(re.Doors), out)
			}
			d := re.Doors[0]
			if d.Name != tc.door || len(d.OpenPorts) != 1 || d.OpenPorts[0].String() != "22/tcp" || d.StartCommand != "" || d.StopCommand != "" ||
				d.AccessTime.String() != tc.access || d.CloseSequence.String() != tc.closeSeq {
				t.Fatalf("rewritten door %+v:\n%s", d, out)
			}
			if !strings.Contains(string(out), rewritePrefix) || len(notes) == 0 {
				t.Errorf("the rewrite does not say what it changed:\n%s\n%q", out, notes)
			}
		})
	}
}

// TestDefaultConfigNative: the config install writes loads, pins the
// backend install chose, and opens the guarded port natively for the
// guides' 10 seconds.
func TestDefaultConfigNative(t *testing.T) {
	seq := knocker.Sequence{{Port: 31337, Proto: knocker.TCP}, {Port: 4242, Proto: knocker.UDP}, {Port: 5555, Proto: knocker.TCP}}
	for _, backend := range []string{"iptables", "nftables"} {
		cfg := parseConf(t, string(DefaultConfig(backend, 2222, knocker.TCP, seq)))
		if cfg.Firewall != backend || len(cfg.Doors) != 1 {
			t.Fatalf("%s: firewall %q, %d doors", backend, cfg.Firewall, len(cfg.Doors))
		}
		d := cfg.Doors[0]
		if len(d.OpenPorts) != 1 || d.OpenPorts[0].String() != "2222/tcp" || d.AccessTime.String() != "10s" || d.StartCommand != "" || d.Sequence.String() != seq.String() {
			t.Fatalf("%s: door %+v", backend, d)
		}
	}
}

// TestKeptConfigFirewallMismatch: a kept config pinning another backend
// than the baseline's is refused, with both fixes; auto and the same
// backend pass.
func TestKeptConfigFirewallMismatch(t *testing.T) {
	for _, tc := range []struct {
		firewall string
		refused  bool
	}{{"iptables", true}, {"nftables", false}, {"auto", false}, {"", false}} {
		root := t.TempDir()
		conf := "[options]\n"
		if tc.firewall != "" {
			conf += "\tFirewall = " + tc.firewall + "\n"
		}
		conf += "[d]\n\tsequence = 7000,8000,9000\n\topen_ports = 22\n"
		if err := os.WriteFile(filepath.Join(root, "knockd.conf"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		o := &Options{Root: root, ConfigPath: "/knockd.conf", Port: 22, Proto: knocker.TCP}
		_, err := keptConfigStep(o, &state{}, "nftables")
		if tc.refused != (err != nil) || tc.refused && !strings.Contains(err.Error(), "pass --firewall iptables, or set Firewall = nftables") {
			t.Errorf("Firewall = %q with the baseline in nftables: %v", tc.firewall, err)
		}
	}
}

// FuzzRewriteDoors: whatever config loads, its rewrite loads too and has
// no door left that cannot open the guarded port.
func FuzzRewriteDoors(f *testing.F) {
	f.Add(testnet.DebianStockConf)
	f.Add(guides)
	f.Add("[d]\n\tsequence = 1,2,3\n\taccess_time = 5\n\tcommand = iptables -A INPUT -j ACCEPT\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := knockdconf.Parse(strings.NewReader(text), "knockd.conf")
		if err != nil {
			return
		}
		// knockdconf checks the extension keys of doors by name: two
		// doors of one name confuse it (install refuses to rewrite them).
		names := map[string]bool{}
		for _, d := range cfg.Doors {
			if names[d.Name] {
				return
			}
			names[d.Name] = true
		}
		for _, backend := range []string{"iptables", "nftables"} {
			probs := checkDoors(cfg, backend, 22, knocker.TCP)
			if len(probs) == 0 {
				continue
			}
			out, _ := rewriteDoors([]byte(text), cfg, probs, 22, knocker.TCP)
			re, err := knockdconf.Parse(strings.NewReader(string(out)), "knockd.conf")
			if err != nil {
				t.Fatalf("%s: the rewrite does not load: %v\n%s", backend, err, out)
			}
			if again := checkDoors(re, backend, 22, knocker.TCP); len(again) != 0 {
				t.Fatalf("%s: the rewrite still has %v\n%s", backend, again, out)
			}
		}
	})
}
