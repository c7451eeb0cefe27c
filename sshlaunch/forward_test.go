package sshlaunch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"sesame/profiles"
)

// TestSOCKSHandshake runs the server side of the SOCKS5 handshake against
// a client's bytes and checks what it asks for and answers.
func TestSOCKSHandshake(t *testing.T) {
	tests := []struct {
		name    string
		client  []byte
		target  string
		reply   []byte // what the server writes, in full
		wantErr string
		hangUp  bool // the client hangs up after its bytes
	}{
		{name: "IPv4", client: []byte{5, 1, 0, 5, 1, 0, 1, 192, 0, 2, 7, 0, 80},
			target: "192.0.2.7:80", reply: []byte{5, 0}},
		{name: "IPv6", client: append(append([]byte{5, 2, 2, 0, 5, 1, 0, 4}, net.ParseIP("2001:db8::9")...), 1, 187),
			target: "[2001:db8::9]:443", reply: []byte{5, 0}},
		{name: "domain", client: append(append([]byte{5, 1, 0, 5, 1, 0, 3, 11}, "example.com"...), 0x1f, 0x90),
			target: "example.com:8080", reply: []byte{5, 0}},
		{name: "SOCKS4", client: []byte{4, 1, 0, 80, 192, 0, 2, 7, 0}, wantErr: "only 5"},
		{name: "auth only", client: []byte{5, 1, 2}, reply: []byte{5, 0xff}, wantErr: "no method without authentication"},
		{name: "BIND", client: []byte{5, 1, 0, 5, 2, 0, 1, 192, 0, 2, 7, 0, 80},
			reply: []byte{5, 0, 5, socksBadCommand, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "only CONNECT"},
		{name: "bad address type", client: []byte{5, 1, 0, 5, 1, 0, 9},
			reply: []byte{5, 0, 5, socksBadAddress, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "address type 9"},
		{name: "empty domain", client: []byte{5, 1, 0, 5, 1, 0, 3, 0},
			reply: []byte{5, 0, 5, socksBadAddress, 0, 1, 0, 0, 0, 0, 0, 0}, wantErr: "empty domain"},
		{name: "cut short", client: []byte{5, 1, 0, 5, 1, 0, 1, 192}, reply: []byte{5, 0}, wantErr: "EOF", hangUp: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client := net.Pipe()
			defer client.Close()
			var got bytes.Buffer
			read := make(chan struct{})
			go func() {
				_, _ = io.Copy(&got, client)
				close(read)
			}()
			go func() {
				_, _ = client.Write(tt.client)
				if tt.hangUp {
					// All of it was read: the server waits for more.
					client.Close()
				}
			}()
			target, err := socksHandshake(server)
			server.Close()
			<-read
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
			} else if err != nil || target != tt.target {
				t.Fatalf("socksHandshake = %q, %v; want %q", target, err, tt.target)
			}
			if !bytes.Equal(got.Bytes(), tt.reply) {
				t.Errorf("the server wrote % x, want % x", got.Bytes(), tt.reply)
			}
		})
	}
}

// forwardAwait is how long a test waits for what must happen before it
// fails; a bound for a hung test, never a timing target.
const forwardAwait = 30 * time.Second

// TestSilentSOCKSClientDoesNotHoldTheDoor: a SOCKS client that connects
// and sends nothing is dropped when the handshake's deadline passes, so
// Wait, which holds the door open, returns.
func TestSilentSOCKSClientDoesNotHoldTheDoor(t *testing.T) {
	fs := []profiles.Forward{{Kind: profiles.DynamicForward, Bind: "127.0.0.1", Port: 0}}
	f, err := startForwards(t.Context(), nil, fs, nil, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", f.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(forwardAwait); f.Active() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the forward did not take the client's connection")
		}
	}
	waited := make(chan struct{})
	go func() {
		f.Wait(context.Background())
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(forwardAwait):
		t.Fatalf("Wait still holds the door %s after the silent client connected", forwardAwait)
	}
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("the silent client read %d bytes, want its connection closed", n)
	}
}

// failOnce is a real listener whose first Accept fails as a process out
// of file descriptors does.
type failOnce struct {
	net.Listener
	failed bool
}

func (l *failOnce) Accept() (net.Conn, error) {
	if !l.failed {
		l.failed = true
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptGoesOnAfterATemporaryFailure: a forward's listener keeps
// accepting after a failure that passes (EMFILE), rather than stopping
// silently with the forward dead for the rest of the session.
func TestAcceptGoesOnAfterATemporaryFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Forwarder{log: slog.New(slog.DiscardHandler), conns: map[net.Conn]bool{}, listeners: []net.Listener{l}}
	handled := make(chan struct{})
	f.accepting.Add(1)
	go f.accept(t.Context(), &failOnce{Listener: l}, func(_ context.Context, c net.Conn) { close(handled) })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-handled:
	case <-time.After(forwardAwait):
		t.Fatal("the connection made after a failed accept was never handled")
	}
	f.Wait(context.Background())
}
