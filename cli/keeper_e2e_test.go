//go:build linux

package cli_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// TestConnectKilledStillClosesDoor kills `sesame connect` with SIGKILL in
// the middle of a session: no code of its own runs, and its close keeper
// knocks the door shut.
func TestConnectKilledStillClosesDoor(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	var out, errOut testnet.Buffer
	cmd := d.command(t, context.Background(), "connect", "web", "--", "echo started; sleep 60")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the remote command to start", func() bool { return strings.Contains(out.String(), "started") })
	if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door is not open during the session")
	}
	// ip netns exec execs env, which execs sesame: the process is sesame.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	d.assertClosed(t)
}

// TestProxyKilledStillClosesDoor kills `sesame proxy` under a real OpenSSH
// client with SIGKILL during the session: the keeper closes the door.
func TestProxyKilledStillClosesDoor(t *testing.T) {
	testnet.RequireTools(t, "ssh")
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	bin := testnet.Binary(t, "sesame", "headless")
	proxy := "env HOME=" + d.home + " SESAME_CONFIG_DIR=" + d.config + " " + bin + " proxy web"
	var out testnet.Buffer
	cmd := d.pair.Client.Command(context.Background(), "ssh", "-F", "/dev/null", "-i", d.key,
		"-o", "UserKnownHostsFile="+d.knownHosts(), "-o", "StrictHostKeyChecking=yes",
		"-o", "BatchMode=yes", "-o", "ProxyCommand="+proxy,
		"root@"+testnet.ServerAddr4.String(), "echo started; sleep 60")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		_ = cmd.Wait()
	})
	testnet.WaitFor(t, "the remote command to start", func() bool { return strings.Contains(out.String(), "started") })
	if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door is not open during the session")
	}
	if n := killArgs(t, d.pair.Client, bin+" proxy web", unix.SIGKILL); n != 1 {
		t.Fatalf("killed %d sesame proxy processes, want 1", n)
	}
	d.assertClosed(t)
}

// killArgs sends sig to the processes in ns whose command line is argv
// (space-joined) and returns how many it signalled.
func killArgs(t *testing.T, ns *testnet.NS, argv string, sig unix.Signal) int {
	t.Helper()
	pids, err := exec.Command("ip", "netns", "pids", ns.Name).Output()
	if err != nil {
		t.Fatalf("ip netns pids: %v", err)
	}
	n := 0
	for _, f := range strings.Fields(string(pids)) {
		b, err := os.ReadFile("/proc/" + f + "/cmdline")
		if err != nil || strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ") != argv {
			continue
		}
		if pid, err := strconv.Atoi(f); err == nil && unix.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}

// TestConnectClosesDoorOnce: after a normal session the close sequence
// goes out once — the client's own — and its keeper adds nothing.
func TestConnectClosesDoorOnce(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	// Open is 7000,8000,9000 and close 9000,8000,7000: one SYN to 7000
	// each. A marker knock on 7001 afterwards, from the same client over
	// the same link, arrives after anything the keeper sent before it
	// exited (connect waits for its keeper).
	capture := d.pair.Server.Capture(t, testnet.ServerIf, "tcp[tcpflags] & tcp-syn != 0 and (dst port 7000 or dst port 7001)")
	d.sesame(t, "connect", "web", "--", "true")
	d.assertClosed(t)
	d.sesame(t, "knock", testnet.ServerAddr4.String(), "7001")
	pkts := capture.WaitPacket(t, "the marker knock", func(p testnet.Packet) bool { return p.Dst.Port() == 7001 })
	if n := len(pkts) - 1; n != 2 {
		t.Fatalf("%d SYNs to port 7000, want 2 (the open and one close knock):\n%v", n, pkts)
	}
}

// TestConnectSaysHostUnreachable: with no route to the host, connect says
// so (not that the door did not open), with its advice once.
func TestConnectSaysHostUnreachable(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	d.pair.Client.Run(t, "ip", "route", "add", "unreachable", testnet.ServerAddr4.String()+"/32")
	_, errOut, code := d.try(t, "connect", "web", "--", "true")
	if code != 255 || !strings.Contains(errOut, "host unreachable") {
		t.Fatalf("exit %d, stderr %q; want 255 and host unreachable", code, errOut)
	}
	if n := strings.Count(errOut, "network reaches it"); n != 1 {
		t.Fatalf("the advice is given %d times, want once:\n%s", n, errOut)
	}
}
