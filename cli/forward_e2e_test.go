//go:build linux

package cli_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
)

// serveIn, listenIn and greeting are testnet's, shared with the app's
// tests.
func serveIn(t *testing.T, ns *testnet.NS, addr, greeting string) {
	ns.ServeGreeting(t, addr, greeting)
}

func listenIn(t testing.TB, ns *testnet.NS, addr string) net.Listener { return ns.Listen(t, addr) }

func greeting(t *testing.T, ns *testnet.NS, addr string) (string, net.Conn) {
	return ns.Greeting(t, addr)
}

// TestConnectForwards: -L reaches a service only the server's loopback
// has, -R brings the server to a service only the client's loopback has,
// and -D is a SOCKS5 proxy curl uses (addresses and host names), all
// through a real knockd door and a real sshd; Ctrl-C closes the door.
func TestConnectForwards(t *testing.T) {
	testnet.RequireTools(t, "curl")
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	serveIn(t, d.pair.Server, "127.0.0.1:7001", "on the server")
	serveIn(t, d.pair.Client, "127.0.0.1:7002", "on the client")
	web := listenIn(t, d.pair.Server, "127.0.0.1:7003")
	go func() {
		_ = http.Serve(web, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "web on the server, asked for %s", r.Host)
		}))
	}()

	var out, errOut testnet.Buffer
	cmd := d.command(t, context.Background(), "connect", "-N", "-v",
		"-L", "17001:127.0.0.1:7001", "-R", "17002:127.0.0.1:7002", "-D", "11080", "web")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the login", func() bool { return strings.Contains(errOut.String(), "holding the connection") })

	if got, c := greeting(t, d.pair.Client, "127.0.0.1:17001"); got != "on the server" {
		t.Errorf("-L: the client's 127.0.0.1:17001 says %q, want the server's service", got)
	} else {
		c.Close()
	}
	if got, c := greeting(t, d.pair.Server, "127.0.0.1:17002"); got != "on the client" {
		t.Errorf("-R: the server's 127.0.0.1:17002 says %q, want the client's service", got)
	} else {
		c.Close()
	}
	for _, socks := range []string{"--socks5", "--socks5-hostname"} {
		body := d.pair.Client.Run(t, "curl", "-sS", "--max-time", "30", socks, "127.0.0.1:11080", "http://localhost:7003/")
		if !strings.HasPrefix(body, "web on the server") {
			t.Errorf("-D with curl %s: got %q, want the server's web page", socks, body)
		}
	}
	if err := cmd.Process.Signal(unix.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("-N ended by Ctrl-C: %v, want exit 0; stderr %q", err, errOut.String())
	}
	d.assertClosed(t)
}

// TestConnectDoorWaitsForForwards: when the remote command ends while a
// forwarded connection is still open, the door stays open until that
// connection ends, then closes, as ssh waits for its forwards. The
// forward is the profile's own, saved with profile edit --forward.
func TestConnectDoorWaitsForForwards(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	serveIn(t, d.pair.Server, "127.0.0.1:7001", "on the server")
	d.sesame(t, "profile", "edit", "web", "--forward", "L 17001:127.0.0.1:7001")
	if show := d.sesame(t, "profile", "show", "web"); !strings.Contains(show, "L 17001:127.0.0.1:7001") {
		t.Fatalf("profile show does not list the saved forward:\n%s", show)
	}

	var out, errOut testnet.Buffer
	cmd := d.command(t, context.Background(), "connect", "web", "echo started; cat >/dev/null")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testnet.WaitFor(t, "the remote command", func() bool { return strings.Contains(out.String(), "started") })
	got, fwd := greeting(t, d.pair.Client, "127.0.0.1:17001")
	if got != "on the server" {
		t.Fatalf("-L: got %q", got)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stdin.Close() // the remote command ends
	testnet.WaitFor(t, "the wait for the forward", func() bool { return strings.Contains(errOut.String(), "waiting for 1 forwarded connection") })
	select {
	case err := <-exited:
		t.Fatalf("sesame exited (%v) with a forwarded connection open", err)
	default:
	}
	if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
		t.Fatal("the door closed while a forwarded connection was open")
	}
	// The forwarded connection still works, then ends.
	if _, err := io.WriteString(fwd, "ping\n"); err != nil {
		t.Fatal(err)
	}
	fwd.Close()
	if err := <-exited; err != nil {
		t.Fatalf("exit: %v; stderr %q", err, errOut.String())
	}
	d.assertClosed(t)
}

// TestConnectForwardThatCannotListen: a -L whose port is taken fails the
// connect with an error naming the forward, exit 255, and the door it
// opened is closed.
func TestConnectForwardThatCannotListen(t *testing.T) {
	d := newSSHDoor(t, guardKnockd)
	d.trust(t)
	listenIn(t, d.pair.Client, "127.0.0.1:17001") // taken
	_, errOut, code := d.try(t, "connect", "-L", "17001:127.0.0.1:7001", "web", "true")
	if code != 255 || !strings.Contains(errOut, "port forward -L 17001:127.0.0.1:7001: cannot listen here") {
		t.Fatalf("exit %d, stderr %q; want 255 and the forward named", code, errOut)
	}
	d.assertClosed(t)
}
