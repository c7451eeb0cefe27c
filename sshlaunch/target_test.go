package sshlaunch

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sesame/profiles"
)

// TestResolveTargetKnownHosts: the name and files a host key is looked up
// under are ssh's: HostName (or HostKeyAlias), the UserKnownHostsFile and
// GlobalKnownHostsFile lists, with the user's ssh_config winning over the
// system's.
func TestResolveTargetKnownHosts(t *testing.T) {
	home := t.TempDir()
	user := filepath.Join(home, "config")
	system := filepath.Join(home, "ssh_config")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(user, []byte(`Host web
	HostName 192.0.2.1
Host aliased
	HostName 192.0.2.1
	HostKeyAlias web-key
	UserKnownHostsFile ~/kh1 ~/kh2
	GlobalKnownHostsFile none
	CheckHostIP yes
`), 0o600))
	must(os.WriteFile(system, []byte("Host *\n\tHashKnownHosts yes\n\tCheckHostIP no\n"), 0o600))
	env := Env{Home: home, LocalUser: "me", SSHConfig: user, SystemSSHConfig: system, GlobalKnownHosts: []string{"/etc/ssh/ssh_known_hosts"}}
	for _, tt := range []struct {
		host, name    string
		files, global []string
		hash, checkIP bool
	}{
		{"web", "192.0.2.1", []string{home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"}, []string{"/etc/ssh/ssh_known_hosts"}, true, false},
		{"aliased", "web-key", []string{home + "/kh1", home + "/kh2"}, nil, true, true},
		{"plain.example", "plain.example", []string{home + "/.ssh/known_hosts", home + "/.ssh/known_hosts2"}, []string{"/etc/ssh/ssh_known_hosts"}, true, false},
	} {
		got, err := resolveTarget(profiles.Profile{Name: "p", Host: tt.host}, env)
		if err != nil {
			t.Fatal(err)
		}
		if got.KnownHostsName != tt.name || !slices.Equal(got.KnownHostsFiles, tt.files) || !slices.Equal(got.GlobalKnownHostsFiles, tt.global) ||
			got.HashKnownHosts != tt.hash || got.CheckHostIP != tt.checkIP {
			t.Errorf("%s: name %q files %q global %q hash %v checkIP %v; want %q %q %q %v %v", tt.host,
				got.KnownHostsName, got.KnownHostsFiles, got.GlobalKnownHostsFiles, got.HashKnownHosts, got.CheckHostIP,
				tt.name, tt.files, tt.global, tt.hash, tt.checkIP)
		}
	}
}

// TestResolveTargetMissingIdentity: the profile's own key missing fails
// before anything is knocked, as ssh names it, with the fix.
func TestResolveTargetMissingIdentity(t *testing.T) {
	home := t.TempDir()
	_, err := resolveTarget(profiles.Profile{Name: "web", Host: "192.0.2.1", IdentityFile: "~/.ssh/gone"}, Env{Home: home})
	if err == nil || !strings.Contains(err.Error(), "identity file "+home+"/.ssh/gone not accessible: no such file or directory") ||
		!strings.Contains(err.Error(), "sesame profile edit web --identity FILE") {
		t.Fatalf("resolveTarget = %v", err)
	}
}

func TestLocalUserName(t *testing.T) {
	for _, tc := range []struct{ account, want string }{
		{`CORP\alice`, "alice"},
		{`DESKTOP-1A2B3C\bob`, "bob"},
		{"carol", "carol"},
	} {
		if got := localUserName(tc.account); got != tc.want {
			t.Errorf("localUserName(%q) = %q, want %q", tc.account, got, tc.want)
		}
	}
}
