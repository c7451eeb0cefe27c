//go:build linux

package app

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
	"sesame/profiles"
)

// clockTicks is the unit of utime and stime in /proc/PID/stat (USER_HZ),
// 100 on every Linux build Go supports.
const clockTicks = 100

// cpuTime is the CPU time a process has used so far, user and system.
func cpuTime(t testing.TB, pid int) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ...: utime and stime are the 14th and 15th
	// fields, the 12th and 13th after the comm's ')'.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// idleCPU starts a program on disp, waits for its first frame and then
// settle more, and measures its CPU use over n windows of a second each,
// in percent of one core.
func idleCPU(b *testing.B, disp *xvfb.Display, start func() *exec.Cmd, settle time.Duration, n int) []float64 {
	cmd := start()
	defer func() {
		cmd.Process.Signal(unix.SIGTERM)
		cmd.Wait()
	}()
	t0 := time.Now()
	for !painted(disp.Screenshot(b), 1100, 700) {
		if time.Since(t0) > testnet.Await {
			b.Fatal("no frame drawn")
		}
	}
	time.Sleep(settle)
	var out []float64
	for range n {
		c0, w0 := cpuTime(b, cmd.Process.Pid), time.Now()
		time.Sleep(time.Second)
		c1, w1 := cpuTime(b, cmd.Process.Pid), time.Now()
		out = append(out, 100*float64(c1-c0)/float64(w1.Sub(w0)))
	}
	return out
}

// BenchmarkIdleCPU measures the CPU an idle window uses under Xvfb, where
// GL is Mesa's software renderer and every redrawn frame costs: the app
// with its four profiles, the same with an error dialog open, the same
// after that dialog was closed, and a bare Fyne window, the floor, in the
// same run. Target: the app ≤ 1 % of a core in all three. Each is measured
// from 8 s after its first frame — past the 5 s the filter box's cursor
// blinks after the last key (filterRestAfter) —, over b.N one-second
// windows. The app runs without the test hook's state writer, whose work
// would be measured too; SESAME_TEST_SHOW opens the dialog.
func BenchmarkIdleCPU(b *testing.B) {
	xvfb.Require(b, "Xvfb", "xwd")
	keyring.Require(b)
	disp := xvfb.Start(b, 1280, 800)
	peer := testnet.Binary(b, "sesame/app/internal/fynepeer", "migrated_fynedo")
	bin := appBinary(b)
	settle := filterRestAfter + 3*time.Second
	app := func(show string) func() *exec.Cmd {
		return func() *exec.Cmd {
			a := startApp(b, disp, nil)
			// startApp started it with the state writer: start it again
			// without, with the same settings and profiles.
			a.cmd.Process.Kill()
			a.cmd.Wait()
			cmd := exec.Command(bin)
			for _, kv := range a.cmd.Env {
				if !strings.HasPrefix(kv, "SESAME_TEST_STATE=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env, "SESAME_TEST_SHOW="+show)
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			return cmd
		}
	}
	bare := func() *exec.Cmd {
		cmd := exec.Command(peer)
		home := b.TempDir()
		cmd.Env = append(os.Environ(), "DISPLAY="+disp.Name, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		return cmd
	}
	b.ResetTimer()
	idle := idleCPU(b, disp, app(""), settle, b.N)
	dialog := idleCPU(b, disp, app("error"), settle, b.N)
	closed := idleCPU(b, disp, app("error-closed"), settle, b.N)
	floor := idleCPU(b, disp, bare, settle, b.N)
	b.StopTimer()
	b.ReportMetric(mean(idle), "idle-cpu-%")
	b.ReportMetric(mean(dialog), "dialog-cpu-%")
	b.ReportMetric(mean(closed), "closed-dialog-cpu-%")
	b.ReportMetric(mean(floor), "fyne-idle-cpu-%")
	b.Logf("idle CPU, %% of one core (target ≤ 1): window %.1f, with an error dialog %.1f, after closing it %.1f; bare Fyne window %.1f "+
		"(ratios %.2f, %.2f, %.2f); %d one-second windows each",
		mean(idle), mean(dialog), mean(closed), mean(floor),
		ratio(mean(idle), mean(floor)), ratio(mean(dialog), mean(floor)), ratio(mean(closed), mean(floor)), b.N)
}

// ratio is a/b, or 0 when b is: a floor of 0 % gives no ratio.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// BenchmarkIdleCPUAfterFailure measures the CPU the idle window uses after
// a connect that failed — the real app on Xvfb against the real sshd
// behind knockd, a login refused —, with the failed tab open and its
// error dialog closed, and the same window before the connect, in % of
// one core. Target ≤ 1 %. The test hook drives the connect, then is
// stopped (SIGUSR2) before the measures, 8 s after the dialog closed.
func BenchmarkIdleCPUAfterFailure(b *testing.B) {
	xvfb.Require(b, "Xvfb", "xdotool", "xwd")
	appBinary(b)
	g := newGuardedSSH(b)
	// No such user on the server: the login fails.
	ghost := profiles.Profile{Name: "ghost", Host: testnet.ServerAddr4.String(), User: "ghost"}
	ghost.Secrets.Open, ghost.Secrets.Close = mustSeq(b, "7000,8000,9000"), mustSeq(b, "9000,8000,7000")
	disp := xvfb.Start(b, 1280, 800)
	a := startApp(b, disp, g, &ghost)
	a.waitState(b, "the window", func(st hookState) bool { return st.Connect[2] > 0 })
	disp.Xdotool(b, "windowfocus", "--sync", a.window(b))
	settle := filterRestAfter + 3*time.Second
	pid := a.cmd.Process.Pid
	measure := func() []float64 {
		var out []float64
		for range b.N {
			c0, w0 := cpuTime(b, pid), time.Now()
			time.Sleep(time.Second)
			c1, w1 := cpuTime(b, pid), time.Now()
			out = append(out, 100*float64(c1-c0)/float64(w1.Sub(w0)))
		}
		return out
	}
	disp.Xdotool(b, "type", "--delay", "30", "ghost")
	a.waitState(b, "ghost selected", func(st hookState) bool { return st.Selected == "ghost" })
	disp.Xdotool(b, "key", "Return")
	a.dialogShown(b, "bench-login-failed", "Login failed", "Close")
	a.clickText(b, "Close")
	a.closed(b, "the login-failed dialog", "Login failed")
	g.pair.Server.WaitAccept(b, testnet.ClientAddr4.String(), false)
	a.cmd.Process.Signal(unix.SIGUSR2)
	b.ResetTimer()
	time.Sleep(settle)
	failed := measure()
	b.StopTimer()
	b.ReportMetric(mean(failed), "failed-tab-cpu-%")
	b.Logf("idle CPU, %% of one core (target ≤ 1), with a failed connect's tab open, its error dialog closed: %.1f; %d one-second windows",
		mean(failed), b.N)
}
