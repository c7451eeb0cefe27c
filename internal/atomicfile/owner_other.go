//go:build !unix

package atomicfile

import "os"

// keepOwner: files on Windows inherit their owner from the folder's ACL.
func keepOwner(*os.File, os.FileInfo) {}
