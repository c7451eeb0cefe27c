package profiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxKeySize bounds what CheckIdentityFile reads: private keys are a few
// kilobytes, and a wrong pick (a disk image, a device) must not hang.
const maxKeySize = 1 << 20

// ExpandHome expands a leading ~/ of an identity file's path with home
// (on Windows ~\ too, as Windows' OpenSSH writes it).
func ExpandHome(path, home string) string { return expandHome(path, home, homeSeparators) }

// expandHome is ExpandHome with the separators that may follow the ~.
func expandHome(path, home, seps string) string {
	if home == "" || len(path) < 2 || path[0] != '~' || !strings.ContainsRune(seps, rune(path[1])) {
		return path
	}
	return filepath.Join(home, path[2:])
}

// CheckIdentityFile checks that an identity file (~/ expanded with home)
// is a private key SSH can use, as the CLI and the app's form both do
// before saving it: a missing file, a folder, a public key (the .pub
// beside the key, picked by mistake) or any other file is refused. A key
// protected by a passphrase is a private key; the passphrase is asked for
// when connecting. The file's content never goes into the message.
func CheckIdentityFile(path, home string) error {
	p := ExpandHome(strings.TrimSpace(path), home)
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return fmt.Errorf("cannot read it: %v", errors.Unwrap(err))
	case fi.IsDir():
		return errors.New("is a folder: choose the private key file in it")
	case !fi.Mode().IsRegular() || fi.Size() > maxKeySize:
		return errors.New("not a private key: choose a key file such as ~/.ssh/id_ed25519")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("cannot read it: %v", errors.Unwrap(err))
	}
	_, err = ssh.ParseRawPrivateKey(data)
	var protected *ssh.PassphraseMissingError
	if err == nil || errors.As(err, &protected) {
		return nil
	}
	if _, _, _, _, perr := ssh.ParseAuthorizedKey(data); perr == nil {
		return errors.New("not a private key: this is a public key; choose the file without .pub")
	}
	return errors.New("not a private key: choose a key file such as ~/.ssh/id_ed25519")
}
