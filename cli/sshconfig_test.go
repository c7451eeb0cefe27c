package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/profiles"
)

func TestSSHConfigBlockRoundTrip(t *testing.T) {
	block := []byte(blockBegin + "\nHost web\n    ProxyCommand sesame proxy %n\nHost *\n" + blockEnd + "\n")
	newer := []byte(blockBegin + "\nHost db\nHost *\n" + blockEnd + "\n")
	for _, config := range []string{
		"",
		"Host old\n    User me\n",
		"ServerAliveInterval 10\n\nHost *\n    ForwardAgent no", // no final newline
		"\n\n# comment\r\nHost x\r\n",
		"# mentions " + blockEnd + " in passing\n",
	} {
		installed, replaced := withBlock([]byte(config), block)
		if replaced || !strings.HasPrefix(string(installed), blockBegin) {
			t.Fatalf("install into %q: %q", config, installed)
		}
		again, replaced := withBlock(installed, newer)
		if !replaced || strings.Count(string(again), blockBegin) != 1 || strings.Contains(string(again), "Host web") {
			t.Fatalf("update of %q: %q", config, again)
		}
		removed, found := withoutBlock(again)
		if !found || string(removed) != config {
			t.Fatalf("uninstall gave %q, want the original %q byte for byte", removed, config)
		}
	}
	// A file an editor turned to CRLF after the install: the block and
	// its line ending go, the rest stays.
	crlf := strings.ReplaceAll(blockBegin+"\nHost web\nHost *\n"+blockEnd+"\n", "\n", "\r\n") + "Host x\r\n"
	if removed, found := withoutBlock([]byte(crlf)); !found || string(removed) != "Host x\r\n" {
		t.Fatalf("uninstall from a CRLF file gave %q", removed)
	}
	if _, found := withoutBlock([]byte("Host a\n")); found {
		t.Fatal("found a block in a config without one")
	}
}

func TestSSHConfigPrintsHostBlocks(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "web", "--host", "web.example.com", "--open", "7000", "--user", "admin", "--port", "2222")
	e.ok("", "profile", "add", "db", "--host", "192.0.2.7", "--open", "7001",
		"--forward", "L 5432:localhost:5432", "--forward", "D [::1]:1080", "--jump", "web")
	if err := e.store().Save(&profiles.Profile{Name: "old web", Host: "h", Secrets: profiles.Secrets{Open: e.get("db").Secrets.Open}}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := e.run("", "ssh-config", "--command", "/opt/my sesame/sesame")
	want := blockBegin + `
Host db
    HostName 192.0.2.7
    LocalForward 5432 localhost:5432
    DynamicForward [::1]:1080
    ProxyCommand "/opt/my sesame/sesame" proxy %n
Host web
    HostName web.example.com
    User admin
    Port 2222
    ProxyCommand "/opt/my sesame/sesame" proxy %n
Host *
` + blockEnd + "\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, got:\n%s\nwant:\n%s", code, out, want)
	}
	if !strings.Contains(stderr, `left out "old web"`) || !strings.Contains(stderr, "sesame profile rename 'old web' old-web") {
		t.Fatalf("stderr %q does not say how to fix the old name", stderr)
	}
	if code, _, stderr := e.run("", "ssh-config", "nope"); code != ExitUsage || !strings.Contains(stderr, `no profile named "nope"`) {
		t.Fatalf("unknown name: exit %d %q", code, stderr)
	}
	if code, _, stderr := e.run("", "ssh-config", "--install", "--uninstall"); code != ExitUsage || !strings.Contains(stderr, "cannot be used together") {
		t.Fatalf("--install --uninstall: exit %d %q", code, stderr)
	}

	// --install through a symbolic link, keeping the file's mode.
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles-ssh-config")
	if err := os.WriteFile(real, []byte("Host old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	e.ok("", "ssh-config", "--install", "--file", link, "--command", "sesame", "web")
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	got, _ := os.ReadFile(real)
	if !strings.Contains(string(got), "Host web\n") || !strings.HasSuffix(string(got), blockEnd+"\n\nHost old\n") {
		t.Fatalf("installed:\n%s", got)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	e.ok("", "ssh-config", "--uninstall", "--file", link)
	if got, _ := os.ReadFile(real); string(got) != "Host old\n" {
		t.Fatalf("after --uninstall: %q", got)
	}
}

// TestSSHConfigLeavesOutUnsafeValues: a value that would start a line of
// its own in ssh_config (a ProxyCommand of an imported file's choosing)
// never reaches it, even from a profile stored before Validate refused it.
func TestSSHConfigLeavesOutUnsafeValues(t *testing.T) {
	for _, p := range []*profiles.Profile{
		{Name: "a", Host: "web\nProxyCommand=id"},
		{Name: "b", Host: "web", User: "root\r\nProxyCommand id"},
		{Name: "c", Host: "web", IdentityFile: `k" ProxyCommand "id`},
	} {
		if unsafeForConfig(p) == "" {
			t.Errorf("%s: %q / %q / %q written as they are", p.Name, p.Host, p.User, p.IdentityFile)
		}
	}
	if why := unsafeForConfig(&profiles.Profile{Name: "ok", Host: "web", User: "root", IdentityFile: "~/my keys/id"}); why != "" {
		t.Errorf("a plain profile refused: %s", why)
	}
}
