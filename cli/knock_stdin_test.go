package cli

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKnockSequenceFromStdin: `knock HOST -` reads the sequence from
// standard input (a jump host's sesame is given a door's knock that way,
// out of argv), and refuses to print it.
func TestKnockSequenceFromStdin(t *testing.T) {
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	port := strconv.Itoa(sink.LocalAddr().(*net.UDPAddr).Port)
	e := newProfileEnv(t)
	e.ok(port+":udp,"+port+":udp\n", "knock", "127.0.0.1", "-")
	buf := make([]byte, 64)
	for i := 0; i < 2; i++ {
		_ = sink.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := sink.ReadFromUDP(buf); err != nil {
			t.Fatalf("knock %d from the stdin sequence did not arrive: %v", i+1, err)
		}
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		says  string
	}{
		{"", []string{"knock", "127.0.0.1", "-"}, "standard input has no sequence"},
		{"47123,x\n", []string{"knock", "127.0.0.1", "-"}, "the sequence on standard input is not one"},
		{"47123\n", []string{"knock", "-v", "127.0.0.1", "-"}, "which are a secret"},
	} {
		code, _, stderr := e.run(tt.stdin, tt.args...)
		if code != ExitKnock || !strings.Contains(stderr, tt.says) || strings.Contains(stderr, "47123") {
			t.Errorf("%v with %q: exit %d, %q; want %d, %q and no port", tt.args, tt.stdin, code, stderr, ExitKnock, tt.says)
		}
	}
}
