//go:build linux

package main_test

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// logLines reads a knockd-format log file: the "[YYYY-MM-DD HH:MM] "
// stamps are checked and stripped; blank lines are dropped.
func logLines(t *testing.T, path string) []string {
	t.Helper()
	stamp := regexp.MustCompile(`^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}\] `)
	var out []string
	for _, l := range strings.Split(readFile(t, path), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !stamp.MatchString(l) {
			t.Fatalf("%s: line %q has no [date time] stamp", path, l)
		}
		out = append(out, stamp.ReplaceAllString(l, ""))
	}
	return out
}

// TestLogFileMatchesKnockd runs knockd and sesamed on the same config,
// knocks both open with knock(1), stops them, and compares their log
// files from start-up to shutdown: the lines log watchers look for must be
// the same, word for word (knockd 0.8 writes "waiting for child
// processes..." on standard output only, and so must sesamed).
func TestLogFileMatchesKnockd(t *testing.T) {
	testnet.RequireTools(t, "knockd")
	var knock testnet.KnockClient
	for _, c := range testnet.KnockClients(t) {
		if c.Name == "knock" {
			knock = c
		}
	}
	logs := map[string][]string{}
	for _, daemon := range []string{"knockd", "sesamed"} {
		p := guarded(t)
		path := filepath.Join(t.TempDir(), "knockd.log")
		conf := strings.Replace(testnet.GuideConf, "logfile = /dev/null", "logfile = "+path, 1)
		var proc *testnet.Proc
		if daemon == "knockd" {
			proc = p.Server.Knockd(t, testnet.ServerIf, conf)
		} else {
			proc = p.Server.Sesamed(t, testnet.ServerIf, conf).Proc
		}
		knock.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
		p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
		testnet.WaitFor(t, daemon+"'s running command line", func() bool {
			return strings.Contains(readFile(t, path), "running command")
		})
		proc.Stop()
		for _, l := range logLines(t, path) {
			if strings.Contains(l, "192.0.2.2") || strings.HasPrefix(l, "starting up") ||
				strings.Contains(l, "child processes") || strings.Contains(l, "shutting down") {
				logs[daemon] = append(logs[daemon], l)
			}
		}
	}
	want := []string{
		"starting up, listening on veth-s",
		"192.0.2.2: openSSH: Stage 1",
		"192.0.2.2: openSSH: Stage 2",
		"192.0.2.2: openSSH: Stage 3",
		"192.0.2.2: openSSH: OPEN SESAME",
		"openSSH: running command: /sbin/iptables -I INPUT -s 192.0.2.2 -p tcp --dport 22 -j ACCEPT",
		"shutting down",
	}
	for _, daemon := range []string{"knockd", "sesamed"} {
		if got := strings.Join(logs[daemon], "\n"); got != strings.Join(want, "\n") {
			t.Errorf("%s logged:\n%s\nwant:\n%s", daemon, got, strings.Join(want, "\n"))
		}
	}
}

// TestDaemonMode: -d returns once the detached daemon listens, which
// writes its pid file, works, and removes the pid file when it stops.
// A daemon that cannot start says why before -d returns.
func TestDaemonMode(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	dir := t.TempDir()
	conf, pidFile := filepath.Join(dir, "knockd.conf"), filepath.Join(dir, "sesamed.pid")
	if err := os.WriteFile(conf, []byte(testnet.GuideConf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := p.Server.Try(bin, "-d", "-c", conf, "-i", "nosuch0", "-p", pidFile)
	if err == nil || !strings.Contains(out, "interface nosuch0 does not exist") {
		t.Fatalf("-d on a missing interface: %v\n%s", err, out)
	}
	p.Server.Run(t, bin, "-d", "-c", conf, "-i", testnet.ServerIf, "-p", pidFile)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("no pid file once -d returned: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || unix.Kill(pid, 0) != nil {
		t.Fatalf("pid file %q does not name a running process", b)
	}
	t.Cleanup(func() { _ = unix.Kill(pid, unix.SIGKILL) })
	if sid, _ := unix.Getsid(pid); sid != pid {
		t.Errorf("the daemon is not a session leader (sid %d, pid %d)", sid, pid)
	}
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the daemon to exit and remove its pid file", func() bool {
		_, err := os.Stat(pidFile)
		return os.IsNotExist(err) && unix.Kill(pid, 0) != nil
	})
}

