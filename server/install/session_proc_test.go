//go:build linux

package install

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeProc is a proc file system of a few processes.
type fakeProc struct {
	t    *testing.T
	root string
}

type fakeProcess struct {
	pid, ppid int
	comm      string
	environ   []string
	sockets   []string // inodes
	tcp, tcp6 string   // the process's /proc/PID/net tables, rows only
	tty       int      // tty_nr
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func (f fakeProc) add(p fakeProcess) {
	dir := filepath.Join(f.root, strconv.Itoa(p.pid))
	for _, d := range []string{"fd", "net"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			f.t.Fatal(err)
		}
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	// A command name with a space and a parenthesis, as comm may have.
	write("stat", strconv.Itoa(p.pid)+" ("+p.comm+" (x)) S "+strconv.Itoa(p.ppid)+" 1 1 "+strconv.Itoa(p.tty)+" -1\n")
	write("comm", p.comm+"\n")
	write("environ", strings.Join(p.environ, "\x00")+"\x00")
	write("net/tcp", tcpHeader+p.tcp)
	write("net/tcp6", tcpHeader+p.tcp6)
	for i, ino := range append([]string{"pipe"}, p.sockets...) {
		target := "socket:[" + ino + "]"
		if ino == "pipe" {
			target = "pipe:[1]"
		}
		if err := os.Symlink(target, filepath.Join(dir, "fd", strconv.Itoa(i))); err != nil {
			f.t.Fatal(err)
		}
	}
}

// Rows of /proc/net/tcp{,6} as a little-endian kernel prints them.
const (
	listen22   = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n"
	est4       = "   1: 010200C0:0016 020200C0:C350 01 00000000:00000000 02:00000000 00000000     0        0 200 1 0 20 4 30 10 -1\n"
	est6       = "   0: B80D0120000000000000000001000000:0016 B80D0120000000000000000002000000:C350 01 00000000:00000000 02:00000000 00000000     0        0 300 1 0 20 4 30 10 -1\n"
	estOther   = "   2: 010200C0:01BB 030200C0:C351 01 00000000:00000000 02:00000000 00000000     0        0 400 1 0 20 4 30 10 -1\n"
	sessionEnv = "SSH_CONNECTION=192.0.2.9 50000 192.0.2.1 2222"
)

func TestFindSession(t *testing.T) {
	client4, client6 := netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::2")
	for _, tc := range []struct {
		name  string
		procs []fakeProcess
		want  session
		how   string // a part of it
		ok    bool
	}{
		{name: "the login shell's environment, under sudo",
			procs: []fakeProcess{
				{pid: 100, ppid: 1, comm: "sshd", sockets: []string{"100"}, tcp: listen22},
				{pid: 200, ppid: 100, comm: "sshd", sockets: []string{"200"}, tcp: est4},
				{pid: 300, ppid: 200, comm: "bash", environ: []string{"HOME=/root", sessionEnv}},
				{pid: 400, ppid: 300, comm: "sudo", environ: []string{"HOME=/root", sessionEnv}},
				{pid: 500, ppid: 400, comm: "sesamed", environ: []string{"HOME=/root"}},
			},
			want: session{Client: netip.MustParseAddr("192.0.2.9"), ServerPort: 2222}, how: "parent process 400 (sudo)", ok: true},
		{name: "an empty SSH_CONNECTION is no session",
			procs: []fakeProcess{
				{pid: 300, ppid: 1, comm: "bash", environ: []string{"SSH_CONNECTION="}},
				{pid: 500, ppid: 300, comm: "sesamed"},
			}},
		{name: "the sshd session's connection, IPv4",
			procs: []fakeProcess{
				{pid: 100, ppid: 1, comm: "sshd", sockets: []string{"100"}, tcp: listen22},
				{pid: 200, ppid: 100, comm: "sshd", sockets: []string{"200", "400"}, tcp: listen22 + estOther + est4},
				{pid: 500, ppid: 200, comm: "sesamed"},
			},
			want: session{Client: client4, ServerPort: 22}, how: "sshd process 200", ok: true},
		{name: "the sshd session's connection, IPv6",
			procs: []fakeProcess{
				{pid: 200, ppid: 1, comm: "sshd-session", sockets: []string{"300"}, tcp6: est6},
				{pid: 500, ppid: 200, comm: "sesamed"},
			},
			want: session{Client: client6, ServerPort: 22}, how: "sshd process 200", ok: true},
		{name: "a connection of another process is not the session",
			procs: []fakeProcess{
				{pid: 200, ppid: 1, comm: "nginx", sockets: []string{"200"}, tcp: est4},
				{pid: 500, ppid: 200, comm: "sesamed"},
			}},
		{name: "only sshd's listener",
			procs: []fakeProcess{
				{pid: 100, ppid: 1, comm: "sshd", sockets: []string{"100"}, tcp: listen22 + est4},
				{pid: 500, ppid: 100, comm: "sesamed"},
			}},
		{name: "the login record of the terminal",
			procs: []fakeProcess{
				{pid: 300, ppid: 1, comm: "tmux: server"},
				{pid: 500, ppid: 300, comm: "sesamed", tty: pts3},
			},
			want: session{Client: netip.MustParseAddr("192.0.2.7"), ServerPort: 22}, how: "login record of pts/3", ok: true},
		{name: "the login record of the terminal, IPv6",
			procs: []fakeProcess{
				{pid: 500, ppid: 1, comm: "sesamed", tty: pts3 + 1},
			},
			want: session{Client: client6, ServerPort: 22}, how: "login record of pts/4", ok: true},
		{name: "a terminal with no remote address",
			procs: []fakeProcess{
				{pid: 500, ppid: 1, comm: "sesamed", tty: pts3 + 2},
			}},
		{name: "the console",
			procs: []fakeProcess{
				{pid: 300, ppid: 1, comm: "login"},
				{pid: 500, ppid: 300, comm: "sesamed"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakeProc{t: t, root: t.TempDir()}
			for _, p := range tc.procs {
				f.add(p)
			}
			utmp := filepath.Join(f.root, "utmp")
			writeUtmp(t, utmp)
			s, how, ok, err := findSession(f.root, utmp, 500, 22)
			if err != nil || ok != tc.ok || s != tc.want || !strings.Contains(how, tc.how) {
				t.Fatalf("findSession = %+v, %q, %v, %v; want %+v, %q, %v", s, how, ok, err, tc.want, tc.how, tc.ok)
			}
		})
	}
}

// TestParseProcAddr reads addresses as this machine's kernel prints them:
// a loopback connection of its own, found in /proc/self/net/tcp.
func TestParseProcAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"020200C0:0016", "192.0.2.2:22"},
		{"B80D0120000000000000000002000000:C350", "[2001:db8::2]:50000"},
	} {
		got, err := parseProcAddr(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007F:zz", "01007F:0016", "XX00007F:0016"} {
		if _, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q): no error", bad)
		}
	}
}

