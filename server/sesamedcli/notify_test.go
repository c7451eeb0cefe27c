package sesamedcli

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	env := func(k string) string {
		if k == "NOTIFY_SOCKET" {
			return sock
		}
		return ""
	}
	notify(env, "READY=1\nMAINPID=42")
	_ = l.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 256)
	n, err := l.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1\nMAINPID=42" {
		t.Fatalf("systemd got %q, %v", buf[:n], err)
	}
	// Without NOTIFY_SOCKET (not under systemd) it does nothing.
	notify(func(string) string { return "" }, "READY=1")
}
