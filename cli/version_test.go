package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"sesame/internal/version"
)

func TestVersion(t *testing.T) {
	want := "sesame " + version.Version + "\n"
	for _, args := range [][]string{{"--version"}, {"-V"}, {"version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != ExitOK || out != want || errOut != "" {
			t.Errorf("sesame %v = %d, %q, %q; want 0, %q", args, code, out, errOut, want)
		}
	}
}

func TestHeadlessHelpDoesNotOfferTheApp(t *testing.T) {
	for _, headless := range []bool{false, true} {
		var out bytes.Buffer
		deps := Deps{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Headless: headless}
		if code := Main(context.Background(), []string{"--help"}, deps); code != ExitOK {
			t.Fatalf("--help exits %d", code)
		}
		if offers := strings.Contains(out.String(), "desktop app"); offers == headless {
			t.Errorf("headless=%v: help mentions the desktop app: %v\n%s", headless, offers, out.String())
		}
	}
}

// TestProfileEditHelpShowsNoDefaults: edit changes only the flags given,
// so its help must not show add's defaults, which edit never applies.
func TestProfileEditHelpShowsNoDefaults(t *testing.T) {
	_, add, _ := runCLI(t, "profile", "add", "--help")
	if !strings.Contains(add, "(default 4)") {
		t.Fatalf("add --help lost its defaults:\n%s", add)
	}
	_, edit, _ := runCLI(t, "profile", "edit", "--help")
	if strings.Contains(edit, "default") {
		t.Fatalf("edit --help shows defaults:\n%s", edit)
	}
}
