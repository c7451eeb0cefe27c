//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// BenchmarkForwardVsOpenSSH moves 16 MiB through `sesame connect -N -L`
// and through OpenSSH's `ssh -N -L` to the same service on the server's
// loopback, over the same real sshd, alternately, and prints the
// throughput of each and their ratio. Target: ratio ≥ 0.8 (x/crypto's SSH
// against OpenSSH's).
func BenchmarkForwardVsOpenSSH(b *testing.B) {
	testnet.RequireTools(b, "ssh")
	const size = 16 << 20
	d := newSSHDoor(b, guardKnockd)
	d.trust(b)
	// The service reads size bytes and answers one.
	l := listenIn(b, d.pair.Server, "127.0.0.1:7001")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := io.CopyN(io.Discard, c, size); err == nil {
					_, _ = c.Write([]byte{1})
				}
			}()
		}
	}()
	var errOut testnet.Buffer
	sesame := d.command(b, context.Background(), "connect", "-N", "-v", "-L", "17001:127.0.0.1:7001", "web")
	sesame.Stderr = &errOut
	if err := sesame.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = sesame.Process.Signal(unix.SIGINT)
		_ = sesame.Wait()
	}()
	testnet.WaitFor(b, "sesame's forward", func() bool { return strings.Contains(errOut.String(), "holding the connection") })
	// The door is open for the client now: OpenSSH goes through it too.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ssh := d.pair.Client.Command(ctx, "ssh", "-F", "/dev/null", "-i", d.key, "-o", "UserKnownHostsFile="+d.knownHosts(),
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
		"-N", "-L", "17002:127.0.0.1:7001", "root@"+testnet.ServerAddr4.String())
	if err := ssh.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cancel()
		_ = ssh.Wait()
	}()
	testnet.WaitFor(b, "ssh's forward", func() bool {
		c, err := d.pair.Client.Dial(netip.MustParseAddrPort("127.0.0.1:17002"), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	payload := make([]byte, size)
	send := func(port string) time.Duration {
		c, err := d.pair.Client.Dial(netip.MustParseAddrPort("127.0.0.1:"+port), testnet.Await)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := c.Write(payload); err != nil {
			b.Fatal(err)
		}
		var ack [1]byte
		if _, err := io.ReadFull(c, ack[:]); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	runs := map[string][]time.Duration{}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runs["sesame"] = append(runs["sesame"], send("17001"))
		runs["openssh"] = append(runs["openssh"], send("17002"))
	}
	b.StopTimer()
	mbps := map[string]float64{}
	fmt.Printf("\n%-8s %10s %12s   (16 MiB through -L; %d runs each)\n", "client", "p50", "MB/s (p50)", b.N)
	for _, name := range []string{"sesame", "openssh"} {
		r := runs[name]
		slices.Sort(r)
		med := r[len(r)/2]
		mbps[name] = float64(size) / med.Seconds() / 1e6
		fmt.Printf("%-8s %10s %12.1f\n", name, med.Round(time.Millisecond), mbps[name])
		b.ReportMetric(mbps[name], name+"-MB/s")
	}
	ratio := mbps["sesame"] / mbps["openssh"]
	fmt.Printf("throughput ratio sesame/openssh (p50): %.2f (target >= 0.8)\n", ratio)
	b.ReportMetric(ratio, "ratio")
}
