//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/rotate"
)

// newSeed reads the seed `sesame profile add --seed new` printed.
func newSeed(t *testing.T, out string) rotate.Seed {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\tRotating_Seed *= ([A-Z2-7]+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no seed in:\n%s", out)
	}
	seed, err := rotate.ParseSeed(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return seed
}

// knocks is the capture filter for knocks from the client: TCP SYNs and
// UDP datagrams to the server.
const knocks = "src host 192.0.2.2 and dst host 192.0.2.1 and ((tcp and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn) or udp)"

// TestCapturedKnockReplayedASecondLaterOpensNothing is the point of
// rotating sequences: `sesame knock NAME` opens sesamed's rotating door;
// the very packets it sent, captured on the client's interface with
// tcpdump and put back on the wire byte for byte a second later by
// another process (a raw socket), open nothing, and sesamed says it
// refused a replay; the same ports knocked again with the real knock(1)
// open nothing either. The door's command ran once. The door's cooldown is
// 0, so only the replay check stands in the way, and a fresh knock right
// after opens the door again (the next window).
func TestCapturedKnockReplayedASecondLaterOpensNothing(t *testing.T) {
	keyring.Require(t)
	clients := testnet.KnockClients(t) // root, and knock(1)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	config, ran := filepath.Join(dir, "config"), filepath.Join(dir, "ran")

	out := sesameIn(t, p.Client, config, "profile", "add", "vault", "--host", testnet.ServerAddr4.String(),
		"--seed", "new", "--rotating-protocols", "mixed")
	seed := newSeed(t, out)
	params := rotate.DefaultParams()
	params.Protocols = rotate.Mixed
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.RotatingConf(filepath.Join(dir, "state"), seed, params, "command = echo %IP% >> "+ran))
	capture := p.Client.Capture(t, testnet.ClientIf, knocks)
	opened := func() int { b, _ := os.ReadFile(ran); return testnet.Lines(string(b)) }

	testnet.SettleWindow(t, params, 5*time.Second)
	sesameIn(t, p.Client, config, "knock", "vault")
	s.WaitOutput(t, "192.0.2.2: SSH: OPEN SESAME")
	testnet.WaitFor(t, "the door's command", func() bool { return opened() == 1 })
	n := 0
	sent := capture.WaitPacket(t, "the knocks", func(testnet.Packet) bool { n++; return n == params.Length })
	time.Sleep(time.Second) // "a second later": the scenario, not a wait for an event
	p.Client.SendFrames(t, testnet.ClientIf, testnet.Frames(sent)...)
	n = 0
	capture.WaitPacketAfter(t, len(sent), "the replayed knocks on the wire", func(testnet.Packet) bool { n++; return n == params.Length })
	s.WaitOutput(t, "192.0.2.2: SSH: REPLAY REFUSED")

	// The same ports again, from knock(1).
	var ports []string
	for _, pkt := range sent {
		port := strconv.Itoa(int(pkt.Dst.Port()))
		if pkt.UDP {
			port += ":udp"
		}
		ports = append(ports, port)
	}
	from := s.Len()
	clients[1].Knock(t, p.Client, append([]string{testnet.ServerAddr4.String()}, ports...)...)
	s.WaitOutputAfter(t, from, "192.0.2.2: SSH: REPLAY REFUSED")

	if n := strings.Count(s.Output(), "OPEN SESAME"); n != 1 || opened() != 1 {
		t.Fatalf("the door opened %d times and its command ran %d times, want 1: a replay opened it:\n%s", n, opened(), s.Output())
	}

	// The door itself still works: a fresh knock opens it.
	from = s.Len()
	sesameIn(t, p.Client, config, "knock", "vault")
	s.WaitOutputAfter(t, from, "192.0.2.2: SSH: OPEN SESAME")
	testnet.WaitFor(t, "the door's command for the fresh knock", func() bool { return opened() == 2 })
}

