//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// BenchmarkConnectVsOpenSSH times `sesame connect web -- true` against what
// people type today, `knock HOST 7000 8000 9000 && ssh HOST true && knock
// HOST 9000 8000 7000` (the real knock and OpenSSH), on the same namespaces
// with the same real knockd and sshd, alternately. Both send the open
// knock, log in, run true and send the close knock. Target: ratio ≤ 1.0.
func BenchmarkConnectVsOpenSSH(b *testing.B) {
	testnet.RequireTools(b, "knock", "ssh")
	d := newSSHDoor(b, guardKnockd)
	d.trust(b)
	srv := testnet.ServerAddr4.String()
	openssh := fmt.Sprintf("knock %[1]s 7000 8000 9000 && ssh -F /dev/null -i %[2]s -o UserKnownHostsFile=%[3]s "+
		"-o StrictHostKeyChecking=yes -o BatchMode=yes root@%[1]s true && knock %[1]s 9000 8000 7000",
		srv, d.key, d.knownHosts())
	bin := testnet.Binary(b, "sesame", "headless")
	runs := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range []struct {
			name string
			argv []string
		}{
			{"sesame", []string{"env", "HOME=" + d.home, "SESAME_CONFIG_DIR=" + d.config, "SSH_AUTH_SOCK=", bin, "connect", "web", "--", "true"}},
			{"openssh", []string{"sh", "-c", openssh}},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
			cmd := d.pair.Client.Command(ctx, c.argv[0], c.argv[1:]...)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				b.Fatalf("%s: %v\n%s", c.name, err, out)
			}
			runs[c.name] = append(runs[c.name], elapsed)
			d.pair.Server.WaitAccept(b, testnet.ClientAddr4.String(), false)
		}
	}
	b.StopTimer()
	med := map[string]time.Duration{}
	fmt.Printf("\n%-8s %12s %12s   (open knock, login, true, close knock; %d runs each)\n", "client", "p50", "mean", b.N)
	for _, name := range []string{"sesame", "openssh"} {
		r := runs[name]
		var sum time.Duration
		for _, x := range r {
			sum += x
		}
		slices.Sort(r)
		med[name] = r[len(r)/2]
		fmt.Printf("%-8s %12s %12s\n", name, med[name].Round(time.Millisecond), (sum / time.Duration(len(r))).Round(time.Millisecond))
		b.ReportMetric(float64(med[name])/float64(time.Millisecond), name+"-p50-ms")
	}
	ratio := float64(med["sesame"]) / float64(med["openssh"])
	fmt.Printf("wall-time ratio sesame/openssh (p50): %.2f (target <= 1.0)\n", ratio)
	b.ReportMetric(ratio, "ratio")
}
