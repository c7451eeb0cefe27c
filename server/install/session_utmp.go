//go:build linux

package install

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// utmpRecord is glibc's struct utmp on Linux (384 bytes, the same on
// every 64-bit architecture and on i386).
type utmpRecord struct {
	Type    int16
	_       int16
	Pid     int32
	Line    [32]byte
	ID      [4]byte
	User    [32]byte
	Host    [256]byte
	Exit    [2]int16
	Session int32
	Tv      [2]int32
	AddrV6  [4]uint32
	_       [20]byte
}

const utmpUserProcess = 7

// ptsMajors are the device majors of /dev/pts terminals.
const ptsMajorFirst, ptsMajorLast = 136, 143

// utmpSession is the last fallback: the login record (utmp) of the
// terminal pid runs on, which sshd writes with the client's address. The
// port it came in on is not recorded there, so the address counts as
// having come in on port, the guarded one.
func utmpSession(proc, utmp string, pid int, port uint16) (session, string, bool) {
	line := ttyName(proc, pid)
	if line == "" {
		return session{}, "", false
	}
	f, err := os.Open(utmp)
	if err != nil {
		return session{}, "", false
	}
	defer f.Close()
	var found *utmpRecord
	for {
		var r utmpRecord
		if err := binary.Read(f, binary.NativeEndian, &r); err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				return session{}, "", false
			}
			break
		}
		if r.Type == utmpUserProcess && cstring(r.Line[:]) == line {
			found = &r
		}
	}
	if found == nil {
		return session{}, "", false
	}
	a := found.AddrV6
	var addr netip.Addr
	if a[1] == 0 && a[2] == 0 && a[3] == 0 {
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], a[0])
		addr = netip.AddrFrom4(b)
	} else {
		var b [16]byte
		for i, w := range a {
			binary.NativeEndian.PutUint32(b[4*i:], w)
		}
		addr = netip.AddrFrom16(b).Unmap()
	}
	if !addr.IsValid() || addr.IsUnspecified() {
		// A local login, or a host name only.
		return session{}, "", false
	}
	return session{Client: addr, ServerPort: port}, fmt.Sprintf("the login record of %s in %s", line, utmp), true
}

// ttyName is the pts terminal (as utmp names it, "pts/3") of pid, from
// the tty_nr field of /proc/PID/stat; "" when it has none.
func ttyName(proc string, pid int) string {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 5 {
		return ""
	}
	nr, err := strconv.ParseUint(f[4], 10, 32)
	if err != nil || nr == 0 {
		return ""
	}
	major := (nr >> 8) & 0xfff
	minor := (nr & 0xff) | ((nr >> 12) & 0xfff00)
	if major < ptsMajorFirst || major > ptsMajorLast {
		return ""
	}
	return fmt.Sprintf("pts/%d", (major-ptsMajorFirst)<<20|minor)
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
