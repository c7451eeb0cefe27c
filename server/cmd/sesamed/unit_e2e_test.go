//go:build linux

package main_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
	"sesame/knockdconf"
)

// TestInstalledUnitStarts: the service as install writes it, started the
// way systemd would: the ExecStart line of the unit, its paths inside the
// install root, run with a NOTIFY_SOCKET. It runs the program install
// copied (not the one that ran install), says READY=1 (Type=notify), and
// then a knock opens the door while other addresses stay shut out.
func TestInstalledUnitStarts(t *testing.T) {
	testnet.RequireTools(t, "nft")
	c := sesameKnock(t)
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	if out, _ := exec.Command(bin, "--help").CombinedOutput(); !strings.Contains(string(out), "--guard") {
		t.Skip("skipped: this sesamed has no --guard flag yet (the unit's ExecStart needs it)")
	}
	p := testnet.NewPair(t)
	p.Server.SSHD(t)
	root := t.TempDir()
	if out, err := p.Server.Try("env", "SSH_CONNECTION=192.0.2.2 50022 192.0.2.1 22", bin, "install", "--firewall", "nftables",
		"--root", root, "--no-systemctl", "--binary", bin); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "etc/systemd/system/sesamed.service"))
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for _, l := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok {
			argv = strings.Fields(v)
		}
	}
	if len(argv) == 0 || !strings.Contains(string(unit), "Type=notify\n") {
		t.Fatalf("the unit has no ExecStart or is not Type=notify:\n%s", unit)
	}
	for i, a := range argv {
		if strings.HasPrefix(a, "/") {
			argv[i] = filepath.Join(root, a) // the unit's paths, inside the install root
		}
	}
	sock := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := p.Server.Start(t, "env", append([]string{"NOTIFY_SOCKET=" + sock}, append(argv, "-i", testnet.ServerIf, "-v")...)...)
	buf := make([]byte, 512)
	n, err := l.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "READY=1") {
		t.Fatalf("the service said %q, %v; want READY=1\n%s", buf[:n], err, s.Output())
	}
	cfg, err := knockdconf.ParseFile(filepath.Join(root, "etc/knockd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if reachable(t, p, testnet.ServerAddr6) {
		t.Fatal("port 22 is open to a non-knocker with the service up")
	}
	c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), cfg.Doors[0].Sequence.String())
	waitReachable(t, p, testnet.ServerAddr6, true)
}
