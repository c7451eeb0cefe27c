package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/profiles"
)

func TestSSHArgsApply(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(key, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      sshArgs
		user      string
		want      profiles.Profile
		keepalive time.Duration
		hostKeys  string
		err       string
	}{
		{name: "nothing changes nothing", want: profiles.Profile{User: "admin", Port: 2200}},
		{name: "-l -p -i", args: sshArgs{Login: "root", Port: 22, Identity: key}, want: profiles.Profile{User: "root", Port: 22, IdentityFile: key}},
		{name: "user@NAME", user: "deploy", want: profiles.Profile{User: "deploy", Port: 2200}},
		{name: "-o forms", args: sshArgs{Options: []string{"User=ops", "port 2022", "IdentityFile=" + key, "ServerAliveInterval=30", "StrictHostKeyChecking=accept-new"}},
			want: profiles.Profile{User: "ops", Port: 2022, IdentityFile: key}, keepalive: 30 * time.Second, hostKeys: "accept-new"},
		{name: "flags win over -o", args: sshArgs{Login: "a", Port: 23, Options: []string{"User=b", "Port=24"}}, want: profiles.Profile{User: "a", Port: 23}},
		{name: "two users", args: sshArgs{Login: "a"}, user: "b", err: "two users"},
		{name: "bad port", args: sshArgs{Port: 70000}, err: "-p 70000"},
		{name: "bad -o port", args: sshArgs{Options: []string{"Port=x"}}, err: "-o Port=x"},
		{name: "no value", args: sshArgs{Options: []string{"User"}}, err: "Key=Value"},
		{name: "unknown option", args: sshArgs{Options: []string{"Compression=yes"}}, err: "takes only User"},
		{name: "StrictHostKeyChecking=no", args: sshArgs{Options: []string{"StrictHostKeyChecking=no"}}, err: "accept-new"},
		{name: "bad keepalive", args: sshArgs{Options: []string{"ServerAliveInterval=0"}}, err: "ServerAliveInterval=0"},
		{name: "forwards", args: sshArgs{Local: []string{"8080:localhost:80"}, Dynamic: []string{"1080"}},
			want: profiles.Profile{User: "admin", Port: 2200, Forwards: []profiles.Forward{
				{Kind: profiles.LocalForward, Port: 8080, Host: "localhost", HostPort: 80}, {Kind: profiles.DynamicForward, Port: 1080}}}},
		{name: "missing identity", args: sshArgs{Identity: key + ".nope"}, err: "-i " + key + ".nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profiles.Profile{User: "admin", Port: 2200}
			a := tt.args
			ov, err := a.parse(tt.user)
			ov.apply(&p)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.User != tt.want.User || p.Port != tt.want.Port || p.IdentityFile != tt.want.IdentityFile ||
				!slices.Equal(p.Forwards, tt.want.Forwards) ||
				a.keepalive != tt.keepalive || a.hostKeys != tt.hostKeys {
				t.Fatalf("got %+v (keepalive %s, host keys %q), want %+v", p, a.keepalive, a.hostKeys, tt.want)
			}
		})
	}
}

func TestSplitUser(t *testing.T) {
	exists := func(n string) bool { return n == "old@name" }
	for _, tt := range []struct{ arg, user, name string }{
		{"web", "", "web"},
		{"root@web", "root", "web"},
		{"a@b@web", "a@b", "web"},
		{"old@name", "", "old@name"},
	} {
		if u, n := splitUser(tt.arg, exists); u != tt.user || n != tt.name {
			t.Errorf("splitUser(%q) = %q, %q; want %q, %q", tt.arg, u, n, tt.user, tt.name)
		}
	}
}

func TestConnectRefusesBadForwardsAndCombinations(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "192.0.2.1", "--open", "7000")
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"-L", "8080:localhost", "web"}, "-L 8080:localhost: 2 colon-separated part(s)"},
		{[]string{"-R", "8080:localhost:http", "web"}, `the host's port "http" is not a port`},
		{[]string{"-D", "1080:x:1", "web"}, "-D 1080:x:1: too many parts"},
		{[]string{"-N", "web", "uptime"}, "-N runs no command"},
		{[]string{"-l", "a", "b@web"}, "two users"},
		{[]string{"@web"}, "no user before the @"},
		{[]string{"--accept-new", "-o", "StrictHostKeyChecking=yes", "web"}, "disagree"},
	} {
		code, _, stderr := e.run("", append([]string{"connect"}, tt.args...)...)
		if code != ExitSSH || !strings.Contains(stderr, tt.says) {
			t.Errorf("connect %v = %d, %q; want %d and %q", tt.args, code, stderr, ExitSSH, tt.says)
		}
	}
}
