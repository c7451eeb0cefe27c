package profiles

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadSSHConfig(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh", "conf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(home, ".ssh", name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("conf.d/a.conf", "Host inc\n  HostName inc.example.com\n")
	write("conf.d/b.conf", "User fromb\n")
	write("loop", "Include loop\n")

	type host struct {
		alias string
		set   Profile
		warn  string
	}
	tests := []struct {
		name  string
		text  string
		want  []host
		notes []string
		err   string
	}{
		{
			name: "the common keys",
			text: `# mine
Host web
    HostName web.example.com
    User deploy
    Port 2222
    IdentityFile ~/.ssh/id_web
    LocalForward 8080 localhost:80
    RemoteForward 127.0.0.1:9000 localhost:3000
    DynamicForward 1080
`,
			want: []host{{alias: "web", set: Profile{Host: "web.example.com", User: "deploy", Port: 2222,
				IdentityFile: filepath.Join(home, ".ssh/id_web"),
				Forwards: []Forward{{Kind: LocalForward, Port: 8080, Host: "localhost", HostPort: 80},
					{Kind: RemoteForward, Bind: "127.0.0.1", Port: 9000, Host: "localhost", HostPort: 3000},
					{Kind: DynamicForward, Port: 1080}}}}},
		},
		{
			name: "wildcards apply, first value wins, not imported",
			text: `Host db
  User=first
Host *.internal !secret.internal
  User wildcard
  Port 2200
Host app.internal secret.internal
  HostName %h.example.net
Host *
  User last
  IdentityFile "/keys/my key"
`,
			want: []host{
				{alias: "db", set: Profile{Host: "db", User: "first", IdentityFile: "/keys/my key"}},
				{alias: "app.internal", set: Profile{Host: "app.internal.example.net", User: "wildcard", Port: 2200, IdentityFile: "/keys/my key"}},
				{alias: "secret.internal", set: Profile{Host: "secret.internal.example.net", User: "last", IdentityFile: "/keys/my key"}},
			},
		},
		{
			name: "IdentityFile's tokens",
			text: "Host a\n  HostName a.example.com\n  User u\n  IdentityFile %d/keys/%r@%h-%n\n",
			want: []host{{alias: "a", set: Profile{Host: "a.example.com", User: "u", IdentityFile: home + "/keys/u@a.example.com-a"}}},
		},
		{
			name: "settings before the first Host apply to all",
			text: "User everyone\nHost a\nHost b\n  User bee\n",
			want: []host{{alias: "a", set: Profile{Host: "a", User: "everyone"}}, {alias: "b", set: Profile{Host: "b", User: "everyone"}}},
		},
		{
			name:  "Match skipped with a note",
			text:  "Host a\n  User x\nMatch host a exec true\n  User matched\n  Port 99\nHost b\n",
			want:  []host{{alias: "a", set: Profile{Host: "a", User: "x"}}, {alias: "b", set: Profile{Host: "b"}}},
			notes: []string{"config:3: Match host a exec true skipped"},
		},
		{
			name: "Include, relative to ~/.ssh, globbed and sorted; its Host ends with the file",
			text: "Host first\nInclude conf.d/*.conf\n  Port 2022\nHost last\n",
			want: []host{
				// b.conf and the Port after the Include are under Host first.
				{alias: "first", set: Profile{Host: "first", User: "fromb", Port: 2022}},
				{alias: "inc", set: Profile{Host: "inc.example.com"}},
				{alias: "last", set: Profile{Host: "last"}},
			},
		},
		{
			name: "ProxyJump hops are profile names",
			text: "Host bastion\n  HostName 192.0.2.1\nHost inner\n  ProxyJump admin@bastion:2222,other\n",
			want: []host{
				{alias: "bastion", set: Profile{Host: "192.0.2.1"}},
				{alias: "inner", set: Profile{Host: "inner", Jump: []string{"bastion", "other"}}, warn: "ProxyJump other is not a Host of this file"},
			},
		},
		{
			name: "bad values are left out with a warning",
			text: "Host a\n  Port http\n  LocalForward 8080\n",
			want: []host{{alias: "a", set: Profile{Host: "a"}, warn: "config:2: Port http is not a port"}},
		},
		{name: "an Include loop", text: "Include loop\n", err: "nested more than 16"},
		{name: "an open quote", text: "Host a\n  User \"x\n", err: `config:2: a " is not closed`},
		{name: "Host without a pattern", text: "Host\n", err: "Host with no pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ReadSSHConfig([]byte(tt.text), "config", home)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Hosts) != len(tt.want) {
				t.Fatalf("got %d hosts %+v, want %d", len(cfg.Hosts), cfg.Hosts, len(tt.want))
			}
			for i, w := range tt.want {
				got := cfg.Hosts[i]
				if got.Alias != w.alias || !reflect.DeepEqual(got.Settings, w.set) {
					t.Errorf("host %d: got %s %+v, want %s %+v", i, got.Alias, got.Settings, w.alias, w.set)
				}
				if w.warn != "" && !strings.Contains(strings.Join(got.Warnings, "\n"), w.warn) {
					t.Errorf("host %s: warnings %q, want one with %q", got.Alias, got.Warnings, w.warn)
				}
			}
			for _, n := range tt.notes {
				if !strings.Contains(strings.Join(cfg.Notes, "\n"), n) {
					t.Errorf("notes %q, want one with %q", cfg.Notes, n)
				}
			}
		})
	}
}

