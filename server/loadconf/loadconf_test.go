//go:build linux

package loadconf

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sesame/server/netwatch"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	seqs := write(t, dir, "seqs", " 1111,2222\n#3333\n 5555:udp\n")
	spent := write(t, dir, "spent", "#1111\n")
	net := netwatch.State{"eth0": {Name: "eth0"}, "wg0": {Name: "wg0"}}
	noRoutes := func() []string { return nil }
	tests := []struct {
		name     string
		conf     string
		opt      Options
		err      string
		ifaces   []string
		logFile  string
		warnings []string
	}{
		{"defaults", "[d]\nsequence = 7000\n", Options{Net: net, DefaultRoutes: noRoutes}, "",
			[]string{"eth0"}, "", nil},
		{"the default routes' interfaces", "[d]\nsequence = 7000\n", Options{Net: net, DefaultRoutes: func() []string { return []string{"wg0"} }}, "",
			[]string{"wg0"}, "", nil},
		{"Interface", "[options]\ninterface = wg0, eth0\n[d]\nsequence = 7000\n", Options{Net: net}, "",
			[]string{"wg0", "eth0"}, "", nil},
		{"-i wins", "[options]\ninterface = nosuch0\n[d]\nsequence = 7000\n", Options{Net: net, Interfaces: []string{"any"}}, "",
			[]string{"any"}, "", nil},
		{"a missing interface", "[options]\ninterface = eth0,nosuch0\n[d]\nsequence = 7000\n", Options{Net: net}, "interface nosuch0 does not exist (fix -i or Interface; this machine has eth0, wg0)",
			nil, "", nil},
		{"no interface or log file check on reload", "[options]\ninterface = nosuch0\nlogfile = " + dir + "/no/k.log\n[d]\nsequence = 7000\n", Options{Reload: true}, "",
			[]string{"nosuch0"}, dir + "/no/k.log", nil},
		{"a log file that cannot be opened", "[options]\nlogfile = " + dir + "/no/k.log\n[d]\nsequence = 7000\n", Options{Net: net, DefaultRoutes: noRoutes}, "",
			[]string{"eth0"}, dir + "/no/k.log",
			[]string{"cannot open the log file " + dir + "/no/k.log: directory " + dir + "/no does not exist; sesamed logs to standard error instead (create the directory, or fix LogFile)"}},
		{"-g wins", "[options]\nlogfile = " + dir + "/no/k.log\n[d]\nsequence = 7000\n", Options{Net: net, LogFile: dir + "/k.log", DefaultRoutes: noRoutes}, "",
			[]string{"eth0"}, dir + "/k.log", nil},
		{"one-time sequences", "[d]\none_time_sequences = " + seqs + "\n", Options{Net: net, DefaultRoutes: noRoutes}, "",
			[]string{"eth0"}, "", nil},
		{"a spent one-time file", "[a]\nsequence = 7000 # door\n[d]\none_time_sequences = " + spent + "\n", Options{Net: net, DefaultRoutes: noRoutes}, "",
			[]string{"eth0"}, "",
			[]string{"k.conf:2: sequence: the text after the port of knock 1 is ignored", "k.conf:3: door [d] is disabled: " + spent + " has no unused sequence left"}},
		{"a missing one-time file", "[d]\none_time_sequences = " + dir + "/nonexistent\n", Options{Net: net}, "door [d]: read one-time sequences: open " + dir + "/nonexistent",
			nil, "", nil},
		{"a seed others may read", "[d]\nrotating_seed_file = " + write(t, dir, "seed", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n") + "\n", Options{Net: net}, "door [d]: seed file " + dir + "/seed has mode 0644",
			nil, "", nil},
		{"a bad config", "[d]\nsequence = 7000,\n", Options{Net: net}, "k.conf:2: Sequence ends with a comma",
			nil, "", nil},
	}
	if err := os.Chmod(filepath.Join(dir, "seed"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Path = write(t, t.TempDir(), "k.conf", tt.conf)
			ld, err := Load(tt.opt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load = %v, want an error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ld.Interfaces, tt.ifaces) || ld.LogFile != tt.logFile {
				t.Errorf("interfaces %v, log file %q; want %v, %q", ld.Interfaces, ld.LogFile, tt.ifaces, tt.logFile)
			}
			if len(ld.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", ld.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.HasPrefix(strings.TrimPrefix(ld.Warnings[i], filepath.Dir(tt.opt.Path)+"/"), w) {
					t.Errorf("warning %q, want %q", ld.Warnings[i], w)
				}
			}
			if len(ld.Doors) != len(ld.Config.Doors) {
				t.Fatalf("%d doors loaded of %d", len(ld.Doors), len(ld.Config.Doors))
			}
		})
	}
}

