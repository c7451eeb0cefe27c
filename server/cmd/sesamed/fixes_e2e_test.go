//go:build linux

package main_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// sesameKnock is `sesame knock`, the client the sesamed tests knock with
// (the guide tests also use knock(1)).
func sesameKnock(t *testing.T) testnet.KnockClient {
	return testnet.KnockClients(t)[0]
}

// guarded is a pair with the guides' baseline on the server (established
// allowed, port 22 dropped) and a real sshd behind it.
func guarded(t *testing.T) *testnet.Pair {
	testnet.RequireTools(t, "iptables", "ip6tables")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	p.Server.SSHD(t)
	return p
}

// count counts the occurrences of substr in s.
func count(s, substr string) int { return strings.Count(s, substr) }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// TestAttemptsExpireOnATimer: knockd notices a timed-out attempt only when
// the next packet arrives; sesamed says so when the time is up.
func TestAttemptsExpireOnATimer(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	conf := strings.Replace(testnet.GuideConf, "seq_timeout = 5\n\tcommand     = /sbin/iptables -I", "seq_timeout = 1\n\tcommand     = /sbin/iptables -I", 1)
	s := p.Server.Sesamed(t, testnet.ServerIf, conf)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000")
	s.WaitOutput(t, "192.0.2.2: openSSH: Stage 1")
	// No other packet comes; the timer alone ends the attempt.
	s.WaitOutput(t, "192.0.2.2: openSSH: sequence timeout (stage 1)")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
}

// TestWrongKnockThenImmediateRetry: a client that gives up half way and
// starts again at once. knockd spends the retry's first knock on cancelling
// the old attempt, so the retry fails; sesamed counts it as a first knock.
func TestWrongKnockThenImmediateRetry(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000")
	s.WaitOutput(t, "openSSH: Stage 2")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	if n := count(s.Output(), "openSSH: Stage 1"); n != 2 {
		t.Fatalf("Stage 1 logged %d times, want 2 (the retry's first knock must count)", n)
	}
}

// TestRetransmittedKnockDoesNotBreakTheSequence: the server drops the knock
// ports silently, the client's kernel resends the first SYN after a
// second, and only then come the other knocks. knockd takes the resent SYN
// as a wrong knock.
func TestRetransmittedKnockDoesNotBreakTheSequence(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	for _, port := range []string{"7000", "8000", "9000"} {
		p.Server.Run(t, "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", port, "-j", "DROP")
	}
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf, "-D")
	capture := p.Server.Capture(t, testnet.ServerIf, "tcp dst port 7000")
	// A plain connect, as knock(1) and many scripts make: the kernel
	// retransmits the SYN while nothing answers.
	var fd int
	err := p.Client.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		err = unix.Connect(fd, &unix.SockaddrInet4{Port: 7000, Addr: testnet.ServerAddr4.As4()})
		if err == unix.EINPROGRESS {
			err = nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	syns := 0
	capture.WaitPacket(t, "the retransmitted SYN to port 7000", func(testnet.Packet) bool { syns++; return syns == 2 })
	s.WaitOutput(t, "repeated knock, ignoring")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
}

// TestCooldownAfterOpening: a client sends its single UDP knock three times
// for good measure. knockd runs the door's command three times; sesamed
// once, and ignores the repeats during the door's cooldown.
func TestCooldownAfterOpening(t *testing.T) {
	c := sesameKnock(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	conf := "[options]\n\tlogfile = /dev/null\n[udp]\n\tsequence = 4000:udp\n\tcommand = echo %IP% >> " + ran + "\n"
	s := p.Server.Sesamed(t, testnet.ServerIf, conf, "-D")
	c.Knock(t, p.Client, "-u", testnet.ServerAddr4.String(), "4000", "4000", "4000")
	s.WaitOutput(t, "udp: door just opened for this address, ignoring...")
	s.WaitOutputAfter(t, strings.Index(s.Output(), "door just opened")+1, "udp: door just opened for this address, ignoring...")
	testnet.WaitFor(t, "the door's command", func() bool { return readFile(t, ran) != "" })
	if n := count(s.Output(), "OPEN SESAME"); n != 1 {
		t.Fatalf("the door opened %d times, want 1", n)
	}
	if got := readFile(t, ran); got != "192.0.2.2\n" {
		t.Fatalf("the command ran with output %q, want once for 192.0.2.2", got)
	}
}

// TestOneTimeSequences: each sequence opens once, the file is rewritten
// atomically in knockd's format, and knockd reads it afterwards.
func TestOneTimeSequences(t *testing.T) {
	c := sesameKnock(t)
	p := testnet.NewPair(t)
	dir := t.TempDir()
	seqs := filepath.Join(dir, "sequences")
	ran := filepath.Join(dir, "ran")
	if err := os.WriteFile(seqs, []byte(" 1111,2222\n3333:udp,4444\n 5555,6666\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	door := "[options]\n\tlogfile = /dev/null\n[smtp]\n\tone_time_sequences = " + seqs + "\n\tcommand = echo %IP% >> " + ran + "\n"
	var before syscall.Stat_t
	if err := syscall.Stat(seqs, &before); err != nil {
		t.Fatal(err)
	}
	s := p.Server.Sesamed(t, testnet.ServerIf, door+"\tcooldown = 0\n")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "1111", "2222")
	s.WaitOutput(t, "192.0.2.2: smtp: OPEN SESAME")
	testnet.WaitFor(t, "the first sequence marked used", func() bool { return strings.HasPrefix(readFile(t, seqs), "#1111,2222\n") })
	var after syscall.Stat_t
	if err := syscall.Stat(seqs, &after); err != nil {
		t.Fatal(err)
	}
	if after.Ino == before.Ino {
		t.Error("the sequences file was written in place, not replaced by a rename")
	}
	// A replay of the used sequence opens nothing; the next one opens.
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "1111", "2222")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "3333:udp", "4444")
	s.WaitOutputAfter(t, strings.Index(s.Output(), "OPEN SESAME")+1, "192.0.2.2: smtp: OPEN SESAME")
	if n := count(s.Output(), "OPEN SESAME"); n != 2 {
		t.Fatalf("OPEN SESAME %d times, want 2: the replay must not open", n)
	}
	testnet.WaitFor(t, "the second sequence marked used", func() bool {
		return readFile(t, seqs) == "#1111,2222\n#3333:udp,4444\n 5555,6666\n"
	})
	s.Stop()

	// knockd takes over the same file and uses the sequence left.
	k := p.Server.Knockd(t, testnet.ServerIf, door)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "5555", "6666")
	k.WaitOutput(t, "smtp: OPEN SESAME")
	testnet.WaitFor(t, "knockd to mark the last sequence", func() bool { return strings.HasSuffix(readFile(t, seqs), "#5555,6666\n") })
}

