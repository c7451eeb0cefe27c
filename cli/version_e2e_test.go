package cli_test

import (
	"os/exec"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// TestHeadlessBinaryVersionAndHelp runs the headless build itself: the
// version flags exit 0, and its help does not offer the desktop app it
// lacks (the build tag sets that, which only the binary shows).
func TestHeadlessBinaryVersionAndHelp(t *testing.T) {
	bin := testnet.Binary(t, "sesame", "headless")
	for _, arg := range []string{"--version", "-V", "version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "sesame ") {
			t.Errorf("sesame %s: %v %q", arg, err, out)
		}
	}
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || strings.Contains(string(out), "desktop app") {
		t.Fatalf("headless --help: %v\n%s", err, out)
	}
}