// TestRotatingProfileThroughConnectAndProxy: a rotating profile opens
// sesamed's door for `sesame connect` to a real sshd, twice within a window
// (the second connect uses the next window's sequence), and a third time
// through ssh's ProxyCommand `sesame proxy`, which waits for the next
// window since this device used both. Windows are 10 s here.
func TestRotatingProfileThroughConnectAndProxy(t *testing.T) {
	d := newSSHHost(t)
	d.trust(t)
	out := d.sesame(t, "profile", "add", "rot", "--host", testnet.ServerAddr4.String(), "--user", "root",
		"--seed", "new", "--rotating-window", "10")
	seed := newSeed(t, out)
	params := rotate.DefaultParams()
	params.Window = 10 * time.Second
	rule := "INPUT -s %IP% -p tcp --dport 22 -j ACCEPT"
	s := d.pair.Server.Sesamed(t, testnet.ServerIf, testnet.RotatingConf(filepath.Join(t.TempDir(), "state"), seed, params,
		"start_command = /sbin/iptables -I "+rule, "cmd_timeout = 1", "stop_command = /sbin/iptables -D "+rule))

	w := testnet.SettleWindow(t, params, 7*time.Second)
	for i, want := range []string{"current", "next"} {
		from := s.Len()
		if out := d.sesame(t, "connect", "rot", "--", "echo", "connected"); strings.TrimSpace(out) != "connected" {
			t.Fatalf("connect %d: %q", i+1, out)
		}
		s.WaitOutputAfter(t, from, "192.0.2.2: SSH: sequence of the "+want+" window")
		d.assertClosed(t)
	}
	if now := params.WindowAt(time.Now()); now != w {
		t.Fatalf("the two connects took longer than the window (%d, then %d): the machine is too slow for this test", w, now)
	}

	from := s.Len()
	out, err := d.openSSH(t, "rot", "echo", "proxied")
	if err != nil || !strings.Contains(out, "proxied") {
		t.Fatalf("ssh through sesame proxy: %v\n%s", err, out)
	}
	if !strings.Contains(out, "sesame proxy: rot knocked with this window's sequence and the next one's already") {
		t.Fatalf("the proxy did not say it waited for the next window:\n%s", out)
	}
	s.WaitOutputAfter(t, from, "192.0.2.2: SSH: sequence of the next window ("+strconv.FormatInt(w+2, 10)+")")
	if n := strings.Count(s.Output(), "OPEN SESAME"); n != 3 {
		t.Fatalf("OPEN SESAME %d times, want 3:\n%s", n, s.Output())
	}
}

// oneTimeConf is a door with One_Time_Sequences that sesamed and knockd
// both read, appending the knocking address to ran when it opens.
func oneTimeConf(t *testing.T, dir string) (conf, seqs, ran string) {
	t.Helper()
	seqs, ran = filepath.Join(dir, "ssh_sequences"), filepath.Join(dir, "ran")
	if err := os.WriteFile(seqs, []byte(" 6001,6002,6003\n 6004:udp,6005,6006:udp\n 6007,6008,6009\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf = "[options]\n\tlogfile = /dev/null\n[otSSH]\n\tone_time_sequences = " + seqs + "\n\tseq_timeout = 10\n\tcommand = echo %IP% >> " + ran + "\n"
	return conf, seqs, ran
}

// TestOneTimeSequenceConsumedOnBothSidesWithSesamed: a profile imported
// from the door's One_Time_Sequences file knocks sesamed open with the
// next sequence, which both sides then mark used (the keyring, and the
// file in knockd's format); the captured knock, replayed, and the same
// sequence from knock(1), open nothing; the next knock uses the next
// sequence and opens.
func TestOneTimeSequenceConsumedOnBothSidesWithSesamed(t *testing.T) {
	keyring.Require(t)
	clients := testnet.KnockClients(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	conf, seqs, ran := oneTimeConf(t, dir)
	confFile := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config")
	if out := sesameIn(t, p.Client, config, "profile", "import", confFile, "--host", testnet.ServerAddr4.String()); !strings.Contains(out, "created otSSH") {
		t.Fatalf("import said:\n%s", out)
	}
	s := p.Server.Sesamed(t, testnet.ServerIf, conf+"\tcooldown = 0\n")
	capture := p.Client.Capture(t, testnet.ClientIf, knocks)
	opened := func() int { b, _ := os.ReadFile(ran); return testnet.Lines(string(b)) }

	sesameIn(t, p.Client, config, "knock", "otSSH")
	s.WaitOutput(t, "192.0.2.2: otSSH: OPEN SESAME")
	testnet.WaitFor(t, "sesamed to mark the first sequence used", func() bool {
		b, _ := os.ReadFile(seqs)
		return strings.HasPrefix(string(b), "#6001,6002,6003\n")
	})
	if out := sesameIn(t, p.Client, config, "profile", "show", "otSSH"); !strings.Contains(out, "2 left, 1 used") {
		t.Fatalf("the profile did not use its sequence up:\n%s", out)
	}
	n := 0
	sent := capture.WaitPacket(t, "the knocks", func(testnet.Packet) bool { n++; return n == 3 })
	p.Client.SendFrames(t, testnet.ClientIf, testnet.Frames(sent)...)
	clients[1].Knock(t, p.Client, testnet.ServerAddr4.String(), "6001", "6002", "6003")

	// The barrier: the next sequence, which opens.
	from := s.Len()
	sesameIn(t, p.Client, config, "knock", "otSSH")
	s.WaitOutputAfter(t, from, "192.0.2.2: otSSH: OPEN SESAME")
	testnet.WaitFor(t, "the door's command for the second sequence", func() bool { return opened() >= 2 })
	if c := strings.Count(s.Output(), "OPEN SESAME"); c != 2 || opened() != 2 {
		t.Fatalf("the door opened %d times and its command ran %d times, want 2: a used sequence opened it:\n%s", c, opened(), s.Output())
	}
	if out := sesameIn(t, p.Client, config, "profile", "show", "otSSH"); !strings.Contains(out, "1 left, 2 used") {
		t.Fatalf("after the second knock:\n%s", out)
	}
}
