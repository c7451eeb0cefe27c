//go:build linux

package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestOneTimeConnectThatDoesNotOpenKeepsTheSequence: `sesame connect` with
// a one-time profile whose knock nobody heard (sesamed is not running)
// fails with the door shut, and the sequence is put back; with sesamed up,
// the next connect sends that same sequence and gets in.
func TestOneTimeConnectThatDoesNotOpenKeepsTheSequence(t *testing.T) {
	lab := newOneTimeLab(t, " 6101,6102,6103\n 6104,6105,6106\n", 5)
	p, conf, config := lab.p, lab.conf, lab.config
	home := lab.sshd.ClientHome(t, testnet.ServerAddr4.String())
	sesameIn(t, p.Client, config, "profile", "edit", "otSSH", "--user", "root", "--identity", filepath.Join(home, ".ssh", "id_ed25519"))
	bin := testnet.Binary(t, "sesame", "headless")
	connect := func() (string, error) {
		return p.Client.Try("env", "SESAME_CONFIG_DIR="+config, "HOME="+home, bin, "connect", "otSSH", "--", "true")
	}

	out, err := connect()
	if err == nil || !strings.Contains(out, "otSSH: the door did not open, so the one-time sequence is not counted as used") {
		t.Fatalf("connect with nobody listening: %v\n%s", err, out)
	}
	if show := sesameIn(t, p.Client, config, "profile", "show", "otSSH"); !strings.Contains(show, "2 left, 0 used") {
		t.Fatalf("the sequence was not put back:\n%s", show)
	}

	s := p.Server.Sesamed(t, testnet.ServerIf, conf)
	if out, err := connect(); err != nil {
		t.Fatalf("connect with the sequence put back: %v\n%s", err, out)
	}
	s.WaitOutput(t, "192.0.2.2: otSSH: OPEN SESAME")
	if strings.Contains(s.Output(), "skipped") {
		t.Fatalf("sesamed skipped a sequence: the client sent another than its next:\n%s", s.Output())
	}
}