// TestReloadKeepsTheOldConfigOnError: SIGHUP with a broken config logs the
// problem and keeps the doors open for business (knockd exits); a good
// config takes over.
func TestReloadKeepsTheOldConfigOnError(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf)
	if err := os.WriteFile(s.Config, []byte("[openSSH]\n\tsequence = 31337,70000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(unix.SIGHUP); err != nil {
		t.Fatal(err)
	}
	out := s.WaitOutput(t, "keeping the configuration already running")
	if !strings.Contains(out, s.Config+`:2: Sequence has a bad knock "70000"`) || strings.Contains(out, "31337") {
		t.Fatalf("the reload error must name file:line and the bad knock, and not quote the sequence:\n%s", out)
	}
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "9000", "8000", "7000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)

	good := strings.ReplaceAll(testnet.GuideConf, "7000,8000,9000", "1000,2000,3000")
	if err := os.WriteFile(s.Config, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	n := s.Len()
	if err := s.Signal(unix.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.WaitOutputAfter(t, n, "reloaded")
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "1000", "2000", "3000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
}

// TestHUPReopensTheLogFile: logrotate moves the log file away and sends
// SIGHUP; sesamed writes to a new file at the old path from then on, even
// when the config it re-reads is broken.
func TestHUPReopensTheLogFile(t *testing.T) {
	p := guarded(t)
	logPath := filepath.Join(t.TempDir(), "sesamed.log")
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf, "-g", logPath)
	testnet.WaitFor(t, "the start in the log file", func() bool { return strings.Contains(readFile(t, logPath), "starting up") })
	for i, tc := range []struct {
		conf, want string
	}{
		{"[openSSH]\n\tsequence = 7000,70000\n", "keeping the configuration already running"},
		{testnet.GuideConf, "reloaded"},
	} {
		rotated := fmt.Sprintf("%s.%d", logPath, i+1)
		if err := os.Rename(logPath, rotated); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.Config, []byte(tc.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		n := s.Len()
		if err := s.Signal(unix.SIGHUP); err != nil {
			t.Fatal(err)
		}
		s.WaitOutputAfter(t, n, tc.want)
		testnet.WaitFor(t, tc.want+" in the new log file", func() bool {
			_, err := os.Stat(logPath)
			return err == nil && strings.Contains(readFile(t, logPath), tc.want)
		})
		if old := readFile(t, rotated); strings.Contains(old, tc.want) {
			t.Errorf("after SIGHUP the rotated file %s still got %q:\n%s", rotated, tc.want, old)
		}
	}
}

// TestShutdownRunsPendingStopCommands: SIGTERM while a door is open with a
// stop command pending: the stop command runs before sesamed exits 0, so
// nothing it opened stays open.
func TestShutdownRunsPendingStopCommands(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	conf := strings.Replace(testnet.MixedConf, "cmd_timeout   = 3", "cmd_timeout   = 3600", 1)
	s := p.Server.Sesamed(t, testnet.ServerIf, conf)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "2222:udp", "3333:tcp", "4444:udp")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	if err := s.Signal(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-time.After(testnet.Await):
		t.Fatal("sesamed did not exit after SIGTERM")
	}
	if err := s.Err(); err != nil {
		t.Fatalf("sesamed exited with %v, want status 0", err)
	}
	if p.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door is still open after sesamed stopped")
	}
	if !strings.Contains(s.Output(), "shutting down, running the stop command now") {
		t.Fatalf("output:\n%s", s.Output())
	}
}