func TestLoadedDoors(t *testing.T) {
	dir := t.TempDir()
	seqs := write(t, dir, "seqs", " 1111,2222\n#3333\n 5555:udp\n")
	spent := write(t, dir, "spent", "#1111\n")
	conf := write(t, dir, "k.conf", "[fixed]\nsequence = 7000\n[one]\none_time_sequences = "+seqs+
		"\n[spent]\none_time_sequences = "+spent+"\n[rot]\nrotating_seed = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n")
	ld, err := Load(Options{Path: conf})
	if err != nil {
		t.Fatal(err)
	}
	fixed, one, sp, rot := ld.Doors[0], ld.Doors[1], ld.Doors[2], ld.Doors[3]
	if fixed.Disabled() || fixed.OneTime != nil || fixed.Rotation != nil {
		t.Errorf("fixed door %+v", fixed)
	}
	if len(one.OneTime) != 2 || one.OneTime[1].Sequence.String() != "5555:udp" || one.Disabled() {
		t.Errorf("one-time door: %+v", one.OneTime)
	}
	if !sp.Disabled() {
		t.Error("a one-time door with nothing left must be disabled")
	}
	if rot.Rotation == nil || rot.Disabled() {
		t.Errorf("rotating door %+v", rot)
	}
}

// TestReadableSecrets: a config holding a sequence or a seed itself, or a
// one-time sequences file, that others than its owner can read is warned
// about (a seed file is refused: TestLoad).
func TestReadableSecrets(t *testing.T) {
	net := netwatch.State{"eth0": {Name: "eth0"}}
	const seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		name string
		conf string
		mode os.FileMode
		want string // "" for no warning
	}{
		{"sequence, 0600", "[a]\nsequence = 7000,8000\n", 0o600, ""},
		{"sequence, 0644", "[a]\nsequence = 7000,8000\n", 0o644, "k.conf has mode 0644, so others than its owner can read the Sequence of [a] and knock: chmod 600 "},
		{"sequence, 0640", "[a]\nsequence = 7000,8000\n", 0o640, "k.conf has mode 0640, so others than its owner can read the Sequence of [a]"},
		{"sequence, 0604", "[a]\nsequence = 7000,8000\n", 0o604, "k.conf has mode 0604"},
		{"seed and close sequence", "[a]\nsequence = 7000,8000\nopen_ports = 22\nclose_sequence = 8000,7000\n[r]\nrotating_seed = " + seed + "\n", 0o644,
			"read the Sequence of [a], the Close_Sequence of [a], the Rotating_Seed of [r] and knock"},
		{"one-time file, 0600", "[o]\none_time_sequences = ONETIME\n", 0o600, ""},
		{"one-time file, 0640", "[o]\none_time_sequences = ONETIME\n", 0o640, "door [o]: ONETIME has mode 0640, so others than its owner can read its sequences and knock: chmod 600 ONETIME"},
		{"no secret in the config", "[o]\none_time_sequences = ONETIME\n", 0o644, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			onetime := write(t, dir, "onetime", "1111,2222\n")
			conf := write(t, dir, "k.conf", strings.ReplaceAll(tt.conf, "ONETIME", onetime))
			chmod := conf
			if strings.Contains(tt.conf, "ONETIME") && tt.name != "no secret in the config" {
				chmod = onetime
			}
			if err := os.Chmod(chmod, tt.mode); err != nil {
				t.Fatal(err)
			}
			ld, err := Load(Options{Path: conf, Net: net, DefaultRoutes: func() []string { return nil }})
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, w := range ld.Warnings {
				if strings.Contains(w, "mode 0") {
					found = append(found, w)
				}
			}
			want := strings.ReplaceAll(tt.want, "ONETIME", onetime)
			switch {
			case want == "" && len(found) > 0:
				t.Fatalf("warned %q", found)
			case want != "" && (len(found) != 1 || !strings.Contains(found[0], want)):
				t.Fatalf("warnings %q, want one saying %q", ld.Warnings, want)
			}
		})
	}
}

// TestOneTimeFileLink: a one-time sequences file named through a symbolic
// link is warned about: marking a line used replaces the link.
func TestOneTimeFileLink(t *testing.T) {
	dir := t.TempDir()
	target := write(t, dir, "real", "1111,2222\n")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		warn bool
	}{{target, false}, {link, true}} {
		conf := write(t, t.TempDir(), "k.conf", "[o]\none_time_sequences = "+tc.path+"\n")
		ld, err := Load(Options{Path: conf, Net: netwatch.State{"eth0": {Name: "eth0"}}, DefaultRoutes: func() []string { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		want := tc.path + " is a symbolic link: marking a sequence used replaces the link"
		if got := slices.ContainsFunc(ld.Warnings, func(w string) bool { return strings.Contains(w, want) }); got != tc.warn {
			t.Fatalf("%s: warnings %q, want a link warning: %v", tc.path, ld.Warnings, tc.warn)
		}
	}
}
