//go:build linux

package instance

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestAcquire: the second Acquire of a name is refused with the holder's
// pid, and after Release the name is free again.
func TestAcquire(t *testing.T) {
	name := fmt.Sprintf("sesamed-test-%d", os.Getpid())
	l, err := Acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(name)
	var running *RunningError
	if !errors.As(err, &running) {
		t.Fatalf("second Acquire: %v, want a RunningError", err)
	}
	if running.Pid != os.Getpid() {
		t.Errorf("holder pid %d, want %d", running.Pid, os.Getpid())
	}
	want := fmt.Sprintf("sesamed is already running (pid %d)", os.Getpid())
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l, err = Acquire(name)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
}
