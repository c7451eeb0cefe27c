//go:build unix

package keeper

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/knocker"
)

// pending reports whether a datagram waits in c, without waiting: a
// keeper that has exited has sent all it will.
func pending(t *testing.T, c *net.UDPConn) bool {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), make([]byte, 64), unix.MSG_DONTWAIT)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return rerr == nil && n > 0
}

// listener is a UDP socket on loopback the keepers knock on.
func listener(t *testing.T) (*net.UDPConn, Job) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	port := c.LocalAddr().(*net.UDPAddr).Port
	return c, Job{Addr: netip.MustParseAddr("127.0.0.1"), Sequence: knocker.Sequence{{Port: uint16(port), Proto: knocker.UDP}}}
}

func startKeeper(t *testing.T, job Job) *Keeper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	k, err := (&Exec{Path: exe}).Start(job)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeeperKnocksWhenClientGoes runs a real keeper process and ends its
// pipe as a dying client's end would: the close knock arrives.
func TestKeeperKnocksWhenClientGoes(t *testing.T) {
	c, job := listener(t)
	k := startKeeper(t, job)
	k.w.Close() // what the kernel does when the client dies
	if err := k.cmd.Wait(); err != nil {
		t.Fatalf("keeper: %v", err)
	}
	// The keeper has exited, so its datagram is in the socket already.
	if !pending(t, c) {
		t.Fatal("no close knock from the keeper")
	}
}

// TestKeeperClosedSendsNothing: after "closed" the keeper exits without a
// packet, so a normal close never knocks twice.
func TestKeeperClosedSendsNothing(t *testing.T) {
	c, job := listener(t)
	k := startKeeper(t, job)
	if err := k.Closed(); err != nil {
		t.Fatal(err)
	}
	if err := k.Closed(); err != nil {
		t.Fatalf("second Closed: %v", err)
	}
	if k.cmd.ProcessState == nil {
		t.Fatal("Closed returned before the keeper exited")
	}
	if pending(t, c) {
		t.Fatal("the keeper knocked after being told the door was closed")
	}
}

// BenchmarkStart times what a door's opening pays for its keeper: start
// it and hand it the job (the knock goes out after this), and, beside it,
// the whole life of one told "closed". The peer is starting and reaping
// /bin/true, the cheapest process start there is.
func BenchmarkStart(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	job := Job{Addr: netip.MustParseAddr("127.0.0.1"), Sequence: knocker.Sequence{{Port: 9, Proto: knocker.UDP}}}
	var start, life, peer time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		k, err := (&Exec{Path: exe}).Start(job)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := k.Closed(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
		start, life, peer = start+t1.Sub(t0), life+t2.Sub(t0), peer+time.Since(t2)
	}
	n := time.Duration(b.N)
	fmt.Printf("\nkeeper start (before the open knock) %s, start to exit %s; /bin/true start to exit %s; ratio start//bin/true %.2f\n",
		(start / n).Round(time.Microsecond), (life / n).Round(time.Microsecond), (peer / n).Round(time.Microsecond), float64(start)/float64(peer))
	b.ReportMetric(float64(start/n)/float64(time.Millisecond), "start-ms")
	b.ReportMetric(float64(peer/n)/float64(time.Millisecond), "true-ms")
}
