//go:build linux

package sshlaunch

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/profiles"
)

// opensshKnows has the real OpenSSH client connect to host through the
// door, as a user would before trying Sesame, so that ssh itself writes
// the server's key to known_hosts under the name it uses.
func (d *door) opensshKnows(t *testing.T, host string) {
	t.Helper()
	testnet.RequireTools(t, "ssh", "knock")
	c := d.pair.Client
	c.Run(t, "knock", testnet.ServerAddr4.String(), "7000", "8000", "9000")
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	c.Run(t, "ssh", append(d.opensshOptions(), "-o", "StrictHostKeyChecking=accept-new", host, "true")...)
	c.Run(t, "knock", testnet.ServerAddr4.String(), "9000", "8000", "7000")
	d.assertClosed(t)
}

// opensshOptions point ssh at the test's home: ssh takes ~ from the
// password database, not from $HOME.
func (d *door) opensshOptions() []string {
	ssh := filepath.Join(d.home, ".ssh")
	return []string{"-F", filepath.Join(ssh, "config"), "-i", filepath.Join(ssh, "id_ed25519"), "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + filepath.Join(ssh, "known_hosts"), "-o", "GlobalKnownHostsFile=/dev/null"}
}

// TestHostKeysAsOpenSSHSeesThem: a profile whose host is an ssh_config
// alias finds the key OpenSSH saved for it (under HostName, hashed), and
// a changed key for that alias is refused, never offered as a first
// contact.
func TestHostKeysAsOpenSSHSeesThem(t *testing.T) {
	d := newDoor(t)
	conf := "Host web\n\tHostName " + testnet.ServerAddr4.String() + "\n\tUser root\n\tHashKnownHosts yes\n"
	if err := os.WriteFile(filepath.Join(d.home, ".ssh", "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d.opensshKnows(t, "web")
	kh := filepath.Join(d.home, ".ssh", "known_hosts")
	saved, err := os.ReadFile(kh)
	if err != nil || !strings.HasPrefix(string(saved), "|1|") {
		t.Fatalf("OpenSSH did not save a hashed line (%v): %q", err, saved)
	}
	d.prof.Host = "web"

	ui := &scriptUI{hostKey: RejectHostKey}
	if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err != nil {
		t.Fatalf("the key OpenSSH saved for the alias was not found: %v", err)
	}
	if len(ui.asked) != 0 {
		t.Fatalf("asked about a key OpenSSH already knows: %+v", ui.asked)
	}
	d.assertClosed(t)

	// The server's key changes (or someone is in the middle).
	other := filepath.Join(t.TempDir(), "k")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub, _ := os.ReadFile(other + ".pub")
	name, _, _ := strings.Cut(string(saved), " ")
	forged := name + " " + string(pub)
	if err := os.WriteFile(kh, []byte(forged), 0o600); err != nil {
		t.Fatal(err)
	}
	ui = &scriptUI{hostKey: AcceptAndSaveHostKey} // must not matter
	err = d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{}))
	var ce *HostKeyChangedError
	if !errors.As(err, &ce) {
		t.Fatalf("Run = %v, want a HostKeyChangedError for the alias", err)
	}
	if len(ui.asked) != 0 {
		t.Fatal("a changed key was offered as a first contact")
	}
	if after, _ := os.ReadFile(kh); string(after) != forged {
		t.Fatal("known_hosts was modified")
	}
	d.assertClosed(t)
}

// TestSavedHostKeyFollowsHashKnownHosts: a key accepted in Sesame is saved
// as ssh would save it, hashed under HashKnownHosts yes, and OpenSSH then
// knows the server.
func TestSavedHostKeyFollowsHashKnownHosts(t *testing.T) {
	d := newDoor(t)
	conf := "Host web\n\tHostName " + testnet.ServerAddr4.String() + "\n\tUser root\n\tHashKnownHosts yes\n"
	if err := os.WriteFile(filepath.Join(d.home, ".ssh", "config"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d.prof.Host = "web"
	ui := &scriptUI{hostKey: AcceptAndSaveHostKey}
	if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err != nil {
		t.Fatal(err)
	}
	d.assertClosed(t)
	saved, _ := os.ReadFile(filepath.Join(d.home, ".ssh", "known_hosts"))
	if !strings.HasPrefix(string(saved), "|1|") || strings.Contains(string(saved), testnet.ServerAddr4.String()) {
		t.Fatalf("saved %q, want one hashed line", saved)
	}
	// StrictHostKeyChecking=yes: OpenSSH refuses unless it finds the key.
	c := d.pair.Client
	c.Run(t, "knock", testnet.ServerAddr4.String(), "7000", "8000", "9000")
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	c.Run(t, "ssh", append(d.opensshOptions(), "-o", "StrictHostKeyChecking=yes", "web", "true")...)
	c.Run(t, "knock", testnet.ServerAddr4.String(), "9000", "8000", "7000")
	d.assertClosed(t)
}

// TestStoredPasswordNotSentToANewKey: a server seen for the first time does
// not get the profile's stored password, even when its key is accepted; the
// user is asked instead.
func TestStoredPasswordNotSentToANewKey(t *testing.T) {
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "iptables", "ssh-keygen")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	sshd := p.Server.SSHD(t, "PasswordAuthentication yes", "PermitRootLogin yes")
	p.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)
	d := &door{pair: p, sshd: sshd, home: t.TempDir(), prof: newDoorProfile()}
	d.prof.Secrets.Password = "stored-secret"
	ui := &scriptUI{hostKey: AcceptHostKeyOnce}
	if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err == nil {
		t.Fatal("logged in with no key and no password typed")
	}
	if len(ui.asked) != 1 {
		t.Fatalf("asked about the host key %d times, want 1", len(ui.asked))
	}
	d.assertClosed(t)
	// sshd logs every password it is sent before the connection ends.
	sshd.Proc.WaitOutput(t, "Connection closed by")
	if strings.Contains(sshd.Proc.Output(), "Failed password") {
		t.Fatalf("the stored password was sent to a server whose key was new:\n%s", sshd.Proc.Output())
	}
}

func newDoorProfile() profiles.Profile {
	d := profiles.Profile{Name: "test", Host: testnet.ServerAddr4.String(), User: "root"}
	d.Secrets.Open, _ = knocker.ParseSequence("7000,8000,9000")
	d.Secrets.Close, _ = knocker.ParseSequence("9000,8000,7000")
	return d
}
