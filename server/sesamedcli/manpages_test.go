package sesamedcli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPagesInstallAndUninstall(t *testing.T) {
	root := t.TempDir()
	var out bytes.Buffer
	cmd := NewRootCmd(Deps{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: os.Getenv})
	if err := installManPages(cmd, root, true); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 || !strings.Contains(out.String(), "sesamed.8") {
		t.Fatalf("a dry run wrote %v, or did not say so: %q", ents, out.String())
	}
	// Another file in the directory is not sesamed's and stays.
	dir := filepath.Join(root, ManDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "knockd.8"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := installManPages(cmd, root, false); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "sesamed.8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "SESAMED" "8"`, "knockd.conf", `\fB--config\fP`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("sesamed.8 lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sesamed-check.8")); err != nil {
		t.Errorf("no sesamed-check.8: %v", err)
	}
	if err := uninstallManPages(cmd, root, false); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "knockd.8" {
		t.Fatalf("after uninstall the directory holds %v, want only knockd.8", ents)
	}
}
