//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// sesameIn runs the sesame binary inside a namespace with `ip netns exec`,
// which keeps the test's environment: the config directory and the bus
// address of the test keyring, a socket path that the namespace can reach.
func sesameIn(t *testing.T, ns *testnet.NS, config string, args ...string) string {
	t.Helper()
	bin := testnet.Binary(t, "sesame", "headless")
	argv := append([]string{"SESAME_CONFIG_DIR=" + config, bin}, args...)
	return ns.Run(t, "env", argv...)
}

// TestKnockProfileOpensRealKnockd imports the guides' open/close pair into
// the real keyring, then opens Debian's real knockd with
// `sesame knock NAME` and closes it with `sesame knock --close NAME`, run in
// the client namespace.
func TestKnockProfileOpensRealKnockd(t *testing.T) {
	keyring.Require(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "iptables")
	if !strings.HasPrefix(keyring.BusAddress, "unix:path=") {
		t.Fatalf("the test bus %s is not a socket path: the namespace could not reach it", keyring.BusAddress)
	}
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	p.Server.SSHD(t)
	p.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)

	config := filepath.Join(t.TempDir(), "config")
	conf := filepath.Join(t.TempDir(), "knockd.conf")
	if err := os.WriteFile(conf, []byte(testnet.GuideConf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := sesameIn(t, p.Client, config, "profile", "import", conf, "--host", testnet.ServerAddr4.String())
	if !strings.Contains(out, "created SSH (from doors openSSH and closeSSH)") {
		t.Fatalf("import said:\n%s", out)
	}
	// The sequences are in the keyring, not in the settings file.
	settings, err := os.ReadFile(filepath.Join(config, "sesame.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(settings), "7000") || !strings.Contains(string(settings), "SSH") {
		t.Fatalf("settings file:\n%s", settings)
	}
	if accounts := keyring.Accounts(t, "sesame"); len(accounts) == 0 {
		t.Fatal("no sesame item in the Secret Service")
	}

	if p.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door is open before any knock")
	}
	sesameIn(t, p.Client, config, "knock", "SSH")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	if b := p.Client.SSHBanner(t, testnet.ServerAddr4); !strings.HasPrefix(b, "SSH-2.0-") {
		t.Fatalf("port 22 answered %q, want an SSH banner", b)
	}
	sesameIn(t, p.Client, config, "knock", "--close", "SSH")
	p.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)

	if out := sesameIn(t, p.Client, config, "profile", "list"); !strings.Contains(out, "SSH") || strings.Contains(out, "never") {
		t.Fatalf("list after knocking does not show a last use:\n%s", out)
	}
}

// TestKnockOneTimeOpensRealKnockd imports a door's One_Time_Sequences from
// the file the real knockd reads, and knocks: each knock uses the next
// sequence, in step with knockd, which marks each used; a used sequence,
// knocked again with knock(1), opens nothing.
func TestKnockOneTimeOpensRealKnockd(t *testing.T) {
	keyring.Require(t)
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "knock", "iptables")
	dir := t.TempDir()
	seqs := filepath.Join(dir, "ssh_sequences")
	if err := os.WriteFile(seqs, []byte("6001,6002,6003\n6004:udp,6005,6006:udp\n6007,6008,6009\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := `[options]
	logfile = /dev/null

[otSSH]
	one_time_sequences = ` + seqs + `
	seq_timeout   = 10
	start_command = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	cmd_timeout   = 2
	stop_command  = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
`
	confFile := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	p.Server.SSHD(t)
	knockd := p.Server.Knockd(t, testnet.ServerIf, conf)

	config := filepath.Join(dir, "config")
	if out := sesameIn(t, p.Client, config, "profile", "import", confFile, "--host", testnet.ServerAddr4.String()); !strings.Contains(out, "created otSSH") {
		t.Fatalf("import said:\n%s", out)
	}
	client := testnet.ClientAddr4.String()
	for i := 1; i <= 2; i++ {
		from := knockd.Len()
		sesameIn(t, p.Client, config, "knock", "otSSH")
		knockd.WaitOutputAfter(t, from, "OPEN SESAME")
		p.Server.WaitAccept(t, client, true)
		p.Client.SSHBanner(t, testnet.ServerAddr4)
		// The door shuts by itself after cmd_timeout.
		p.Server.WaitAccept(t, client, false)
	}
	// A used sequence, knocked again with the real knock(1), opens
	// nothing: the next knock, which opens, is the barrier.
	p.Client.Run(t, "knock", testnet.ServerAddr4.String(), "6001", "6002", "6003")
	from := knockd.Len()
	sesameIn(t, p.Client, config, "knock", "otSSH")
	knockd.WaitOutputAfter(t, from, "OPEN SESAME")
	if n := strings.Count(knockd.Output(), "OPEN SESAME"); n != 3 {
		t.Fatalf("knockd opened %d times, want 3: a used sequence opened it:\n%s", n, knockd.Output())
	}
	// knockd marked the sequences used; the profile has none left.
	testnet.WaitFor(t, "knockd to mark the third sequence", func() bool {
		data, _ := os.ReadFile(seqs)
		lines := strings.Split(string(data), "\n")
		return strings.HasPrefix(lines[0], "#") && strings.HasPrefix(lines[1], "#") && strings.HasPrefix(lines[2], "#")
	})
	if out := sesameIn(t, p.Client, config, "profile", "show", "otSSH"); !strings.Contains(out, "0 left, 3 used") {
		t.Fatalf("show after three knocks:\n%s", out)
	}
}
