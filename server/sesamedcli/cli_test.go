package sesamedcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	deps := Deps{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(string) string { return "" }}
	code = Main(context.Background(), args, deps)
	return code, out.String(), errOut.String()
}

func writeConf(t *testing.T, conf string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "knockd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck(t *testing.T) {
	seqs := filepath.Join(t.TempDir(), "seqs")
	if err := os.WriteFile(seqs, []byte(" 1111,2222\n#3333,4444\n 5555:udp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeConf(t, `[options]
	Interface = lo
	Firewall  = nftables
[openSSH]
	sequence      = 31337,4242:udp,2121
	seq_timeout   = 5
	tcpflags      = syn
	start_command = /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
	cmd_timeout   = 20
	stop_command  = /sbin/iptables -D INPUT -s %IP% -p tcp --dport 22 -j ACCEPT
[native]
	sequence        = 31338,4243
	open_ports      = 22,60001:udp
	access_time     = 0
	close_when_idle = 300
	close_sequence  = 4243,31338
[smtp]
	one_time_sequences = `+seqs+`
	command = /bin/true
	command = /bin/false
`)
	tests := []struct {
		name       string
		args       []string
		code       int
		out, err   []string
		notInOuput []string
	}{
		{"a good config", []string{"check", "-c", good}, 0,
			[]string{good + ": OK, 3 doors", "options: interface lo, firewall nftables",
				"[openSSH] line 4: 3 knocks (tcp and udp), seq_timeout 5s, tcpflags syn, cooldown 2s",
				"    start command: /sbin/iptables -I INPUT -s %IP% -p tcp --dport 22 -j ACCEPT",
				"    stop command after 20s: /sbin/iptables -D",
				"    opens 22/tcp, 60001/udp for the knocking address with no time limit, closed after 5m0s without an established connection",
				"    close sequence: 2 knocks (tcp)",
				"[smtp] line 17: one-time sequences from " + seqs + " (2 left)"},
			[]string{"warning: " + good + ":20: command is set twice in [smtp] (before on line 19)"},
			[]string{"31337", "4242", "4243", "1111", "5555"}},
		{"-c before the command", []string{"-c", good, "check"}, 0, []string{"OK, 3 doors"}, nil, nil},
		{"a bad config", []string{"check", "-c", writeConf(t, "[d]\nsequence = 31337,99999\n")}, 1,
			nil, []string{"sesamed check: ", `knockd.conf:2: Sequence has a bad knock "99999"`}, []string{"31337"}},
		{"a missing one-time file", []string{"check", "-i", "lo", "-c", writeConf(t, "[d]\none_time_sequences = /nonexistent/seqs\n")}, 1,
			nil, []string{"sesamed check: door [d]: read one-time sequences: open /nonexistent/seqs"}, nil},
		{"a missing config", []string{"check", "-c", "/nonexistent/knockd.conf"}, 1,
			nil, []string{"read knockd config", "/nonexistent/knockd.conf"}, nil},
		{"version", []string{"-V"}, 0, []string{"sesamed ", "(knockd 0.8 compatible)"}, nil, nil},
		{"an unknown flag", []string{"-x"}, 2, nil, []string{"unknown flag -x: see sesamed --help"}, nil},
		{"an argument", []string{"eth0"}, 2, nil, []string{"unknown command \"eth0\""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			// The temporary directories' random names may hold any digits.
			shown := strings.NewReplacer(filepath.Dir(good), "DIR", filepath.Dir(seqs), "DIR").Replace(out + errOut)
			for _, s := range tt.notInOuput {
				if strings.Contains(shown, s) {
					t.Errorf("the output shows %q, part of a secret sequence:\n%s%s", s, out, errOut)
				}
			}
		})
	}
}

// TestCheckSaysWhatTheDaemonWill: check loads the config through the
// daemon's own loading (loadconf), so the log file, the one-time files and
// the interfaces are judged as sesamed judges them at start, and -i and -g
// count as they do for sesamed.
func TestCheckSaysWhatTheDaemonWill(t *testing.T) {
	dir := t.TempDir()
	spent := filepath.Join(dir, "spent")
	if err := os.WriteFile(spent, []byte("#1111,2222\n\n# comment\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missingDir := filepath.Join(dir, "missing")
	badLog := writeConf(t, "[options]\n\tLogFile = "+missingDir+"/knockd.log\n[d]\n\tsequence = 7000\n\tcommand = /bin/true\n")
	onlyDoor := writeConf(t, "[d]\n\tsequence = 7000\n\tcommand = /bin/true\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err []string
	}{
		{"a log file in a missing directory", []string{"check", "-i", "lo", "-c", badLog}, 0,
			[]string{"OK, 1 door", "options: interface lo\n"},
			[]string{"warning: cannot open the log file " + missingDir + "/knockd.log: directory " + missingDir + " does not exist; sesamed logs to standard error instead (create the directory, or fix LogFile)"}},
		{"-g wins over LogFile", []string{"check", "-i", "lo", "-c", badLog, "-g", filepath.Join(dir, "k.log")}, 0,
			[]string{"options: interface lo, log file " + filepath.Join(dir, "k.log")}, nil},
		{"a bad -g", []string{"check", "-i", "lo", "-c", onlyDoor, "-g", missingDir + "/k.log"}, 0,
			nil, []string{"warning: cannot open the log file " + missingDir + "/k.log", "fix -g)"}},
		{"a one-time file with no usable line", []string{"check", "-i", "lo", "-c", writeConf(t, "[smtp]\n\tone_time_sequences = "+spent+"\n\tcommand = /bin/true\n")}, 0,
			[]string{"[smtp] line 1: one-time sequences from " + spent + " (none left: DISABLED)"},
			[]string{"knockd.conf:1: door [smtp] is disabled: " + spent + " has no unused sequence left (knockd refuses to start with it; sesamed runs the other doors)"}},
		{"an interface that does not exist", []string{"check", "-c", writeConf(t, "[options]\n\tInterface = nosuch0\n[d]\n\tsequence = 7000\n")}, 1,
			nil, []string{"sesamed check: interface nosuch0 does not exist (fix -i or Interface; this machine has ", "lo"}},
		{"-i wins over Interface", []string{"check", "-i", "lo", "-c", writeConf(t, "[options]\n\tInterface = nosuch0\n[d]\n\tsequence = 7000\n")}, 0,
			[]string{"options: interface lo"}, nil},
		{"a missing -i", []string{"check", "-i", "lo,nosuch1", "-c", onlyDoor}, 1,
			nil, []string{"interface nosuch1 does not exist"}},
		{"a repeated door", []string{"check", "-i", "lo", "-c", writeConf(t, "[d]\n\tsequence = 7000\n[d]\n\tsequence = 8000\n")}, 0,
			[]string{"OK, 2 doors", "[d] line 1: 1 knock", "[d] line 3: 1 knock"},
			[]string{"knockd.conf:3: [d] is defined twice (first on line 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "k.log")); err == nil {
		t.Error("check created the log file")
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-V"}, {"version"}} {
		code, out, errOut := run(t, args...)
		if code != 0 || !strings.HasPrefix(out, "sesamed ") || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("sesamed %v = %d, %q, %q; want 0 and one line", args, code, out, errOut)
		}
	}
}

func TestCompletion(t *testing.T) {
	if _, help, _ := run(t, "--help"); !strings.Contains(help, "completion") {
		t.Fatalf("help does not list completion:\n%s", help)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, _ := run(t, "completion", shell); code != 0 || !strings.Contains(out, "sesamed") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
	if _, out, _ := run(t, "__complete", "-i", ""); !strings.Contains(out, "lo\n") {
		t.Errorf("-i does not complete interfaces: %q", out)
	}
	if _, out, _ := run(t, "__complete", "ch"); !strings.HasPrefix(out, "check\t") {
		t.Errorf("subcommands are not completed: %q", out)
	}
}
