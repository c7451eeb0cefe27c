package sshlaunch

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"sesame/knock"
	"sesame/knocker"
)

// jumpHost is x/crypto/ssh's server on one end of a loopback connection, standing in
// for a jump host without sesame: it refuses every direct-tcpip channel,
// as a port that resets, and notes the ports asked for, in order.
type jumpHost struct {
	client *ssh.Client
	mu     sync.Mutex
	ports  []uint32
}

func newJumpHost(t *testing.T) *jumpHost {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	srvCfg := &ssh.ServerConfig{NoClientAuth: true}
	srvCfg.AddHostKey(signer)
	// Loopback TCP, not net.Pipe: both ends write their version first.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	here, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	there, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	j := &jumpHost{}
	go func() {
		_, chans, reqs, err := ssh.NewServerConn(there, srvCfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs) // answers keepalives
		for nc := range chans {
			// direct-tcpip: host string, port uint32, origin string, port uint32.
			extra := nc.ExtraData()
			if len(extra) >= 4 {
				n := binary.BigEndian.Uint32(extra)
				if int(n)+8 <= len(extra) {
					j.mu.Lock()
					j.ports = append(j.ports, binary.BigEndian.Uint32(extra[4+n:]))
					j.mu.Unlock()
				}
			}
			_ = nc.Reject(ssh.ConnectionFailed, "connect failed")
		}
	}()
	c, chans, reqs, err := ssh.NewClientConn(here, "jump", &ssh.ClientConfig{User: "root", HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	j.client = ssh.NewClient(c, chans, reqs)
	t.Cleanup(func() { j.client.Close() })
	return j
}

// TestKnockThroughJumpCutShort: a knock through a jump host cut short
// before its last knock opened nothing (a plain error, NotOpened); cut
// short after it, the door may be open (a MaybeOpenedError, which the
// flow closes). The knocks reach the jump host in order.
func TestKnockThroughJumpCutShort(t *testing.T) {
	seq, _ := knocker.ParseSequence("7001,7002,7003,7004,7005,7006,7007,7008")
	addr := netip.MustParseAddr("192.0.2.9")
	for _, tt := range []struct {
		name      string
		cancelAt  int // cancel when this knock has been sent; 0: never
		wantMaybe bool
		wantErr   bool
	}{
		{"whole", 0, false, false},
		{"before the last knock", 3, false, true},
		{"after the last knock", len(seq), true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := newJumpHost(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			opts := knock.Options{Progress: func(ev knock.Event) {
				if ev.Kind == knock.Sent && ev.Step == tt.cancelAt {
					cancel()
				}
			}}
			err := knockChannels(ctx, j.client, addr, seq, opts)
			var maybe *MaybeOpenedError
			if (err != nil) != tt.wantErr || errors.As(err, &maybe) != tt.wantMaybe {
				t.Fatalf("knockChannels = %v; want an error %v, a MaybeOpenedError %v", err, tt.wantErr, tt.wantMaybe)
			}
			if tt.wantErr {
				return
			}
			j.mu.Lock()
			defer j.mu.Unlock()
			for i, p := range j.ports {
				if p != uint32(seq[i].Port) {
					t.Fatalf("the jump host saw ports %v, want the sequence's in order", j.ports)
				}
			}
		})
	}
}
