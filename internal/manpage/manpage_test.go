package manpage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/cli"
	"sesame/internal/manpage"
)

func TestPagesOfSesame(t *testing.T) {
	root := cli.NewRootCmd(cli.Deps{IO: cli.IOStreams{In: strings.NewReader(""), Out: os.Stdout, ErrOut: os.Stderr}})
	dir := t.TempDir()
	written, err := manpage.Write(root, "1", "9.9.9", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sesame.1", "sesame-connect.1", "sesame-knock.1", "sesame-profile-add.1", "sesame-completion-bash.1", "sesame-version.1"} {
		found := false
		for _, w := range written {
			found = found || w == filepath.Join(dir, "man1", name)
		}
		if !found {
			t.Errorf("no %s among %v", name, written)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "man1", "sesame-connect.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "SESAME-CONNECT" "1"`, "Sesame 9.9.9", "StrictHostKeyChecking", "sesame(1)"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("sesame-connect.1 lacks %q:\n%s", want, page)
		}
	}
}
