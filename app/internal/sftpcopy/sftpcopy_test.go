package sftpcopy

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"sesame/internal/testnet"
)

// server is the real sshd in a test namespace, an SFTP client on an SSH
// connection to it from the client namespace, and root's home on the
// server as this machine sees it.
func server(t *testing.T) (*sftp.Client, *ssh.Client, string) {
	t.Helper()
	sc, _, sshd, _ := benchServer(t)
	return sc, nil, filepath.Join(sshd.Dir, "home")
}

// benchServer is server, with the namespaces, the sshd and the client's
// home (its key, and known_hosts for the server's address).
func benchServer(t testing.TB) (*sftp.Client, *testnet.Pair, *testnet.SSHD, string) {
	t.Helper()
	testnet.RequireRoot(t)
	p := testnet.NewPair(t)
	sshd := p.Server.SSHD(t)
	home := sshd.ClientHome(t, testnet.ServerAddr4.String())
	key, err := os.ReadFile(filepath.Join(home, ".ssh", "id_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(sshd.HostKey))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := p.Client.Dial(netip.AddrPortFrom(testnet.ServerAddr4, 22), testnet.Await)
	if err != nil {
		t.Fatal(err)
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, "192.0.2.1:22", &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.FixedHostKey(hostKey),
	})
	if err != nil {
		t.Fatal(err)
	}
	client := ssh.NewClient(cc, chans, reqs)
	t.Cleanup(func() { client.Close() })
	sc, err := Open(client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc, p, sshd, home
}

// tree writes files (name → content) under dir.
func tree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sameFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes differ from the %d sent", name, len(got), len(want))
		}
	}
}

// A folder goes up and comes back down whole, over the session's SSH
// connection, with progress that ends at the total, through the real
// sshd's sftp subsystem.
func TestUploadDownloadFolder(t *testing.T) {
	sc, _, remoteHome := server(t)
	big := make([]byte, 3<<20+17) // several SFTP packets, and a ragged end
	rand.Read(big)
	files := map[string][]byte{
		"big.bin":            big,
		"notes/a.txt":        []byte("alpha\n"),
		"notes/deep/b.txt":   []byte("beta\n"),
		"notes/deep/empty":   nil,
		"with space/c d.txt": []byte("gamma\n"),
	}
	local := filepath.Join(t.TempDir(), "proj")
	tree(t, local, files)
	if err := os.Mkdir(filepath.Join(local, "emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(local, "notes", "a.txt"), 0o750); err != nil {
		t.Fatal(err)
	}

	var last Progress
	calls := 0
	up := Copier{C: sc, Progress: func(p Progress) { last = p; calls++ }}
	if err := up.Upload(context.Background(), local, "/root"); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, filepath.Join(remoteHome, "proj"), files)
	if fi, err := os.Stat(filepath.Join(remoteHome, "proj", "emptydir")); err != nil || !fi.IsDir() {
		t.Errorf("the empty folder did not go up: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(remoteHome, "proj", "notes", "a.txt")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("a.txt's permissions did not go up: %v %v", fi.Mode(), err)
	}
	var total int64
	for _, d := range files {
		total += int64(len(d))
	}
	if last.Done != total || last.Total != total || last.Files != len(files) || last.FilesTotal != len(files) || calls < 3 {
		t.Errorf("upload progress ended at %+v after %d reports, want %d of %d bytes and %d files", last, calls, total, total, len(files))
	}

	if ok, err := RemoteExists(sc, "/root/proj"); !ok || err != nil {
		t.Errorf("RemoteExists(/root/proj) = %v, %v after the upload", ok, err)
	}
	if ok, err := RemoteExists(sc, "/root/nothing"); ok || err != nil {
		t.Errorf("RemoteExists(/root/nothing) = %v, %v", ok, err)
	}

	down := t.TempDir()
	last = Progress{}
	dl := Copier{C: sc, Progress: func(p Progress) { last = p }}
	if err := dl.Download(context.Background(), "/root/proj", down); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, filepath.Join(down, "proj"), files)
	if last.Done != total || last.Files != len(files) {
		t.Errorf("download progress ended at %+v, want %d bytes and %d files", last, total, len(files))
	}
	// A single file too, replacing one that is there.
	if err := os.WriteFile(filepath.Join(down, "big.bin"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := dl.Download(context.Background(), "/root/proj/big.bin", down); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, down, map[string][]byte{"big.bin": big})

	entries, err := List(sc, "/root/proj")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	want := []string{"emptydir", "notes", "with space", "big.bin"}
	if len(names) != len(want) {
		t.Fatalf("List = %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("List = %q, want folders first then files, each by name: %q", names, want)
		}
	}
}

// A cancelled copy stops with the context's error.
func TestCancel(t *testing.T) {
	sc, _, _ := server(t)
	local := filepath.Join(t.TempDir(), "f")
	tree(t, filepath.Dir(local), map[string][]byte{"f": make([]byte, 1<<20)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Copier{C: sc}.Upload(ctx, local, "/root")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled upload returned %v, want context.Canceled", err)
	}
}

// An upload does not follow a symbolic link inside the folder picked, to a
// folder or a file outside it: what the link points at stays here.
func TestUploadLeavesLinksOut(t *testing.T) {
	outside := t.TempDir()
	tree(t, outside, map[string][]byte{"secret": []byte("s")})
	pick := filepath.Join(t.TempDir(), "pick")
	tree(t, pick, map[string][]byte{"a": []byte("a")})
	for link, to := range map[string]string{"dirlink": outside, "filelink": filepath.Join(outside, "secret")} {
		if err := os.Symlink(to, filepath.Join(pick, link)); err != nil {
			t.Fatal(err)
		}
	}
	items, err := walkLocal(pick)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.rel)
	}
	if len(got) != 2 || got[0] != "" || got[1] != "a" {
		t.Errorf("an upload of pick would send %q, want only the folder and a", got)
	}
}
