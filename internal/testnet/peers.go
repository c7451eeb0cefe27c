//go:build linux

package testnet

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GuardSSH puts the guides' baseline in the namespace's firewall, for IPv4
// and IPv6: established and related traffic allowed, TCP port 22 dropped.
// A knock server then inserts an ACCEPT rule for the knocking address.
func (ns *NS) GuardSSH(t testing.TB) {
	t.Helper()
	RequireTools(t, "iptables", "ip6tables")
	for _, ipt := range []string{"iptables", "ip6tables"} {
		ns.Run(t, ipt, "-w", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
		ns.Run(t, ipt, "-w", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
	}
}

// Rules lists the namespace's iptables (or, with ipv6, ip6tables) rules in
// `-S` form.
func (ns *NS) Rules(t testing.TB, ipv6 bool) string {
	t.Helper()
	ipt := "iptables"
	if ipv6 {
		ipt = "ip6tables"
	}
	return ns.Run(t, ipt, "-w", "-S")
}

// Ruleset lists the namespace's whole nftables ruleset (iptables-nft rules
// included).
func (ns *NS) Ruleset(t testing.TB) string {
	t.Helper()
	return ns.Run(t, "nft", "list", "ruleset")
}

// HasAcceptFrom reports whether an iptables rule accepts TCP port 22 from src.
func (ns *NS) HasAcceptFrom(t testing.TB, src string) bool {
	t.Helper()
	ipv6 := strings.Contains(src, ":")
	suffix := "/32"
	if ipv6 {
		suffix = "/128"
	}
	for _, line := range strings.Split(ns.Rules(t, ipv6), "\n") {
		if strings.Contains(line, "-s "+src+suffix) && strings.Contains(line, "--dport 22") && strings.HasSuffix(strings.TrimSpace(line), "-j ACCEPT") {
			return true
		}
	}
	return false
}

// WaitAccept waits until a rule accepting port 22 from src is present
// (want true) or gone (want false).
func (ns *NS) WaitAccept(t testing.TB, src string, want bool) {
	t.Helper()
	state := "appear"
	if !want {
		state = "disappear"
	}
	WaitFor(t, fmt.Sprintf("the ACCEPT rule for %s to %s in %s", src, state, ns.Name), func() bool {
		return ns.HasAcceptFrom(t, src) == want
	})
}

// Knockd runs Debian's real knockd on the server side of the pair with the
// given knockd.conf text, and waits until it is listening.
func (ns *NS) Knockd(t testing.TB, iface, conf string) *Proc {
	t.Helper()
	RequireTools(t, "knockd")
	dir := t.TempDir()
	path := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -v prints the stage lines; -D adds the packet trace that shows what
	// knockd saw when a test fails. The pid file is per test so that
	// knockds of parallel tests do not collide.
	p := ns.Start(t, "knockd", "-i", iface, "-c", path, "-v", "-D", "-p", filepath.Join(dir, "knockd.pid"))
	p.WaitOutput(t, "listening on "+iface)
	return p
}

// SSHD is a real OpenSSH server running in a namespace.
type SSHD struct {
	Proc *Proc
	Dir  string
	// HostKey is the server's public host key, in authorized_keys form.
	HostKey string
	// AuthorizedKeys is the file sshd reads the client keys from; tests
	// append to it.
	AuthorizedKeys string
}

// SSHD starts the real sshd on port 22 of every address in the namespace,
// with a fresh ed25519 host key, public-key logins for root from the keys
// in AuthorizedKeys and an empty home for root (Dir/home), and waits until
// it listens.
func (ns *NS) SSHD(t testing.TB, extraConfig ...string) *SSHD {
	t.Helper()
	RequireTools(t, "ssh-keygen", "unshare")
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("skipped: sshd is not installed (apt-get install openssh-server)")
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := []string{
		"Port 22",
		"ListenAddress 0.0.0.0",
		"ListenAddress ::",
		"HostKey " + key,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + ak,
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"StrictModes no",
		"LogLevel VERBOSE",
		"Subsystem sftp internal-sftp", // as a packaged sshd offers it: the app's Files pane uses it
	}
	cfg = append(extraConfig, cfg...) // sshd keeps the first value it reads
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(strings.Join(cfg, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The remote user is root, whose real home (with its shell start-up
	// files) belongs to the machine, not the test: sshd runs in a private
	// mount namespace where /root is an empty directory of the test's.
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	p := ns.Start(t, "unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
		`mount --bind "$1" /root && exec "$2" -D -e -f "$3"`, "sh", home, sshd, cfgPath)
	p.WaitOutput(t, "Server listening on")
	return &SSHD{Proc: p, Dir: dir, HostKey: strings.TrimSpace(string(pub)), AuthorizedKeys: ak}
}

// Sesamed is sesamed running in a namespace.
type Sesamed struct {
	*Proc
	// Dir holds its config (Config), pid file and anything a test adds.
	Dir    string
	Config string
}

// Sesamed runs sesamed (built from this module) in the namespace on iface
// with the given knockd.conf text, -v and a pid file of its own, plus
// extra flags, and waits until it is listening. It is stopped when the
// test ends.
func (ns *NS) Sesamed(t testing.TB, iface, conf string, extra ...string) *Sesamed {
	t.Helper()
	bin := Binary(t, "sesame/server/cmd/sesamed")
	dir := t.TempDir()
	path := filepath.Join(dir, "knockd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-i", iface, "-c", path, "-v", "-p", filepath.Join(dir, "sesamed.pid")}, extra...)
	p := ns.Start(t, bin, args...)
	for _, i := range strings.Split(iface, ",") {
		p.WaitOutput(t, "listening on "+i)
	}
	return &Sesamed{Proc: p, Dir: dir, Config: path}
}

// SSHBanner connects to port 22 of addr from inside the namespace and
// returns the server's identification line, proving the door is open end
// to end.
func (ns *NS) SSHBanner(t testing.TB, addr netip.Addr) string {
	t.Helper()
	c, err := ns.Dial(netip.AddrPortFrom(addr, 22), 5*time.Second)
	if err != nil {
		t.Fatalf("connect to sshd at %s after the knock: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(Await))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read sshd banner from %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

// ClientHome returns a fresh HOME for an SSH client of this sshd: a new
// ed25519 key in ~/.ssh/id_ed25519 that sshd accepts for root, and, when
// host is not empty, a ~/.ssh/known_hosts that trusts the server's host
// key under that name.
func (s *SSHD) ClientHome(t testing.TB, host string) string {
	t.Helper()
	home := t.TempDir()
	key := filepath.Join(home, ".ssh", "id_ed25519")
	if err := os.MkdirAll(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.AuthorizedKeys, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(pub)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		line := host + " " + s.HostKey + "\n"
		if err := os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return home
}
