//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestOneTimeKnockConfirmsTheDoorOpened: after a one-time knock, `sesame
// knock` checks the profile's SSH port. A door that opened is said so and
// the sequence stays spent; a knock nobody heard (sesamed stopped) is said
// so and, with no terminal to confirm at, the sequence is put back, so
// the next knock sends it again and opens the door.
func TestOneTimeKnockConfirmsTheDoorOpened(t *testing.T) {
	lab := newOneTimeLab(t, " 6001,6002,6003\n 6004:udp,6005,6006:udp\n 6007,6008,6009\n", 2)
	p, conf, config := lab.p, lab.conf, lab.config
	client := testnet.ClientAddr4.String()
	show := func(want string) {
		t.Helper()
		if out := sesameIn(t, p.Client, config, "profile", "show", "otSSH"); !strings.Contains(out, want) {
			t.Fatalf("profile show, want %q:\n%s", want, out)
		}
	}

	s := p.Server.Sesamed(t, testnet.ServerIf, conf)
	out := sesameIn(t, p.Client, config, "knock", "otSSH")
	if !strings.Contains(out, "sesame knock: otSSH: the door opened: port 22 answers") {
		t.Fatalf("knock said:\n%s", out)
	}
	show("2 left, 1 used")
	p.Server.WaitAccept(t, client, false) // shut again after cmd_timeout
	s.Stop()

	out = sesameIn(t, p.Client, config, "knock", "otSSH")
	for _, want := range []string{
		"sesame knock: otSSH: the door did not open: port 22 did not answer within 3s",
		"sesame knock: otSSH: the one-time sequence is not counted as used: the next knock sends it again",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("knock with nobody listening said, without %q:\n%s", want, out)
		}
	}
	show("2 left, 1 used")

	s = p.Server.Sesamed(t, testnet.ServerIf, conf)
	out = sesameIn(t, p.Client, config, "knock", "otSSH")
	if !strings.Contains(out, "the door opened") {
		t.Fatalf("the sequence put back did not open the door:\n%s", out)
	}
	s.WaitOutput(t, "192.0.2.2: otSSH: OPEN SESAME")
	if strings.Contains(s.Output(), "skipped") {
		t.Fatalf("sesamed skipped a sequence: the client sent another than its next:\n%s", s.Output())
	}
	show("1 left, 2 used")
}

// oneTimeLab is a guarded sshd and a knockd.conf with a one-time door,
// otSSH, whose commands open port 22 for cmdTimeout seconds; the door is
// imported into a profile of the same name. sesamed is left to the test.
type oneTimeLab struct {
	p      *testnet.Pair
	sshd   *testnet.SSHD
	conf   string // the knockd.conf's text
	config string // SESAME_CONFIG_DIR
}

func newOneTimeLab(t *testing.T, sequences string, cmdTimeout int) *oneTimeLab {
	t.Helper()
	keyring.Require(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "iptables")
	dir := t.TempDir()
	seqs := filepath.Join(dir, "ssh_sequences")
	if err := os.WriteFile(seqs, []byte(sequences), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := "[options]\n\tlogfile = /dev/null\n[otSSH]\n\tone_time_sequences = " + seqs + "\n\tseq_timeout = 10\n" +
		"\tstart_command = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT\n\tcmd_timeout = " + strconv.Itoa(cmdTimeout) + "\n" +
		"\tstop_command = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT\n"
	confFile := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	lab := &oneTimeLab{p: testnet.NewPair(t), conf: conf, config: filepath.Join(dir, "config")}
	lab.p.Server.GuardSSH(t)
	lab.sshd = lab.p.Server.SSHD(t)
	if out := sesameIn(t, lab.p.Client, lab.config, "profile", "import", confFile, "--host", testnet.ServerAddr4.String()); !strings.Contains(out, "created otSSH") {
		t.Fatalf("import said:\n%s", out)
	}
	return lab
}