// pts3 is the tty_nr of /dev/pts/3.
const pts3 = 136<<8 | 3

// writeUtmp writes login records: pts/3 from 192.0.2.7, pts/4 from
// 2001:db8::2, pts/5 local, and an old, ended session on pts/3 first.
func writeUtmp(t *testing.T, path string) {
	t.Helper()
	rec := func(typ int16, line string, addr netip.Addr) utmpRecord {
		r := utmpRecord{Type: typ}
		copy(r.Line[:], line)
		if addr.IsValid() {
			b := addr.AsSlice()
			for i := 0; i < len(b); i += 4 {
				r.AddrV6[i/4] = binary.NativeEndian.Uint32(b[i:])
			}
		}
		return r
	}
	var buf bytes.Buffer
	for _, r := range []utmpRecord{
		rec(8, "pts/3", netip.MustParseAddr("192.0.2.99")), // DEAD_PROCESS
		rec(utmpUserProcess, "pts/3", netip.MustParseAddr("192.0.2.7")),
		rec(utmpUserProcess, "pts/4", netip.MustParseAddr("2001:db8::2")),
		rec(utmpUserProcess, "pts/5", netip.Addr{}),
	} {
		if err := binary.Write(&buf, binary.NativeEndian, r); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 4*384 {
		t.Fatalf("utmp records of %d bytes, want 384", buf.Len()/4)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
