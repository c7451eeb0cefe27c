//go:build linux

package install

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxAncestors bounds the walk up the process tree (a loop in a corrupt
// or racing /proc must not hang install).
const maxAncestors = 64

// findSession finds the SSH session that pid runs in when SSH_CONNECTION
// did not reach it (sudo's env_reset drops it): walking up the process
// tree from pid, the first ancestor whose environment still has
// SSH_CONNECTION (the login shell sshd started), else the first sshd
// process holding an established TCP connection, whose peer is the client;
// else the login record (utmp) of pid's terminal, counted as a session on
// port. how says where the session was found. proc is the proc file
// system ("/proc").
func findSession(proc, utmp string, pid int, port uint16) (s session, how string, ok bool, err error) {
	chain := ancestors(proc, pid)
	for _, p := range chain {
		if v, found := environValue(proc, p, "SSH_CONNECTION"); found && strings.TrimSpace(v) != "" {
			s, _, err := parseSSHConnection(v)
			if err != nil {
				return session{}, "", false, fmt.Errorf("parent process %d (%s): %w", p, comm(proc, p), err)
			}
			return s, fmt.Sprintf("SSH_CONNECTION of parent process %d (%s)", p, comm(proc, p)), true, nil
		}
	}
	for _, p := range chain {
		if !strings.HasPrefix(comm(proc, p), "sshd") {
			continue
		}
		if s, ok := sshdPeer(proc, p); ok {
			return s, fmt.Sprintf("the connection of sshd process %d", p), true, nil
		}
	}
	if s, how, ok := utmpSession(proc, utmp, pid, port); ok {
		return s, how, true, nil
	}
	return session{}, "", false, nil
}

// ancestors lists pid's parents, nearest first, excluding pid and stopping
// before init.
func ancestors(proc string, pid int) []int {
	var out []int
	for range maxAncestors {
		ppid, ok := parentPid(proc, pid)
		if !ok || ppid <= 1 {
			break
		}
		out = append(out, ppid)
		pid = ppid
	}
	return out
}

// parentPid reads the fourth field of /proc/PID/stat; the second, the
// command name in parentheses, may itself hold spaces and parentheses, so
// the fields are counted from the last ')'.
func parentPid(proc string, pid int) (int, bool) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

func comm(proc string, pid int) string {
	b, _ := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "comm"))
	return strings.TrimSpace(string(b))
}

// environValue reads one variable of a process's initial environment.
func environValue(proc string, pid int, name string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "environ"))
	if err != nil {
		return "", false
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte(name+"=")); ok {
			return string(v), true
		}
	}
	return "", false
}

// sshdPeer is the client end of the established TCP connection an sshd
// process holds: its sockets' inodes, looked up in the TCP tables of its
// network namespace.
func sshdPeer(proc string, pid int) (session, bool) {
	dir := filepath.Join(proc, strconv.Itoa(pid))
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return session{}, false
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(dir, "net", table))
		if err != nil {
			continue
		}
		s, ok := established(f, inodes)
		f.Close()
		if ok {
			return s, true
		}
	}
	return session{}, false
}

// TCP states in the st column.
const (
	tcpEstablished = "01"
	tcpListen      = "0A"
)

// established finds, in a /proc/net/tcp{,6} table, the established
// connection whose socket inode is in inodes. An sshd session may hold
// others (port forwarding); the one to a port something listens on (sshd's
// own) is the session's.
func established(table io.Reader, inodes map[string]bool) (session, bool) {
	var cands []session
	listening := map[uint16]bool{}
	sc := bufio.NewScanner(table)
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		local, err1 := parseProcAddr(f[1])
		remote, err2 := parseProcAddr(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		switch {
		case f[3] == tcpListen:
			listening[local.Port()] = true
		case f[3] == tcpEstablished && inodes[f[9]]:
			cands = append(cands, session{Client: remote.Addr().Unmap().WithZone(""), ServerPort: local.Port()})
		}
	}
	for _, c := range cands {
		if listening[c.ServerPort] {
			return c, true
		}
	}
	if len(cands) > 0 {
		return cands[0], true
	}
	return session{}, false
}

// parseProcAddr reads "0100A8C0:0016": the address as the kernel holds it
// in memory, printed one 32-bit word at a time in the host's byte order,
// then the port in hex.
func parseProcAddr(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || (len(a) != 8 && len(a) != 32) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port in %q: %w", s, err)
	}
	raw, err := hex.DecodeString(a)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", s, err)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
