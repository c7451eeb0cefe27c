//go:build linux

package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfileImportSSHConfig imports ~/.ssh/config with the real binary
// and the real keyring: a host whose server's knockd.conf was imported
// before gets that profile's knock, found by its host; one without a
// profile is listed with the command that adds it; importing again
// updates the same profiles and never makes new ones.
func TestProfileImportSSHConfig(t *testing.T) {
	keyring.Require(t)
	home := t.TempDir()
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(filepath.Join(sshDir, "conf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(sshDir, "config"), `Include conf.d/*.conf
Host web
    HostName web.example.com
    User deploy
    LocalForward 8080 localhost:80
    ProxyJump bastion
Match host web exec "test -e /nonexistent"
    User matched
Host *
    User everyone
`)
	write(filepath.Join(sshDir, "conf.d", "bastion.conf"), "Host bastion\n    HostName bastion.example.com\n    Port 2222\n")
	knockd := filepath.Join(t.TempDir(), "knockd.conf")
	write(knockd, `[openSSH]
    sequence = 7000,8000,9000
    command = true
[closeSSH]
    sequence = 9000,8000,7000
    command = true
`)
	s := newSesame(t, "HOME="+home, "SESAME_CONFIG_DIR="+filepath.Join(t.TempDir(), "config"))
	s.ok(t, "", "profile", "import", knockd, "--host", "web.example.com")

	r := s.ok(t, "", "profile", "import", filepath.Join(sshDir, "config"))
	for _, want := range []string{
		"updated SSH from Host web", "found by its host web.example.com",
		"Match host web exec test -e /nonexistent skipped",
		"1 host(s) need a knock",
		"sesame profile add bastion --host bastion.example.com --port 2222 --user everyone --open SEQUENCE",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, r)
		}
	}
	type shown struct {
		Host     string   `json:"host"`
		User     string   `json:"user"`
		Port     int      `json:"port"`
		Forwards []string `json:"forwards"`
		Jump     []string `json:"jump"`
		Secrets  struct {
			Open string `json:"open"`
		} `json:"secrets"`
	}
	show := func(name string) shown {
		t.Helper()
		var sh shown
		out := s.ok(t, "", "profile", "show", name, "--json", "--reveal").stdout
		if err := json.Unmarshal([]byte(out), &sh); err != nil {
			t.Fatalf("show --json: %v\n%s", err, out)
		}
		return sh
	}
	got := show("SSH")
	if got.Host != "web.example.com" || got.User != "deploy" || strings.Join(got.Forwards, ";") != "L 8080:localhost:80" ||
		strings.Join(got.Jump, ",") != "bastion" || !strings.Contains(got.Secrets.Open, "7000") {
		t.Fatalf("SSH after import: %+v; want web.example.com, deploy, the forward, the jump and its knock kept", got)
	}

	// The user adds bastion's knock as told; importing again updates both.
	s.ok(t, "", "profile", "add", "bastion", "--host", "bastion.example.com", "--open", "7100,7200")
	write(filepath.Join(sshDir, "conf.d", "bastion.conf"), "Host bastion\n    HostName bastion.example.com\n    Port 2200\n")
	r = s.ok(t, "", "profile", "import", filepath.Join(sshDir, "config"))
	if !strings.Contains(r.stdout, "updated SSH from Host web") || !strings.Contains(r.stdout, "updated bastion from Host bastion") ||
		strings.Contains(r.stdout, "need a knock") {
		t.Fatalf("second import:\n%s", r)
	}
	if b := show("bastion"); b.Port != 2200 || b.User != "everyone" {
		t.Fatalf("bastion after the second import: %+v, want port 2200 and user everyone", b)
	}
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(s.ok(t, "", "profile", "list", "--json").stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("profiles after two imports: %+v, want SSH and bastion only", list)
	}
}
