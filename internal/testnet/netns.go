//go:build linux

// Package testnet builds the real network the end-to-end tests run on: a
// client and a server network namespace joined by a veth pair, with
// documentation addresses, and helpers to run real peers (sshd, knockd,
// tcpdump, iptables) inside them. Everything it creates is removed when the
// test ends, pass or fail; namespaces left behind by a test binary that was
// killed are swept by the next one.
package testnet

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Documentation addresses used inside the namespaces, and only there.
var (
	ServerAddr4 = netip.MustParseAddr("192.0.2.1")
	ClientAddr4 = netip.MustParseAddr("192.0.2.2")
	ServerAddr6 = netip.MustParseAddr("2001:db8::1")
	ClientAddr6 = netip.MustParseAddr("2001:db8::2")
)

// Interface names inside the namespaces. veth ends are created directly in
// their namespaces, so the names need not be unique on the host.
const (
	ServerIf = "veth-s"
	ClientIf = "veth-c"

	serverMAC = "02:53:45:53:00:01"
	clientMAC = "02:53:45:53:00:02"
)

// Await is how long helpers wait for an event (a log line, a rule, a
// packet) before failing. It only guards against hangs; nothing is timed
// against it.
const Await = 30 * time.Second

// namePrefix marks every namespace this package creates; the pid that
// follows lets a later run sweep namespaces of a dead test binary.
const namePrefix = "sesame-t"

var nameSeq atomic.Int64

// RequireRoot skips the test, with the reason, unless it runs as root on a
// machine with iproute2: namespaces, iptables and packet capture need both.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: needs root to create network namespaces (run `make test` as root; CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: needs the ip command (apt-get install iproute2)")
	}
}

// RequireTools skips the test unless every named program is installed.
func RequireTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: %s is not installed (make test installs it with apt-get)", tool)
		}
	}
}

// NS is one network namespace.
type NS struct {
	Name string
}

// Pair is a client and a server namespace joined by a veth pair:
// client veth-c 192.0.2.2 / 2001:db8::2, server veth-s 192.0.2.1 / 2001:db8::1.
type Pair struct {
	Client, Server *NS
}

// NewPair creates the two namespaces and the veth pair between them, and
// registers their removal with t.Cleanup.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	RequireRoot(t)
	sweepStale()
	id := fmt.Sprintf("%s%d-%d", namePrefix, os.Getpid(), nameSeq.Add(1))
	p := &Pair{Client: &NS{Name: id + "-c"}, Server: &NS{Name: id + "-s"}}
	for _, ns := range []*NS{p.Client, p.Server} {
		if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
		}
		name := ns.Name
		t.Cleanup(func() { removeNS(name) })
	}
	steps := [][]string{
		{"ip", "link", "add", ClientIf, "netns", p.Client.Name, "address", clientMAC, "type", "veth",
			"peer", "name", ServerIf, "netns", p.Server.Name, "address", serverMAC},
	}
	for _, side := range []struct {
		ns         *NS
		ifname     string
		a4, a6     netip.Addr
		peer4      netip.Addr
		peer6      netip.Addr
		peerLLAddr string
	}{
		{p.Client, ClientIf, ClientAddr4, ClientAddr6, ServerAddr4, ServerAddr6, serverMAC},
		{p.Server, ServerIf, ServerAddr4, ServerAddr6, ClientAddr4, ClientAddr6, clientMAC},
	} {
		ex := []string{"ip", "netns", "exec", side.ns.Name}
		steps = append(steps,
			append(ex, "ip", "link", "set", "lo", "up"),
			append(ex, "ip", "addr", "add", side.a4.String()+"/24", "dev", side.ifname),
			append(ex, "ip", "-6", "addr", "add", side.a6.String()+"/64", "dev", side.ifname, "nodad"),
			append(ex, "ip", "link", "set", side.ifname, "up"),
			// Permanent neighbour entries: no ARP or ND delays the first
			// knock, so the gaps a capture sees are the gaps that were sent.
			append(ex, "ip", "neigh", "replace", side.peer4.String(), "lladdr", side.peerLLAddr, "dev", side.ifname, "nud", "permanent"),
			append(ex, "ip", "-6", "neigh", "replace", side.peer6.String(), "lladdr", side.peerLLAddr, "dev", side.ifname, "nud", "permanent"),
		)
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return p
}

// removeNS kills whatever still runs in the namespace, then deletes it.
func removeNS(name string) {
	if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				// Never ourselves: NS.Do may have this process's main
				// thread inside the namespace for a moment.
				if pid != os.Getpid() {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
	}
	_ = exec.Command("ip", "netns", "del", name).Run()
}

// sweepStale removes namespaces left by test binaries that no longer run
// (killed by a timeout, say), so they do not pile up on a developer machine.
func sweepStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, namePrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidStr); err == nil {
			continue
		}
		removeNS(name)
	}
}

// Command returns a command that runs inside the namespace.
func (ns *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append([]string{"netns", "exec", ns.Name, name}, args...)
	cmd := exec.CommandContext(ctx, "ip", argv...)
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	// Daemons' children (sshd's sessions) start their own sessions and can
	// keep the output pipe open after the daemon is gone; do not wait for
	// them once the process itself has exited.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Run runs a command inside the namespace and fails the test if it fails.
// It returns the combined output.
func (ns *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := ns.Try(name, args...)
	if err != nil {
		t.Fatalf("in %s: %s %s: %v\n%s", ns.Name, name, strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs a command inside the namespace and returns its combined output
// and error.
func (ns *NS) Try(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Await)
	defer cancel()
	var buf bytes.Buffer
	cmd := ns.Command(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// Do runs fn on an OS thread that has entered the namespace, so sockets fn
// opens live there. fn must open its sockets on the calling goroutine.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		errc <- fn()
		// Go back before unlocking; this goroutine may be on the main thread,
		// which the runtime never throws away. If going back fails the
		// thread stays locked and dies with the goroutine.
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return <-errc
}

// Dial opens a TCP connection from inside the namespace.
func (ns *NS) Dial(addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr.String(), timeout)
		return err
	})
	return c, err
}

// WaitFor polls cond until it returns true, failing the test after Await.
// Use it for state that has no event to wait on (a firewall rule appearing).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Await)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", Await, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends sig to every process named comm running in the namespace
// (sshd's per-connection children, say) and returns how many it signalled.
func (ns *NS) Kill(t testing.TB, comm string, sig unix.Signal) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "pids", ns.Name).Output()
	if err != nil {
		t.Fatalf("ip netns pids %s: %v", ns.Name, err)
	}
	n := 0
	for _, f := range strings.Fields(string(out)) {
		b, err := os.ReadFile("/proc/" + f + "/comm")
		if err != nil || strings.TrimSpace(string(b)) != comm {
			continue
		}
		if pid, err := strconv.Atoi(f); err == nil && unix.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}
