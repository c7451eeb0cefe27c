package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

var noDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in unit tests")
}}

// runCLI runs the command line in-process and returns its exit status and
// output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	deps := Deps{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Resolver: noDNS}
	code = Main(context.Background(), args, deps)
	return code, out.String(), errOut.String()
}

// udpSink is a loopback UDP port that records what it receives.
type udpSink struct {
	conn *net.UDPConn
	port string
}

func newUDPSink(t *testing.T) *udpSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpSink{conn: c, port: strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)}
}

// next returns the payload of the next datagram.
func (s *udpSink) next(t *testing.T) []byte {
	t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram arrived: %v", err)
	}
	return buf[:n]
}

// sentinel sends a marked datagram: whatever the sink reads before it was
// sent before it.
func (s *udpSink) sentinel(t *testing.T) {
	t.Helper()
	c, err := net.Dial("udp4", "127.0.0.1:"+s.port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("sentinel")); err != nil {
		t.Fatal(err)
	}
}

func TestKnockBadInput(t *testing.T) {
	sink := newUDPSink(t)
	tests := []struct {
		name  string
		args  []string
		token string // the error must name it
	}{
		{"port 0", []string{"-u", "127.0.0.1", sink.port, "0"}, `"0"`},
		{"port 70000", []string{"-u", "127.0.0.1", sink.port, "70000"}, `"70000"`},
		{"not a number", []string{"-u", "127.0.0.1", sink.port, "abc"}, `"abc"`},
		{"unknown protocol", []string{"127.0.0.1", sink.port + ":udp", "22:icmp"}, `"22:icmp"`},
		{"empty element", []string{"-u", "127.0.0.1", sink.port + ",,1"}, `extra comma`},
		{"no ports", []string{"127.0.0.1"}, "at least one port"},
		{"no host", nil, "need a host"},
		{"unknown host", []string{"-u", "no-such-host.invalid", sink.port}, `"no-such-host.invalid"`},
		{"wrong family", []string{"-6", "-u", "127.0.0.1", sink.port}, `"127.0.0.1"`},
		{"bad delay", []string{"-d", "soon", "-u", "127.0.0.1", sink.port}, `"soon"`},
		{"negative delay", []string{"-d", "-5", "-u", "127.0.0.1", sink.port}, `negative`},
		{"-4 and -6", []string{"-4", "-6", "-u", "127.0.0.1", sink.port}, "-4 and -6"},
		{"unknown flag", []string{"-x", "127.0.0.1", sink.port}, "-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"knock"}, tt.args...)...)
			if code != ExitKnock {
				t.Errorf("exit status %d, want knock(1)'s %d", code, ExitKnock)
			}
			if !strings.Contains(stderr, tt.token) {
				t.Errorf("error %q does not name %s", stderr, tt.token)
			}
			if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, "sesame knock: ") {
				t.Errorf("error %q is not one line starting with \"sesame knock: \"", stderr)
			}
			// Nothing may have been sent before the bad token was found:
			// the first datagram the sink reads must be the sentinel.
			sink.sentinel(t)
			if got := sink.next(t); string(got) != "sentinel" {
				t.Fatalf("a knock was sent despite the bad input (got %q before the sentinel)", got)
			}
		})
	}
}

func TestKnockSendsAndPrintsHits(t *testing.T) {
	sink := newUDPSink(t)
	// Flags after the host, as knock(1) allows.
	code, stdout, stderr := runCLI(t, "knock", "127.0.0.1", sink.port+":udp", "-v", "-d", "1", sink.port+":udp")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "hitting udp 127.0.0.1:" + sink.port + "\n"
	if stdout != want+want {
		t.Fatalf("stdout %q, want %q twice", stdout, want)
	}
	for i := 0; i < 2; i++ {
		if got := sink.next(t); !bytes.Equal(got, []byte{0}) {
			t.Fatalf("knock %d payload %q, want one zero byte as knock(1) sends", i+1, got)
		}
	}
}

func TestKnockVersionAndHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "knock", "-V")
	if code != 0 || !strings.HasPrefix(stdout, "sesame knock ") {
		t.Fatalf("-V: exit %d, %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, "knock", "-h")
	if code != 0 || !strings.Contains(stdout, "-u, --udp") || !strings.Contains(stdout, "-d, --delay") {
		t.Fatalf("-h: exit %d, %q", code, stdout)
	}
}
