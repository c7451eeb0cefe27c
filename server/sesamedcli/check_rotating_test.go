package sesamedcli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sesame/rotate"
	"sesame/rotate/rotatetest"
	"sesame/server/rotating"
)

const testSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestCheckRotating(t *testing.T) {
	dir := t.TempDir()
	seedFile := filepath.Join(dir, "web.seed")
	if err := os.WriteFile(seedFile, []byte(testSeed+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose.seed")
	if err := os.WriteFile(loose, []byte(testSeed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := writeConf(t, `[options]
	StateDir = `+dir+`
[SSH]
	Rotating_Seed      = `+testSeed+`
	Rotating_Length    = 3
	Rotating_Ports     = 2000-2010
	Rotating_Protocols = mixed
	Rotating_Window    = 60
	command = /bin/true
[web]
	Rotating_Seed_File = `+seedFile+`
	command = /bin/true
`)
	// At 2005-03-18T01:58:29Z the vectors give window 18518518 of [SSH]
	// 2002:udp,2004,2009.
	const at = "2005-03-18T01:58:29Z"
	code, out, errOut := run(t, "check", "-c", conf, "-i", "lo")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"spent windows are kept in " + filepath.Join(dir, "spent-windows.json"),
		"[SSH] line 3: rotating, 3 knocks (mixed) on ports 2000-2010, a new sequence every 1m0s, seed inline",
		"[web] line 10: rotating, 4 knocks (tcp) on ports 10000-60000, a new sequence every 30s, seed in " + seedFile,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("check lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "    window ") || strings.Contains(out+errOut, "GEZDGNBV") {
		t.Fatalf("check without --show-current shows a sequence or the seed:\n%s%s", out, errOut)
	}

	// sesamed spent the current window of [SSH].
	when, _ := time.Parse(time.RFC3339, at)
	seed, _ := rotate.ParseSeed(testSeed)
	door, err := rotating.NewDoor(seed, rotate.Params{Length: 3, PortMin: 2000, PortMax: 2010, Protocols: rotate.Mixed, Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	l, err := rotating.OpenLedger(filepath.Join(dir, rotating.StateFile), when)
	if err != nil {
		t.Fatal(err)
	}
	l.Spend(door.ID, door.Params, 18518518, when)
	if err := l.Save(when); err != nil {
		t.Fatal(err)
	}

	code, out, errOut = run(t, "check", "-c", conf, "-i", "lo", "--show-current", "--at", at)
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, w := range []string{
		"    window 18518518 (current, 31s left, SPENT): 2002:udp,2004,2009",
		"    window 18518517 (previous, still accepted): ",
		"    window 18518519 (next, accepted already): ",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("check --show-current lacks %q:\n%s", w, out)
		}
	}

	bad := writeConf(t, "[web]\n\tRotating_Seed_File = "+loose+"\n\tcommand = /bin/true\n")
	code, _, errOut = run(t, "check", "-c", bad, "-i", "lo")
	if code != 1 || !strings.Contains(errOut, "has mode 0644, so others may read the seed: chmod 600 "+loose) {
		t.Fatalf("a seed file others can read: exit %d, stderr:\n%s", code, errOut)
	}
	if code, _, errOut := run(t, "check", "-c", conf, "--at", at); code != 2 || !strings.Contains(errOut, "--at goes with --show-current") {
		t.Fatalf("--at alone: exit %d: %s", code, errOut)
	}
}

// TestCheckShowCurrentVectors holds sesamed to the derivation vectors the
// client is tested against: a door written from each vector, checked at
// the vector's time, shows the vector's sequence as the current one.
func TestCheckShowCurrentVectors(t *testing.T) {
	for _, v := range rotatetest.Load(t) {
		conf := writeConf(t, "[options]\n\tStateDir = "+t.TempDir()+"\n[v]\n\tRotating_Seed = "+v.Seed+
			"\n\tRotating_Length = "+strconv.Itoa(v.Length)+"\n\tRotating_Ports = "+v.Ports+
			"\n\tRotating_Protocols = "+v.Protocols+"\n\tRotating_Window = "+v.WindowSeconds()+"\n\tcommand = /bin/true\n")
		code, out, errOut := run(t, "check", "-c", conf, "-i", "lo", "--show-current", "--at", v.Time)
		if code != 0 {
			t.Fatalf("exit %d:\n%s%s", code, out, errOut)
		}
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "(current, ") {
				found = strings.HasSuffix(line, "): "+v.Sequence)
				if !found {
					t.Errorf("vector %s %s %s at %s: sesamed shows %q, the vector says %s", v.Seed[:8], v.Ports, v.Window, v.Time, line, v.Sequence)
				}
			}
		}
		if !found && !t.Failed() {
			t.Fatalf("no current window in:\n%s", out)
		}
	}
}
