//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// keepOwner gives the new file the owner and group of the one it
// replaces. Only root may give a file away; anyone else keeps their own.
func keepOwner(f *os.File, old os.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return
	}
	_ = f.Chown(int(st.Uid), int(st.Gid))
}
