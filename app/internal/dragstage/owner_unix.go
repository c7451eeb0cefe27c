//go:build unix

package dragstage

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe refuses a folder that another user owns.
func ownedByMe(path string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // no owner to look at
	}
	if me := os.Getuid(); int(st.Uid) != me {
		return fmt.Errorf("%s belongs to the user with id %d, not to you (%d): remove it, and Sesame makes a private folder there at the next drag", path, st.Uid, me)
	}
	return nil
}
