//go:build linux

package loadconf

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"sesame/knockdconf"
	"sesame/server/netwatch"
)

const accessKeys = "KEY_BASE64 wZKlpSaD2bCkFuYKLZAMVN9ZRLDgQr4JNR7hhqj8d9A=\nHMAC_KEY_BASE64 Ld4BVpgzVFhyjHIwNb4hXy0+pB3IyHBWBFIBONi8Qm2XwJc2kp1mSP9h7xSVHzn1lX3q6G9OQdLTXo4EwoDS7A==\n"

// TestLoadAccess: Fwknop_Access is read with the config, its warnings
// join the config's, and a bad one stops the load with its file:line.
func TestLoadAccess(t *testing.T) {
	dir := t.TempDir()
	acc := write(t, dir, "access.conf", "SOURCE ANY\n"+accessKeys+"REQUIRE_SOURCE_ADDRESS Y\nNOPE 1\n")
	conf := write(t, dir, "k.conf", "[options]\nfwknop_access = "+acc+"\n")
	net := netwatch.State{"eth0": {Name: "eth0"}}
	o := Options{Path: conf, Net: net, DefaultRoutes: func() []string { return nil }}
	ld, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	if ld.Access == nil || len(ld.Access.Stanzas) != 1 {
		t.Fatalf("access: %+v", ld.Access)
	}
	if !slices.ContainsFunc(ld.Warnings, func(w string) bool { return strings.HasPrefix(w, acc+":5: unknown variable NOPE") }) {
		t.Errorf("warnings: %q", ld.Warnings)
	}
	if err := os.Chmod(acc, 0o644); err != nil {
		t.Fatal(err)
	}
	if ld, err = Load(o); err != nil || !slices.Contains(ld.Warnings, acc+" has mode 0644, so others than its owner can read its keys and send SPA packets: chmod 600 "+acc) {
		t.Errorf("readable access file: %v %q", err, ld.Warnings)
	}
	write(t, dir, "access.conf", "SOURCE ANY\nKEY_BASE64 __CHANGEME__\n")
	_, err = Load(o)
	if err == nil || !strings.HasPrefix(err.Error(), "Fwknop_Access: "+acc+":2: KEY_BASE64 is still __CHANGEME__") {
		t.Errorf("bad access file: %v", err)
	}
	// The same error type as a knockd.conf's: reports by file and line
	// (check --json) find it.
	var ce *knockdconf.Error
	if !errors.As(err, &ce) || ce.File != acc || ce.Line != 2 {
		t.Errorf("not a *knockdconf.Error at %s:2: %#v", acc, err)
	}
	o.Reload = true
	if _, err := Load(o); err == nil {
		t.Error("a reload took a bad access file")
	}
}
