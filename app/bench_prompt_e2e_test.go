//go:build linux

package app

import (
	"strings"
	"testing"
	"time"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/knocker"
	"sesame/profiles"
)

// BenchmarkEnterToPrompt measures, in the real app on Xvfb against the
// real sshd behind knockd, the time from Enter on a profile whose host key
// is known to the remote shell's prompt in its tab: the knocks, the SSH
// handshake and login, the tab and the first screen. The profile knocks
// three ports with no gap of its own (the e2e's "lab" waits 400 ms between
// knocks, to watch them go out). Each round closes the tab, which knocks
// the door shut, so every Enter knocks it open again. Target ≤ 1 s. The
// figure is read from the test hook's state file, written every 50 ms:
// it is up to 50 ms late.
func BenchmarkEnterToPrompt(b *testing.B) {
	xvfb.Require(b, "Xvfb", "xdotool")
	g := newGuardedSSH(b)
	open, _ := knocker.ParseSequence("7000,8000,9000")
	cls, _ := knocker.ParseSequence("9000,8000,7000")
	quick := &profiles.Profile{Name: "quick", Host: testnet.ServerAddr4.String(), User: "root",
		Secrets: profiles.Secrets{Open: open, Close: cls}}
	disp := xvfb.Start(b, 1280, 800)
	a := startApp(b, disp, g, quick)
	a.waitState(b, "the window", func(st hookState) bool { return st.Connect[2] > 0 })
	disp.Xdotool(b, "windowfocus", "--sync", a.window(b))
	disp.Xdotool(b, "type", "quick")
	a.waitState(b, "quick selected", func(st hookState) bool { return st.Selected == "quick" })
	prompt := func(st hookState) bool {
		return len(st.Tabs) == 1 && strings.HasSuffix(strings.TrimSpace(tabScreen(st, 0)), "#")
	}
	var took []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		disp.Xdotool(b, "key", "Return")
		a.waitState(b, "a shell prompt", prompt)
		took = append(took, float64(time.Since(start))/float64(time.Millisecond))
		b.StopTimer()
		disp.Xdotool(b, "key", "ctrl+shift+w") // the filter box has the focus again once the tab is gone
		a.waitState(b, "the tab to go", func(st hookState) bool { return len(st.Tabs) == 0 })
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(mean(took), "enter-to-prompt-ms")
	b.ReportMetric(maxOf(took), "max-enter-to-prompt-ms")
	b.Logf("Enter → shell prompt with a known host: %.0f ms on average, %.0f ms at most (target ≤ 1000); %d connects",
		mean(took), maxOf(took), b.N)
}
