//go:build linux

package main_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// TestSecondInstanceRefused: a second sesamed on the same config, as an
// admin starts one to debug beside the service (-D, or -d), refuses with
// the first one's pid, exits non-zero and touches nothing: the first one's
// rules and pid file stay, and a knock still opens the door.
func TestSecondInstanceRefused(t *testing.T) {
	c := sesameKnock(t)
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	for _, kind := range nativeKinds {
		t.Run(kind, func(t *testing.T) {
			p := nativePair(t, kind)
			s := p.Server.Sesamed(t, testnet.ServerIf, nativeConf(kind, "\taccess_time = 30\n"))
			pidFile := filepath.Join(s.Dir, "sesamed.pid")
			pid, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatalf("the first sesamed wrote no pid file: %v", err)
			}
			rules := sesamedRules(t, p.Server, kind)
			if rules == "" {
				t.Fatal("the first sesamed set up no rules of its own")
			}
			want := "sesamed is already running (pid " + strings.TrimSpace(string(pid)) + ")"
			for _, mode := range [][]string{{"-D"}, {"-d"}, {"-v"}} {
				args := append([]string{"-i", testnet.ServerIf, "-c", s.Config, "-p", pidFile}, mode...)
				out, err := p.Server.Try(bin, args...)
				if err == nil {
					t.Fatalf("sesamed %s beside a running one exited 0:\n%s", mode, out)
				}
				if !strings.Contains(out, want) {
					t.Errorf("sesamed %s: %q does not say %q", mode, out, want)
				}
				if got, err := os.ReadFile(pidFile); err != nil || string(got) != string(pid) {
					t.Fatalf("sesamed %s changed the first one's pid file: %q, %v", mode, got, err)
				}
				if got := sesamedRules(t, p.Server, kind); got != rules {
					t.Fatalf("sesamed %s changed the first one's rules:\n%s\nto:\n%s", mode, rules, got)
				}
			}
			// check reads the config and never touches the firewall.
			if out, err := p.Server.Try(bin, "check", "-c", s.Config, "-i", testnet.ServerIf); err != nil {
				t.Fatalf("sesamed check beside a running one: %v\n%s", err, out)
			}
			if got := sesamedRules(t, p.Server, kind); got != rules {
				t.Fatalf("sesamed check changed the first one's rules:\n%s\nto:\n%s", rules, got)
			}
			c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000:udp", "9000")
			s.WaitOutput(t, "SSH: opening 22/tcp for 192.0.2.2")
			waitReachable(t, p, testnet.ServerAddr4, true)
		})
	}
}

// TestReadyOnlyWhenReady: under systemd (Type=notify, which install
// writes) sesamed says READY=1 only once it listens and its firewall rules
// are in place, so that a knock sent then opens the door; a second
// instance, which refuses to start, never says it.
func TestReadyOnlyWhenReady(t *testing.T) {
	c := sesameKnock(t)
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	p := nativePair(t, "nftables")
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conf := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(conf, []byte(nativeConf("nftables", "\taccess_time = 30\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	p.Server.Start(t, "env", "NOTIFY_SOCKET="+sock, bin, "-i", testnet.ServerIf, "-c", conf, "-v")
	buf := make([]byte, 512)
	n, err := l.Read(buf) // blocks until sesamed says something
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(buf[:n]), "READY=1") {
		t.Fatalf("first notification %q, want READY=1", buf[:n])
	}
	if sesamedRules(t, p.Server, "nftables") == "" {
		t.Fatal("READY=1 before sesamed's firewall rules are in place")
	}
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000:udp", "9000")
	waitReachable(t, p, testnet.ServerAddr4, true)

	out, err := p.Server.Try("env", "NOTIFY_SOCKET="+sock, bin, "-i", testnet.ServerIf, "-c", conf)
	if err == nil || !strings.Contains(out, "sesamed is already running") {
		t.Fatalf("second instance: %v\n%s", err, out)
	}
	// It has exited: anything it said is queued by now.
	if err := l.SetReadDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Read(buf); err == nil {
		t.Fatalf("the refused second instance told systemd %q", buf[:n])
	}
}
