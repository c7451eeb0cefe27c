package profiles

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestCheckIdentityFile(t *testing.T) {
	home := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(home, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	locked, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	sshPub, _ := ssh.NewPublicKey(pub)
	write("id", pem.EncodeToMemory(block))
	write("locked", pem.EncodeToMemory(locked))
	write("id.pub", ssh.MarshalAuthorizedKey(sshPub))
	write("notes.txt", []byte("hello"))
	for _, tt := range []struct{ path, want string }{
		{"~/id", ""},
		{filepath.Join(home, "locked"), ""},
		{"~/id.pub", "not a private key: this is a public key"},
		{"~/notes.txt", "not a private key: choose a key file"},
		{"~/missing", "no such file"},
		{home, "is a folder"},
	} {
		err := CheckIdentityFile(tt.path, home)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want accepted", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want %q", tt.path, err, tt.want)
		}
	}
}

func TestExpandHome(t *testing.T) {
	for _, tc := range []struct {
		path, home, seps, want string
	}{
		{"~/.ssh/id_ed25519", "/home/alice", "/", filepath.Join("/home/alice", ".ssh/id_ed25519")},
		{`~\.ssh\id_ed25519`, "/home/alice", "/", `~\.ssh\id_ed25519`}, // a file name outside Windows
		{`~\.ssh\id_ed25519`, `C:\Users\alice`, `/\`, filepath.Join(`C:\Users\alice`, `.ssh\id_ed25519`)},
		{"~/.ssh/id_ed25519", `C:\Users\alice`, `/\`, filepath.Join(`C:\Users\alice`, ".ssh/id_ed25519")},
		{`C:\Users\alice\.ssh\id_ed25519`, `C:\Users\alice`, `/\`, `C:\Users\alice\.ssh\id_ed25519`},
		{"~alice/.ssh/id", "/home/me", "/", "~alice/.ssh/id"},
		{"~/id", "", "/", "~/id"},
	} {
		if got := expandHome(tc.path, tc.home, tc.seps); got != tc.want {
			t.Errorf("expandHome(%q, %q, %q) = %q, want %q", tc.path, tc.home, tc.seps, got, tc.want)
		}
	}
}
