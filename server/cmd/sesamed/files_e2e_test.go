//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"sesame/internal/testnet"
)

// TestPidAndLogFilesNeverFollowLinks: symbolic links planted where the
// pid file and the log file go are not written through (the pid file
// replaces its link; the log lines go elsewhere, with a warning saying
// why), and a pid file left by an earlier run keeps its owner.
func TestPidAndLogFilesNeverFollowLinks(t *testing.T) {
	p := testnet.NewPair(t)
	conf := "[openSSH]\n\tsequence = 7000,8000,9000\n\tcommand = true\n"
	t.Run("links", func(t *testing.T) {
		dir := t.TempDir()
		victim := filepath.Join(dir, "victim")
		if err := os.WriteFile(victim, []byte("keep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pid, log := filepath.Join(dir, "sesamed.pid"), filepath.Join(dir, "sesamed.log")
		for _, link := range []string{pid, log} {
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
		}
		s := p.Server.Sesamed(t, testnet.ServerIf, conf, "-p", pid, "-g", log)
		s.WaitOutput(t, "sesamed.log is a symbolic link, which sesamed does not follow")
		if got := readFile(t, victim); got != "keep\n" {
			t.Fatalf("a link's target was written: %q", got)
		}
		fi, err := os.Lstat(pid)
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("the pid file is %v, %v; want a regular file in the link's place", fi, err)
		}
		if got := strings.TrimSpace(readFile(t, pid)); got != strconv.Itoa(s.Pid()) {
			t.Fatalf("pid file %q, want %d", got, s.Pid())
		}
	})
	t.Run("owner kept", func(t *testing.T) {
		testnet.RequireRoot(t)
		pid := filepath.Join(t.TempDir(), "sesamed.pid")
		if err := os.WriteFile(pid, []byte("1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(pid, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		s := p.Server.Sesamed(t, testnet.ServerIf, conf, "-p", pid)
		if got := strings.TrimSpace(readFile(t, pid)); got != strconv.Itoa(s.Pid()) {
			t.Fatalf("pid file %q, want %d", got, s.Pid())
		}
		var st syscall.Stat_t
		if err := syscall.Stat(pid, &st); err != nil {
			t.Fatal(err)
		}
		if st.Uid != 65534 || st.Gid != 65534 {
			t.Fatalf("the pid file is now %d:%d, want its owner 65534:65534 kept", st.Uid, st.Gid)
		}
	})
}
