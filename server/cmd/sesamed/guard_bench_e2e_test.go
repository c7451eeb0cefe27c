//go:build linux

package main_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkRestoreAfterFlush: how long after somebody flushes the ruleset
// (`nft flush ruleset`, or iptables' filter table replaced by an empty one
// with iptables-restore, as `ufw reload` does) sesamed,
// running as its unit runs it with a live grant, has put its chain, the
// guard and the grant back, from the start of the flush to sesamed's log
// line saying so. Target (issue 13): within 1 s; a stranger shut out again
// within 2 s.
func BenchmarkRestoreAfterFlush(b *testing.B) {
	var results []latency
	for _, kind := range nativeKinds {
		in := install(b, kind, nil)
		s := in.start(b)
		in.knock(b)
		s.WaitOutput(b, "SSH: opening 22/tcp for 2001:db8::2")
		var took []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			from := s.Len()
			t0 := time.Now()
			if kind == "nftables" {
				in.flush(b)
			} else {
				in.flushFamily(b, "iptables")
			}
			s.WaitOutputAfter(b, from, "and 1 live grant(s)")
			took = append(took, time.Since(t0))
		}
		b.StopTimer()
		if !strings.Contains(in.p.Server.Run(b, "sh", "-c", "nft list ruleset; ipset list -n"), "sesamed_allow") {
			b.Fatal("sesamed's sets are not back")
		}
		results = append(results, summarize(kind, took))
	}
	fmt.Printf("\nrestore after a flushed ruleset, flush started to sesamed's chain, guard and grant back (%d flushes each)\n", b.N)
	for _, r := range results {
		fmt.Printf("%-10s p50 %7.1f ms  p95 %7.1f ms\n", r.name, ms(r.p50), ms(r.p95))
		b.ReportMetric(ms(r.p50), r.name+"-p50-ms")
		b.ReportMetric(ms(r.p95), r.name+"-p95-ms")
	}
	fmt.Println("target: within 1 s")
}
