//go:build linux

package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// innerConf is the guides' knockd.conf with other ports, so that a knock
// meant for one door cannot open the other.
// Its openUDP and closeUDP doors start with a UDP knock.
var innerConf = strings.NewReplacer("7000", "7100", "8000", "7200", "9000", "7300").Replace(testnet.GuideConf) + `
[openUDP]
	sequence    = 7101:udp,7201,7301
	seq_timeout = 5
	command     = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn

[closeUDP]
	sequence    = 7301,7201,7101:udp
	seq_timeout = 5
	command     = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	tcpflags    = syn
`

// TestConnectJumpHost: a host behind a bastion, each with the real knockd
// and sshd and its own door. sesame connect knocks the bastion from the
// client, then the inner host from the bastion (so its door opens for the
// bastion's address, the only one that reaches it), logs in through the
// bastion, and closes both doors, the inner one first. UDP knocks, which
// SSH cannot carry, are sent by sesame on the bastion when it has one, and
// refused with why when it has not.
func TestConnectJumpHost(t *testing.T) {
	// The bastion, profile web; its sshd takes ~/.ssh/environment, which
	// puts sesame on the PATH of commands run over SSH.
	d := newSSHHost(t, "PermitUserEnvironment yes")
	d.pair.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)
	d.sesame(t, "profile", "add", "web", "--host", testnet.ServerAddr4.String(), "--user", "root",
		"--open", "7000,8000,9000", "--close", "9000,8000,7000")
	inner, link := testnet.Behind(t, d.pair.Server, 0)
	inner.GuardSSH(t)
	isshd := inner.SSHD(t)
	pub, err := os.ReadFile(d.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(isshd.AuthorizedKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	inner.Knockd(t, link.FarIf, innerConf)
	known := testnet.ServerAddr4.String() + " " + d.sshd.HostKey + "\n" + link.Far.String() + " " + isshd.HostKey + "\n"
	if err := os.WriteFile(d.knownHosts(), []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	d.sesame(t, "profile", "add", "inner", "--host", link.Far.String(), "--user", "root",
		"--open", "7100,7200,7300", "--close", "7300,7200,7100", "--jump", "web")

	var out, errOut testnet.Buffer
	cmd := d.command(t, context.Background(), "connect", "-v", "inner", `echo "$SSH_CONNECTION"; cat >/dev/null`)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the session on the inner host", func() bool { return strings.Contains(out.String(), "\n") })
	// sshd's SSH_CONNECTION: client address, port, server address, port.
	if f := strings.Fields(out.String()); len(f) != 4 || f[0] != link.Near.String() || f[2] != link.Far.String() {
		t.Fatalf("SSH_CONNECTION on the inner host is %q, want a connection from the bastion's %s to %s", out.String(), link.Near, link.Far)
	}
	if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Error("the bastion's door is not open for the client during the session")
	}
	if !inner.HasAcceptFrom(t, link.Near.String()) {
		t.Error("the inner door is not open for the bastion during the session")
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("connect through the bastion: %v\n%s", err, errOut.String())
	}
	inner.WaitAccept(t, link.Near.String(), false)
	d.assertClosed(t)
	stderr := errOut.String()
	i, w := strings.Index(stderr, "sesame: inner: door closed"), strings.Index(stderr, "sesame: web: door closed")
	if i < 0 || w < 0 || i > w {
		t.Errorf("the doors did not close inner first:\n%s", stderr)
	}

	// OpenSSH's own ssh, with sesame proxy as its ProxyCommand, goes
	// through the bastion too (the profile's --jump).
	testnet.RequireTools(t, "ssh")
	proxy := "env HOME=" + d.home + " SESAME_CONFIG_DIR=" + d.config + " " + testnet.Binary(t, "sesame", "headless") + " proxy inner"
	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	sshOut, err := os.CreateTemp(t.TempDir(), "ssh-out")
	if err != nil {
		t.Fatal(err)
	}
	defer sshOut.Close()
	ssh := d.pair.Client.Command(ctx, "ssh", "-F", "/dev/null", "-i", d.key,
		"-o", "UserKnownHostsFile="+d.knownHosts(), "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"-o", "ProxyCommand="+proxy, "root@"+link.Far.String(), `echo "$SSH_CONNECTION"`)
	// A file, not a pipe: sesame proxy outlives ssh while it closes the doors.
	ssh.Stdout, ssh.Stderr = sshOut, sshOut
	if err := ssh.Run(); err != nil {
		text, _ := os.ReadFile(sshOut.Name())
		t.Fatalf("ssh with sesame proxy inner: %v\n%s", err, text)
	}
	text, _ := os.ReadFile(sshOut.Name())
	if f := strings.Fields(string(text)); len(f) < 4 || f[0] != link.Near.String() {
		t.Fatalf("ssh through sesame proxy: SSH_CONNECTION %q, want one from the bastion's %s", text, link.Near)
	}
	inner.WaitAccept(t, link.Near.String(), false)
	d.assertClosed(t)

	// Two hops: a third host only the inner one reaches, with a door of
	// its own, knocked from the inner host.
	deep, deepLink := testnet.Behind(t, inner, 1)
	deep.GuardSSH(t)
	dsshd := deep.SSHD(t)
	if err := os.WriteFile(dsshd.AuthorizedKeys, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	deep.Knockd(t, deepLink.FarIf, strings.NewReplacer("7000", "7400", "8000", "7500", "9000", "7600").Replace(testnet.GuideConf))
	known += deepLink.Far.String() + " " + dsshd.HostKey + "\n"
	if err := os.WriteFile(d.knownHosts(), []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	d.sesame(t, "profile", "add", "deep", "--host", deepLink.Far.String(), "--user", "root",
		"--open", "7400,7500,7600", "--close", "7600,7500,7400")
	got, errText, code := d.try(t, "connect", "-v", "--jump", "web,inner", "deep", `echo "$SSH_CONNECTION"`)
	if f := strings.Fields(got); code != 0 || len(f) != 4 || f[0] != deepLink.Near.String() {
		t.Fatalf("connect --jump web,inner deep: exit %d, SSH_CONNECTION %q, want one from %s\n%s", code, got, deepLink.Near, errText)
	}
	deep.WaitAccept(t, deepLink.Near.String(), false)
	inner.WaitAccept(t, link.Near.String(), false)
	d.assertClosed(t)

	// An inner door that does not open (a wrong sequence) fails the
	// connect, and the bastion's door is closed all the same.
	d.sesame(t, "profile", "add", "wrong", "--host", link.Far.String(), "--user", "root",
		"--open", "7700,7800,7900", "--jump", "web")
	_, errText, code = d.try(t, "connect", "wrong", "true")
	if code != 255 || !strings.Contains(errText, "did not open") {
		t.Fatalf("connect wrong: exit %d, stderr %q; want 255 and the door that did not open", code, errText)
	}
	d.assertClosed(t)
	if inner.HasAcceptFrom(t, link.Near.String()) {
		t.Fatal("the inner door opened for a wrong sequence")
	}

	// UDP knocks cannot go through SSH: without sesame on the bastion
	// they are refused with why (and the bastion's door closed); with it,
	// it sends them.
	d.sesame(t, "profile", "add", "udp", "--host", link.Far.String(), "--user", "root",
		"--open", "7101:udp,7201,7301", "--close", "7301,7201,7101:udp", "--jump", "web")
	_, errText, code = d.try(t, "connect", "udp", "true")
	if code != 255 || !strings.Contains(errText, "web has no sesame command") || !strings.Contains(errText, "Install sesame on web") {
		t.Fatalf("connect udp without sesame on the bastion: exit %d, stderr %q; want 255 and why", code, errText)
	}
	d.assertClosed(t)
	// sesame on the bastion notes each run (its arguments hold no
	// secret: the sequence is on its standard input).
	bin := t.TempDir()
	runs := filepath.Join(bin, "runs")
	wrapper := "#!/bin/sh\necho \"$1\" >>" + runs + "\nexec " + testnet.Binary(t, "sesame", "headless") + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sesame"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := "PATH=/usr/sbin:/usr/bin:/sbin:/bin:" + bin + "\n"
	if err := os.MkdirAll(filepath.Join(d.sshd.Dir, "home", ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.sshd.Dir, "home", ".ssh", "environment"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	got, errText, code = d.try(t, "connect", "udp", `echo "$SSH_CONNECTION"`)
	if f := strings.Fields(got); code != 0 || len(f) != 4 || f[0] != link.Near.String() {
		t.Fatalf("connect udp with sesame on the bastion: exit %d, SSH_CONNECTION %q\n%s", code, got, errText)
	}
	inner.WaitAccept(t, link.Near.String(), false)
	d.assertClosed(t)

	// With sesame on the bastion, TCP knocks go through it too: one
	// process sends them in order, and the bastion's sshd logs no port.
	if err := os.Remove(runs); err != nil {
		t.Fatal(err)
	}
	got, errText, code = d.try(t, "connect", "inner", `echo "$SSH_CONNECTION"`)
	if f := strings.Fields(got); code != 0 || len(f) != 4 || f[0] != link.Near.String() {
		t.Fatalf("connect inner with sesame on the bastion: exit %d, SSH_CONNECTION %q\n%s", code, got, errText)
	}
	inner.WaitAccept(t, link.Near.String(), false)
	d.assertClosed(t)
	if ran, _ := os.ReadFile(runs); string(ran) != "knock\nknock\n" {
		t.Errorf("sesame on the bastion ran %q for a TCP-only door; want its open and close knocks", ran)
	}
}
