//go:build linux

package winetest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// TestWineCtrlCClosesDoor: Ctrl+C (Wine turns SIGINT into CTRL_C_EVENT)
// during `connect -- sleep` sends the close knock before sesame.exe ends.
func TestWineCtrlCClosesDoor(t *testing.T) {
	d := newWineDoor(t)
	d.trust(t)
	p := d.w.Background(t, "connect", "door", "--", "sleep", "600")
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	d.sshd.Proc.WaitOutput(t, "Starting session: command")
	if err := p.Signal(unix.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	// Said once the close knock has gone out: sesame.exe sent it, not
	// its close keeper.
	if !strings.Contains(p.Output(), "the door was closed") {
		t.Errorf("sesame.exe ended (%v) without saying it closed the door:\n%s", p.Err(), p.Output())
	}
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

// TestWineProxyClosesDoorOnInputEnd: `sesame.exe proxy` as a ProxyCommand.
// The normal end, ssh closing the proxy's standard input, sends the close
// knock from sesame.exe itself. Win32-OpenSSH then terminates its
// ProxyCommand at once (TerminateProcess, which no handler sees); killed
// that way right after, the close keeper knocks the door shut.
func TestWineProxyClosesDoorOnInputEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		kill bool
	}{
		{"stdin EOF", false},
		{"stdin EOF then terminated", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newWineDoor(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
			defer cancel()
			cmd := d.w.Command(ctx, "proxy", "door")
			in, feed, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			out, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
			d.sshd.Proc.WaitOutput(t, "Connection from "+testnet.ClientAddr4.String())
			feed.Close()
			if tc.kill {
				if err := unix.Kill(cmd.Process.Pid, unix.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
			werr := cmd.Wait()
			d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
			if !tc.kill && werr != nil {
				b, _ := os.ReadFile(out.Name())
				t.Fatalf("sesame.exe proxy ended with %v after its input ended:\n%s", werr, b)
			}
		})
	}
}

// TestWineSessionEndClosesDoor: logoff or shutdown (Wine's `wineboot
// --end-session` sends WM_QUERYENDSESSION and WM_ENDSESSION to every
// window) during `connect -- sleep` reaches sesame.exe's session-end
// window, which holds the session's end until its close knock is out.
func TestWineSessionEndClosesDoor(t *testing.T) {
	d := newWineDoorWith(t, wine.StartDisplay)
	d.trust(t)
	p := d.w.Background(t, "connect", "door", "--", "sleep", "600")
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), true)
	d.sshd.Proc.WaitOutput(t, "Starting session: command")
	if r := d.w.Wine(t, "wineboot", "--end-session"); r.Code != 0 {
		t.Fatalf("wineboot --end-session: %s", r)
	}
	select {
	case <-p.Done():
	case <-time.After(testnet.Await):
		t.Fatalf("sesame.exe still runs %s after the session ended:\n%s", testnet.Await, p.Output())
	}
	if !strings.Contains(p.Output(), "the door was closed") {
		t.Errorf("sesame.exe ended (%v) without saying it closed the door:\n%s", p.Err(), p.Output())
	}
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}
