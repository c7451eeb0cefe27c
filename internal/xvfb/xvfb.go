//go:build linux

package xvfb

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Display is a running Xvfb server.
type Display struct {
	// Name is the DISPLAY value, ":N".
	Name string
	cmd  *exec.Cmd
}

// Require skips the test, with the reason, when a tool is missing.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (scripts/deps.sh test installs it)", tool)
		}
	}
}

// Start starts Xvfb with a screen of width×height at depth 24 on a free
// display number, and stops it when the test ends.
func Start(t testing.TB, width, height int) *Display {
	t.Helper()
	Require(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height),
		"-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			t.Fatalf("Xvfb did not start: %s", stderr.String())
		}
		return &Display{Name: ":" + n, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("Xvfb did not report a display within 30 s: %s", stderr.String())
	}
	return nil
}

// Screenshot takes the whole screen with xwd.
func (d *Display) Screenshot(t testing.TB) image.Image {
	t.Helper()
	Require(t, "xwd")
	out, err := exec.Command("xwd", "-root", "-silent", "-display", d.Name).Output()
	if err != nil {
		t.Fatalf("xwd: %v", err)
	}
	img, err := DecodeXWD(out)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// SavePNG writes img to path, creating its directory.
func SavePNG(t testing.TB, img image.Image, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Xdotool runs xdotool on the display and returns its output.
func (d *Display) Xdotool(t testing.TB, args ...string) string {
	t.Helper()
	Require(t, "xdotool")
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.Name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
