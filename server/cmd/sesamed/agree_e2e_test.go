//go:build linux

package main_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sesame/internal/testnet"
)

// testdataDir holds the configs the agreement test runs over, with the
// guides' configurations the other end-to-end tests run: the repo's
// knockd.conf test data, real-world shapes included.
const testdataDir = "../../../knockdconf/testdata"

// verdict is what one program made of a config.
type verdict struct {
	started  bool
	warnings []string // "warning: ..." lines, in order
	output   string
}

// inMountNS runs argv in a private mount namespace of its own, inside the
// network namespace, with an empty /var/log (so that no config writes the
// host's logs) and dir as the working directory (for relative paths such
// as a one-time sequences file next to its config).
func inMountNS(dir string, argv ...string) []string {
	script := `set -e; mount -t tmpfs none /var/log; cd "$1"; shift; exec "$@"`
	return append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", dir}, argv...)
}

// startVerdict starts a daemon and waits until it listens or exits, then
// stops it.
func startVerdict(t *testing.T, ns *testnet.NS, dir string, argv ...string) verdict {
	t.Helper()
	p := ns.Start(t, "unshare", inMountNS(dir, argv...)...)
	exited := false
	testnet.WaitFor(t, argv[0]+" to listen or exit", func() bool {
		select {
		case <-p.Done():
			exited = true
			return true
		default:
			return strings.Contains(p.Output(), "listening on ")
		}
	})
	p.Stop()
	out := p.Output()
	return verdict{started: !exited, warnings: warningLines(out), output: out}
}

func warningLines(out string) []string {
	var w []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "warning: ") {
			w = append(w, l)
		}
	}
	return w
}

// TestCheckAgreesWithTheDaemon runs every config in the test data through
// `sesamed check` and a real sesamed start, on the same machine (a network
// namespace with an eth0, knockd's default interface), and holds them to
// the same verdict and the same warnings: a config check accepts starts,
// one it refuses does not. Knockd 0.8 starts on each as well, and where it
// decides otherwise the config is one of the differences the README lists.
func TestCheckAgreesWithTheDaemon(t *testing.T) {
	testnet.RequireTools(t, "unshare", "mount", "knockd")
	bin := testnet.Binary(t, "sesame/server/cmd/sesamed")
	dir, err := filepath.Abs(testdataDir)
	if err != nil {
		t.Fatal(err)
	}
	confs, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil || len(confs) == 0 {
		t.Fatalf("no configs in %s: %v", dir, err)
	}
	guides := t.TempDir()
	for name, text := range map[string]string{"testnet.GuideConf": testnet.GuideConf, "testnet.MixedConf": testnet.MixedConf,
		"testnet.UDPConf": testnet.UDPConf, "testnet.IPv6Conf": testnet.IPv6Conf} {
		path := filepath.Join(guides, name+".conf")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		confs = append(confs, path)
	}
	// What each real-world shape must do, besides check and sesamed
	// agreeing: start or not, say this warning, and where knockd decides
	// otherwise (the README's differences table).
	want := map[string]struct {
		starts  bool
		warning string // a substring of a warning, or of the refusal
		knockd  bool   // knockd 0.8 starts with it
	}{
		"guide-pair.conf":                   {true, "", true},
		"testnet.GuideConf.conf":            {true, "", true},
		"testnet.MixedConf.conf":            {true, "", true},
		"testnet.UDPConf.conf":              {true, "", true},
		"testnet.IPv6Conf.conf":             {true, "", true},
		"mixed.conf":                        {true, "", true},
		"onetime.conf":                      {false, "/etc/knockd/smtp_sequences", false},
		"realworld-inline-comments.conf":    {true, "realworld-inline-comments.conf:6: sequence: the text after the port of knock 3 is ignored", true},
		"realworld-trailing-comma.conf":     {false, "realworld-trailing-comma.conf:4: Sequence ends with a comma: knockd reads the empty knock after it as port 0", true},
		"realworld-logfile-dir.conf":        {true, "warning: cannot open the log file /var/log/knockd-missing-dir/knockd.log: directory /var/log/knockd-missing-dir does not exist", true},
		"realworld-onetime-spent.conf":      {true, "warning: " + dir + "/realworld-onetime-spent.conf:7: door [openSMTP] is disabled: realworld-spent.seq has no unused sequence left", false},
		"realworld-repeated.conf":           {true, "realworld-repeated.conf:11: [openSSH] is defined twice (first on line 3)", true},
		"realworld-key-before-section.conf": {false, "realworld-key-before-section.conf:1: logfile comes before any section", false},
		"realworld-unknown-key.conf":        {false, "realworld-unknown-key.conf:3: unknown key \"ports\" in door [openSSH]", false},
		"realworld-missing-interface.conf":  {false, "interface enp0s31f6 does not exist", false},
	}
	p := testnet.NewPair(t)
	// knockd's and sesamed's default interface, when a config names none
	// and no default route does.
	p.Server.Run(t, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer")
	p.Server.Run(t, "ip", "link", "set", "eth0", "up")
	for _, conf := range confs {
		name := filepath.Base(conf)
		t.Run(name, func(t *testing.T) {
			checkOut, checkErr := p.Server.Try("unshare", inMountNS(dir, bin, "check", "-c", conf)...)
			check := verdict{started: checkErr == nil, warnings: warningLines(checkOut), output: checkOut}
			daemon := startVerdict(t, p.Server, dir, bin, "-c", conf, "-v", "-p", filepath.Join(t.TempDir(), "sesamed.pid"))
			if check.started != daemon.started {
				t.Fatalf("check says start=%v, sesamed start=%v\ncheck:\n%s\nsesamed:\n%s", check.started, daemon.started, check.output, daemon.output)
			}
			if !slices.Equal(check.warnings, daemon.warnings) {
				t.Errorf("check warns:\n%s\nsesamed warns:\n%s", strings.Join(check.warnings, "\n"), strings.Join(daemon.warnings, "\n"))
			}
			if !check.started {
				refusal := strings.TrimSpace(check.output[strings.LastIndex(check.output, "sesamed check: ")+len("sesamed check: "):])
				if !strings.Contains(daemon.output, refusal) {
					t.Errorf("check refuses with %q; sesamed says:\n%s", refusal, daemon.output)
				}
			}
			w, ok := want[name]
			if !ok {
				// A config added to the test data: agreement is enough.
				return
			}
			if daemon.started != w.starts || !strings.Contains(check.output, w.warning) {
				t.Errorf("start=%v, want %v, with %q; check said:\n%s", daemon.started, w.starts, w.warning, check.output)
			}
			knockd := startVerdict(t, p.Server, dir, "knockd", "-c", conf, "-v", "-p", filepath.Join(t.TempDir(), "knockd.pid"))
			if knockd.started != w.knockd {
				t.Errorf("knockd start=%v, want %v:\n%s", knockd.started, w.knockd, knockd.output)
			}
		})
	}
}
