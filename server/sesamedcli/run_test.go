package sesamedcli

import (
	"testing"

	"sesame/knockdconf"
)

// TestPidFilePath: -p wins, even empty; -d writes the config's PidFile or
// the default; in the foreground no pid file without -p, as knockd.
func TestPidFilePath(t *testing.T) {
	cases := []struct {
		name string
		opts runOptions
		conf string // the config's PidFile
		want string
	}{
		{"foreground", runOptions{}, "/run/conf.pid", ""},
		{"-p in the foreground", runOptions{PidFile: "/tmp/p.pid", PidFileSet: true}, "/run/conf.pid", "/tmp/p.pid"},
		{"-p wins over the config", runOptions{Daemon: true, PidFile: "/tmp/p.pid", PidFileSet: true}, "/run/conf.pid", "/tmp/p.pid"},
		{"-d with the config's", runOptions{Daemon: true}, "/run/conf.pid", "/run/conf.pid"},
		{"-d with the default", runOptions{Daemon: true}, "", DefaultPidFile},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pidFilePath(&tc.opts, &knockdconf.Config{PidFile: tc.conf}); got != tc.want {
				t.Errorf("pid file %q, want %q", got, tc.want)
			}
		})
	}
}
