//go:build linux

package winetest_test

import (
	"slices"
	"testing"
	"time"

	"sesame/internal/testnet"
)

// BenchmarkWineKnockGap measures how far the gaps between knocks, as the
// server's capture stamps them, stray from the 5 ms asked for: sesame.exe
// under Wine against the native Linux build in the same run (the issue's
// target: within 5 ms). It reports the gap error |gap − 5 ms| at p50 and
// p95 of each; the e2e test only asserts the count of SYNs and the order.
func BenchmarkWineKnockGap(b *testing.B) {
	testnet.RequireRoot(b)
	testnet.RequireTools(b, "tcpdump", "ss", "iptables", "ip6tables")
	p := testnet.NewPair(b)
	w := wine.Start(b, p.Client)
	dropKnockPorts(b, p.Server)
	native := testnet.Binary(b, "sesame", "headless")
	const delay = 5 * time.Millisecond
	peers := []struct {
		name string
		k    knocker
	}{
		{"wine", wineKnocker(w)},
		{"native", func(t testing.TB, args ...string) { p.Client.Run(t, native, args...) }},
	}
	devs := make([][]time.Duration, len(peers))
	b.ResetTimer()
	for range b.N {
		for i, peer := range peers {
			run := captureKnock(b, peer.k, p, testnet.ServerAddr4, delay)
			for _, g := range run.gaps {
				devs[i] = append(devs[i], (g - delay).Abs())
			}
		}
	}
	b.StopTimer()
	for i, peer := range peers {
		if len(devs[i]) == 0 {
			b.Fatalf("%s: no gaps captured", peer.name)
		}
		slices.Sort(devs[i])
		d := devs[i]
		b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, peer.name+"-p50-gap-err-ms")
		b.ReportMetric(float64(d[len(d)*95/100].Microseconds())/1000, peer.name+"-p95-gap-err-ms")
	}
}