// TestInterfaceDownUpAndNewAddress: the interface goes down and comes back
// (knockd exits), and gains an address, which knocks may then go to.
func TestInterfaceDownUpAndNewAddress(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	s := p.Server.Sesamed(t, testnet.ServerIf, testnet.GuideConf, "-D")
	open := func(to netip.Addr) {
		t.Helper()
		c.Knock(t, p.Client, to.String(), "7000", "8000", "9000")
		p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
		c.Knock(t, p.Client, to.String(), "9000", "8000", "7000")
		p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
	}
	open(testnet.ServerAddr4)

	n := s.Len()
	p.Server.Run(t, "ip", "link", "set", testnet.ServerIf, "down")
	p.Server.Run(t, "ip", "link", "set", testnet.ServerIf, "up")
	p.Server.Run(t, "ip", "neigh", "replace", testnet.ClientAddr4.String(), "lladdr", "02:53:45:53:00:02", "dev", testnet.ServerIf, "nud", "permanent")
	// The capture either survived or was opened again; either way the
	// filter follows the interface (its IPv6 address went with the down).
	s.WaitOutputAfter(t, n, "capture filter:")
	open(testnet.ServerAddr4)

	extra := netip.MustParseAddr("192.0.2.5")
	n = s.Len()
	p.Server.Run(t, "ip", "addr", "add", extra.String()+"/24", "dev", testnet.ServerIf)
	s.WaitOutputAfter(t, n, "dst host "+extra.String())
	open(extra)
}

// TestRawLinkSeveralInterfacesAndIPv6ExtensionHeaders listens on the veth
// and on a tun device (a raw IP link, as WireGuard's), and knocks through
// the tun with IPv4 and with IPv6 behind extension headers.
func TestRawLinkSeveralInterfacesAndIPv6ExtensionHeaders(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	tun := p.Server.Tun(t, "tun-k", "198.51.100.1/24", "2001:db8:1::1/64")
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	conf := "[options]\n\tlogfile = /dev/null\n[udp]\n\tsequence = 7000:udp,8000,9000:udp\n\tcommand = echo %IP% >> " + ran + "\n"
	s := p.Server.Sesamed(t, testnet.ServerIf+",tun-k", conf)

	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000:udp", "8000", "9000:udp")
	s.WaitOutput(t, "192.0.2.2: udp: OPEN SESAME")

	src4, dst4 := netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.1")
	for _, k := range []knock{{udp: true, port: 7000}, {port: 8000}, {udp: true, port: 9000}} {
		writePacket(t, tun, ipPacket(t, src4, dst4, k, false))
	}
	s.WaitOutput(t, "198.51.100.2: udp: OPEN SESAME")

	src6, dst6 := netip.MustParseAddr("2001:db8:1::2"), netip.MustParseAddr("2001:db8:1::1")
	for _, k := range []knock{{udp: true, port: 7000}, {port: 8000}, {udp: true, port: 9000}} {
		writePacket(t, tun, ipPacket(t, src6, dst6, k, true))
	}
	s.WaitOutput(t, "2001:db8:1::2: udp: OPEN SESAME")
	testnet.WaitFor(t, "the three commands", func() bool { return count(readFile(t, ran), "\n") == 3 })
}

// TestIPv6DestinationOptionsOnEthernet: the client's kernel puts a
// destination options header before UDP; libpcap's port filter cannot see
// past it, sesamed's decoder does.
func TestIPv6DestinationOptionsOnEthernet(t *testing.T) {
	p := testnet.NewPair(t)
	s := p.Server.Sesamed(t, testnet.ServerIf, "[options]\n\tlogfile = /dev/null\n[opts]\n\tsequence = 5000:udp,6000:udp\n")
	for _, port := range []int{5000, 6000} {
		err := p.Client.Do(func() error {
			fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			// An 8-byte destination options header holding one PadN option.
			opts := string([]byte{0, 0, 1, 4, 0, 0, 0, 0})
			if err := unix.SetsockoptString(fd, unix.IPPROTO_IPV6, unix.IPV6_DSTOPTS, opts); err != nil {
				return err
			}
			return unix.Sendto(fd, []byte("knock"), 0, &unix.SockaddrInet6{Port: port, Addr: testnet.ServerAddr6.As16()})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.WaitOutput(t, "2001:db8::2: opts: OPEN SESAME")
}

// TestAnyInterface listens on "any" (Linux cooked capture).
func TestAnyInterface(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	p.Server.Sesamed(t, "any", testnet.GuideConf)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	c.Knock(t, p.Client, "-6", testnet.ServerAddr6.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr6.String(), false) // the IPv4 command
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
}
