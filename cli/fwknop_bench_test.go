//go:build linux

package cli_test

import (
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// BenchmarkFwknopVsFwknop1 measures encode+send as a user sees it: from
// starting the client process to its SPA datagram arriving at a loopback
// UDP port, for `sesame fwknop` and the real fwknop(1), alternately, with
// the same keys and access. It prints p50 and p95 for each and Sesame's
// p50 as a ratio of fwknop's. Target: no slower than fwknop (ratio <= 1).
func BenchmarkFwknopVsFwknop1(b *testing.B) {
	testnet.RequireTools(b, "fwknop")
	sesame := testnet.Binary(b, "sesame", "headless")
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	port := strconv.Itoa(conn.LocalAddr().(*net.UDPAddr).Port)
	args := []string{"-A", "tcp/22", "-a", "192.0.2.7", "-D", "127.0.0.1", "-p", port, "--no-rc-file",
		"--key-base64-rijndael", e2eKey, "--key-base64-hmac", e2eHMAC}
	clients := []struct {
		name string
		argv []string
	}{
		{"sesame", append([]string{sesame, "fwknop"}, args...)},
		// --no-save-args: fwknop would otherwise write ~/.fwknop.run.
		{"fwknop", append([]string{"fwknop", "--no-save-args"}, args...)},
	}
	buf := make([]byte, 2048)
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range clients {
			cmd := exec.Command(c.argv[0], c.argv[1:]...)
			start := time.Now()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(testnet.Await))
			n, err := conn.Read(buf)
			took := time.Since(start)
			if werr := cmd.Wait(); werr != nil || err != nil || n < 140 {
				b.Fatalf("%s: exit %v, read %d bytes, %v", c.name, werr, n, err)
			}
			times[c.name] = append(times[c.name], took)
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	fmt.Printf("\n%-8s %12s %12s   (process start to SPA datagram received, %d runs each)\n", "client", "p50", "p95", b.N)
	p50 := map[string]float64{}
	for _, c := range clients {
		s := times[c.name]
		slices.Sort(s)
		p50[c.name] = ms(percentile(s, 50))
		fmt.Printf("%-8s %9.2f ms %9.2f ms\n", c.name, ms(percentile(s, 50)), ms(percentile(s, 95)))
		b.ReportMetric(ms(percentile(s, 50)), c.name+"-p50-ms")
		b.ReportMetric(ms(percentile(s, 95)), c.name+"-p95-ms")
	}
	if p50["fwknop"] > 0 {
		r := p50["sesame"] / p50["fwknop"]
		fmt.Printf("p50 ratio sesame/fwknop: %.2f (target: <= 1.0)\n", r)
		b.ReportMetric(r, "p50-ratio")
	}
}
