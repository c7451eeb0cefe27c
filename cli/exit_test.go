package cli

import (
	"strings"
	"testing"
)

// TestExitStatuses checks the statuses scripts rely on: connect and proxy
// exit 255 for every failure of their own, as ssh does, so that any other
// status is the remote command's; knock exits 1 as knock(1) does; the
// other commands 2 for bad usage and 1 for a failure while working.
func TestExitStatuses(t *testing.T) {
	e := newProfileEnv(t)
	e.ok("", "profile", "add", "far", "--host", "far.example.com", "--open", "7000")
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"connect without a name", []string{"connect"}, ExitSSH, "name a profile"},
		{"connect unknown profile", []string{"connect", "nosuch"}, ExitSSH, `no profile named "nosuch"`},
		{"connect unknown flag", []string{"connect", "--nope", "far"}, ExitSSH, "--nope"},
		{"connect -t and -T", []string{"connect", "-t", "-T", "far"}, ExitSSH, "-t and -T"},
		{"connect cannot resolve", []string{"connect", "far"}, ExitSSH, "far.example.com"},
		{"proxy unknown profile", []string{"proxy", "nosuch"}, ExitSSH, "nosuch"},
		{"proxy bad port", []string{"proxy", "far", "h", "0"}, ExitSSH, `bad port "0"`},
		{"knock without a host", []string{"knock"}, ExitKnock, "need a host"},
		{"knock unknown flag", []string{"knock", "-x", "h", "1"}, ExitKnock, "-x"},
		{"knock unknown profile", []string{"knock", "nosuch"}, ExitKnock, "nosuch"},
		{"profile show unknown", []string{"profile", "show", "nosuch"}, ExitUsage, "nosuch"},
		{"unknown command", []string{"nosuch"}, ExitUsage, "nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := e.run("", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.says) {
				t.Fatalf("sesame %v = %d, %q; want %d and %q", tt.args, code, stderr, tt.code, tt.says)
			}
		})
	}
}