func TestIsSSHConfig(t *testing.T) {
	for text, want := range map[string]bool{
		"# c\n\nHost web\n":           true,
		"  include ~/.ssh/conf.d/*\n": true,
		"User=me\n":                   true,
		"[options]\n logfile = x\n":   false,
		`{"format": "sesame"}`:        false,
		"":                            false,
	} {
		if got := IsSSHConfig([]byte(text)); got != want {
			t.Errorf("IsSSHConfig(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestPlanSSHImport(t *testing.T) {
	cfg := &SSHConfig{Hosts: []SSHHost{
		{Alias: "web", Settings: Profile{Host: "web.example.com"}},
		{Alias: "db", Settings: Profile{Host: "db.example.com", Port: 2222}},
		{Alias: "mail", Settings: Profile{Host: "mail.example.com"}},
		{Alias: "mail2", Settings: Profile{Host: "mail.example.com"}},
	}}
	existing := []*Profile{
		{Name: "WEB", Host: "old.example.com"},
		{Name: "SSH", Host: "db.example.com", Port: 22}, // another port: not db's
		{Name: "smtp", Host: "MAIL.example.com"},
	}
	updates, need := PlanSSHImport(cfg, existing)
	var got []string
	for _, u := range updates {
		got = append(got, u.Host.Alias+"->"+u.Profile)
	}
	if want := []string{"web->WEB", "mail->smtp"}; !reflect.DeepEqual(got, want) {
		t.Errorf("updates %v, want %v", got, want)
	}
	if len(need) != 2 || need[0].Alias != "db" || need[1].Alias != "mail2" {
		t.Errorf("need a knock: %+v, want db and mail2", need)
	}
}

// TestForwardSSHConfigLineReadsBack: what sesame ssh-config writes for a
// forward, profile import reads back as the same forward.
func TestForwardSSHConfigLineReadsBack(t *testing.T) {
	for _, text := range []string{"L 8080:localhost:80", "L [::1]:8080:[2001:db8::5]:80", "R *:9000:localhost:3000", "D 1080", "D 192.0.2.9:1080"} {
		f, err := ParseForward(text)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ReadSSHConfig([]byte("Host a\n    "+f.SSHConfigLine()+"\n"), "config", t.TempDir())
		if err != nil || len(cfg.Hosts) != 1 || len(cfg.Hosts[0].Settings.Forwards) != 1 || cfg.Hosts[0].Settings.Forwards[0] != f {
			t.Errorf("%q as %q reads back as %+v, %v", text, f.SSHConfigLine(), cfg, err)
		}
	}
}