// TestSyslog: with UseSyslog the log lines go to syslog, facility user and
// priority notice, tagged sesamed. sesamed runs in a mount namespace of
// its own where the syslog socket is the test's.
func TestSyslog(t *testing.T) {
	testnet.RequireTools(t, "unshare", "mount")
	c := sesameKnock(t)
	p := guarded(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "syslog.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := l.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	conf := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(conf, []byte(strings.Replace(testnet.GuideConf, "logfile = /dev/null", "UseSyslog", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	// Go's log/syslog tries /dev/log, then /var/run/syslog.
	s := sesamedInMountNS(t, p.Server, `if [ -e /dev/log ]; then mount --bind "$1" /dev/log; else mount -t tmpfs none /run && touch /run/syslog && mount --bind "$1" /run/syslog; fi`,
		sock, "-c", conf, "-i", testnet.ServerIf, "-v", "-p", filepath.Join(dir, "pid"))
	s.WaitOutput(t, "listening on "+testnet.ServerIf)
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	deadline := time.After(testnet.Await)
	for {
		select {
		case m := <-msgs:
			if !strings.Contains(m, "192.0.2.2: openSSH: OPEN SESAME") {
				continue
			}
			// <13> is facility user (1) * 8 + priority notice (5).
			if !strings.HasPrefix(m, "<13>") || !strings.Contains(m, " sesamed[") {
				t.Fatalf("syslog message %q: want priority <13> and tag sesamed", m)
			}
			return
		case <-deadline:
			t.Fatal("no OPEN SESAME line reached syslog")
		}
	}
}

// sesamedInMountNS runs sesamed in a private mount namespace of its own,
// inside the network namespace, after setup (a shell script given arg as
// $1) has mounted what the test needs there.
func sesamedInMountNS(t *testing.T, ns *testnet.NS, setup, arg string, args ...string) *testnet.Proc {
	t.Helper()
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	script := "set -e\n" + setup + "\nshift\nexec \"$@\""
	return ns.Start(t, "unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", arg, bin}, args...)...)
}

// TestLookupNames: with -l, log lines carry the knocking host's name, as
// knockd's do ("192.0.2.2 (client.example): ..."), once a door has opened
// for it: the name is looked up then, never on a first knock. The name
// comes from an /etc/hosts of the test's, in sesamed's own mount
// namespace: no DNS.
func TestLookupNames(t *testing.T) {
	testnet.RequireTools(t, "unshare", "mount")
	c := sesameKnock(t)
	p := guarded(t)
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n192.0.2.2 client.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(conf, []byte(testnet.GuideConf), 0o600); err != nil {
		t.Fatal(err)
	}
	s := sesamedInMountNS(t, p.Server, `mount --bind "$1" /etc/hosts`, hosts,
		"-c", conf, "-i", testnet.ServerIf, "-v", "-l", "-p", filepath.Join(dir, "pid"))
	s.WaitOutput(t, "listening on "+testnet.ServerIf)
	c.Knock(t, p.Client, "-d", "200", testnet.ServerAddr4.String(), "7000", "8000", "9000")
	s.WaitOutput(t, "192.0.2.2: openSSH: OPEN SESAME")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	if strings.Contains(s.Output(), "client.example") {
		t.Fatalf("the name was looked up before a door opened:\n%s", s.Output())
	}
	c.Knock(t, p.Client, "-d", "200", testnet.ServerAddr4.String(), "9000", "8000", "7000")
	s.WaitOutput(t, "192.0.2.2 (client.example): closeSSH: OPEN SESAME")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

// TestLogFileThatCannotBeOpened: a LogFile in a directory that does not
// exist stops neither knockd nor sesamed. sesamed says so with the warning
// `sesamed check` prints, opens its doors, and its log lines go to
// standard error (the journal) instead of being lost.
func TestLogFileThatCannotBeOpened(t *testing.T) {
	c := sesameKnock(t)
	p := guarded(t)
	missing := filepath.Join(t.TempDir(), "missing")
	conf := strings.Replace(testnet.GuideConf, "logfile = /dev/null", "logfile = "+missing+"/knockd.log", 1)
	s := p.Server.Sesamed(t, testnet.ServerIf, conf)
	out := s.Output()
	warning := "warning: cannot open the log file " + missing + "/knockd.log: directory " + missing + " does not exist; sesamed logs to standard error instead (create the directory, or fix LogFile)"
	if !strings.Contains(out, warning) {
		t.Fatalf("no warning %q:\n%s", warning, out)
	}
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	check, err := p.Server.Try(bin, "check", "-i", testnet.ServerIf, "-c", s.Config)
	if err != nil || !strings.Contains(check, warning) {
		t.Fatalf("check: %v, want exit 0 and %q:\n%s", err, warning, check)
	}
	c.Knock(t, p.Client, testnet.ServerAddr4.String(), "7000", "8000", "9000")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	// knockd writes "running command" to its log file only; with no log
	// file, sesamed writes it to standard error.
	s.WaitOutput(t, "openSSH: running command: /sbin/iptables -I INPUT -s 192.0.2.2")
	if n := strings.Count(s.Output(), "192.0.2.2: openSSH: OPEN SESAME"); n != 1 {
		t.Errorf("OPEN SESAME printed %d times, want once (on standard output, -v):\n%s", n, s.Output())
	}
}
