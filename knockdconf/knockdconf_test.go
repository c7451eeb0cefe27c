package knockdconf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sesame/knocker"
)

func TestParseGuideExamples(t *testing.T) {
	cfg, err := ParseFile("testdata/guide-pair.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.UseSyslog || len(cfg.Doors) != 3 {
		t.Fatalf("UseSyslog=%v doors=%d, want true and 3", cfg.UseSyslog, len(cfg.Doors))
	}
	open, close := cfg.Doors[0], cfg.Doors[1]
	if open.Name != "openSSH" || open.Sequence.String() != "7000,8000,9000" || open.Line != 4 {
		t.Errorf("openSSH = %q %s line %d", open.Name, open.Sequence, open.Line)
	}
	if close.Sequence.String() != "9000,8000,7000" {
		t.Errorf("closeSSH sequence %s", close.Sequence)
	}
	if open.SeqTimeout != 5*time.Second || open.CmdTimeout != DefaultCmdTimeout {
		t.Errorf("timeouts %v %v", open.SeqTimeout, open.CmdTimeout)
	}
	if open.TCPFlags != (TCPFlags{Set: FlagSYN}) {
		t.Errorf("tcpflags %v", open.TCPFlags)
	}
	if open.StartCommand != "/sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT" {
		t.Errorf("command %q", open.StartCommand)
	}
	if got := open.StartCommandFor(true); got != open.StartCommand {
		t.Errorf("IPv6 start command falls back to %q, want the IPv4 one", got)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}

	cfg, err = ParseFile("testdata/mixed.conf")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Doors[0]
	if cfg.LogFile != "/var/log/knockd.log" || d.Sequence.String() != "2222:udp,3333,4444:udp" ||
		d.CmdTimeout != 5*time.Second || d.StopCommand == "" || d.TCPFlags != (TCPFlags{Set: FlagSYN | FlagACK}) {
		t.Errorf("mixed: %+v", d)
	}

	cfg, err = ParseFile("testdata/onetime.conf")
	if err != nil {
		t.Fatal(err)
	}
	d = cfg.Doors[0]
	if d.OneTimeSequences != "/etc/knockd/smtp_sequences" || len(d.Sequence) != 0 {
		t.Errorf("one-time door: %+v", d)
	}
	if cfg.Interface != "eth1" || cfg.PidFile != "/run/knockd.pid" {
		t.Errorf("options: %+v", cfg)
	}
	if d.TCPFlags.String() != "fin,!ack" || d.Target.String() != "192.0.2.10" {
		t.Errorf("flags %s target %s", d.TCPFlags, d.Target)
	}
	if !strings.Contains(d.StartCommandFor(true), "ip6tables") {
		t.Errorf("IPv6 start command %q", d.StartCommandFor(true))
	}
	if d.StopCommandFor(true) != "" || d.StopCommandFor(false) == "" {
		t.Errorf("an empty Stop_Command_6 must mean nothing for IPv6 (got %q) and keep IPv4's", d.StopCommandFor(true))
	}
}

func TestParseKeysAndAliases(t *testing.T) {
	cfg, err := Parse(strings.NewReader(`
# comment
[Options]
  LOGFILE=/tmp/k.log
[door]
  SEQUENCE = 1, 2:UDP ,3
  Timeout = 7
  Command = a %IP%
  command_6 = b %IP%
  TCPFlags = SYN,!ack,ack
`), "k.conf")
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Doors[0]
	if cfg.LogFile != "/tmp/k.log" || d.Sequence.String() != "1,2:udp,3" || d.SeqTimeout != 7*time.Second ||
		d.StartCommand != "a %IP%" || d.StartCommandFor(true) != "b %IP%" || d.TCPFlags != (TCPFlags{Set: FlagSYN | FlagACK}) {
		t.Fatalf("parsed %+v / %+v", cfg, d)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, conf string
		line       int
		want       string
	}{
		{"key before section", "sequence = 1\n", 1, "before any section"},
		{"unknown door key", "[d]\nsequence = 1\nsequense = 2\n", 3, "did you mean Sequence?"},
		{"unknown option", "[options]\nlogfil = x\n", 2, "did you mean LogFile?"},
		{"door key in options", "[options]\nsequence = 1\n", 2, "belongs in a door"},
		{"option in door", "[d]\nsequence = 1\nlogfile = x\n", 3, "belongs in [options]"},
		{"bad port", "[d]\nsequence = 7000,70000\n", 2, "1 to 65535"},
		{"bad protocol", "[d]\nsequence = 7000:icmp\n", 2, "tcp or udp"},
		{"empty sequence", "[d]\nsequence =\n", 2, "empty"},
		{"no sequence", "[options]\n\n[lonely]\nseq_timeout = 5\n", 3, "no Sequence"},
		{"bad timeout", "[d]\nsequence = 1\nseq_timeout = five\n", 3, "number of seconds"},
		{"trailing comma", "[d]\nsequence = 7000,8000,\n", 2, "ends with a comma: knockd reads the empty knock after it as port 0"},
		{"doubled comma", "[d]\nsequence = 7000,,8000\n", 2, "empty knock 2"},
		{"comment after a protocol", "[d]\nsequence = 7000:udp # door\n", 2, "protocol must be tcp or udp"},
		{"zero timeout", "[d]\nsequence = 1\nseq_timeout = 0\n", 3, "expire"},
		{"bad flag", "[d]\nsequence = 1\ntcpflags = syn,foo\n", 3, "unknown TCP flag"},
		{"bad target", "[d]\nsequence = 1\ntarget = myhost\n", 3, "not an IP address"},
		{"unclosed section", "[d\nsequence = 1\n", 1, "no closing ]"},
		{"empty section", "[]\n", 1, "empty section name"},
		{"value-less key", "[d]\nsequence\n", 2, "has no value"},
		{"syslog with value", "[options]\nUseSyslog = yes\n", 2, "takes no value"},
		{"too long", "[d]\nsequence = " + strings.Repeat("1,", 32) + "1\n", 2, "at most 32"},
		{"gap in door", "[d]\nsequence = 1,2@5ms\n", 2, "gap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.conf), "knockd.conf")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, want a *Error", err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %q, want line %d saying %q", err, tt.line, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "knockd.conf:") {
				t.Fatalf("error %q does not start with file:line", err)
			}
		})
	}
}

// A bad knock is named as the client names it (bad knock "99999") when it
// cannot be a port of the secret; a knock with a real port is named by its
// position only, and the rest of the sequence never appears.
func TestSequenceErrorsNameTheBadKnockNotTheSecret(t *testing.T) {
	tests := []struct {
		seq, want string
	}{
		{"31337,4242,99999", `Sequence has a bad knock "99999": port must be`},
		{"31337,4242,abc", `Sequence has a bad knock "abc": port must be`},
		{"31337,4242,0", `Sequence has a bad knock "0"`},
		{"31337,4242:icmp", "Sequence has a bad knock (knock 2, not shown: its port may be part of the secret): protocol must be tcp or udp"},
		{"31337,4242:udp # old", "knock 2, not shown"},
		{"31337,# 4242", "knock 2, not shown"},
		{"31337,x99999", `bad knock "x99999"`},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader("[d]\nsequence = "+tt.seq+"\n"), "k.conf")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("sequence %s: error %v, want %q", tt.seq, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "31337") || strings.Contains(err.Error(), "4242") {
			t.Errorf("error %v quotes the secret sequence", err)
		}
	}
}

// TestRealWorldShapes holds knockd.conf lines as people write them in
// guides, templates and Dockerfiles, which knockd 0.8 starts with: sesamed
// reads them as knockd does, and says in a file:line warning what it
// ignored, without quoting the sequence.
func TestRealWorldShapes(t *testing.T) {
	tests := []struct {
		name, door string
		seq        string        // the sequence knockd reads
		timeout    time.Duration // Seq_Timeout
		cmdTimeout time.Duration
		warnings   []string // each a substring of one warning, in order
	}{
		{"inline comment after the sequence", "sequence = 7000,8000,9000 # my door\n",
			"7000,8000,9000", DefaultSeqTimeout, DefaultCmdTimeout,
			[]string{"k.conf:3: sequence: the text after the port of knock 3 is ignored"}},
		{"inline comment after seq_timeout", "sequence = 7000\nseq_timeout = 30 # seconds\n",
			"7000", 30 * time.Second, DefaultCmdTimeout,
			[]string{"k.conf:4: seq_timeout: the text after 30 is ignored"}},
		{"a unit after the timeouts", "sequence = 7000\nseq_timeout = 5s\ncmd_timeout = 10 sec\n",
			"7000", 5 * time.Second, 10 * time.Second,
			[]string{"k.conf:4: seq_timeout: the text after 5 is ignored", "k.conf:5: cmd_timeout: the text after 10 is ignored"}},
		{"alias timeout with a comment", "sequence = 7000\ntimeout = 15 # s\n",
			"7000", 15 * time.Second, DefaultCmdTimeout,
			[]string{"k.conf:4: timeout: the text after 15 is ignored"}},
		// knockd splits on commas first, so a comment holding commas adds
		// knocks: what knockd opens on, sesamed opens on.
		{"a comment with commas", "sequence = 7000,8000 # was 7001,8001\n",
			"7000,8000,8001", DefaultSeqTimeout, DefaultCmdTimeout,
			[]string{"k.conf:3: sequence: the text after the port of knock 2 is ignored"}},
		{"a comment with an @", "sequence = 7000,8000 # ask me@example.org\n",
			"7000,8000", DefaultSeqTimeout, DefaultCmdTimeout,
			[]string{"k.conf:3: sequence: the text after the port of knock 2 is ignored"}},
		{"spaces instead of commas", "sequence = 7000 8000 9000\n",
			"7000", DefaultSeqTimeout, DefaultCmdTimeout,
			[]string{"knock 1 is ignored"}},
		{"comment after a close sequence", "sequence = 7000,8000\nopen_ports = 22\nclose_sequence = 8000,7000 # close\n",
			"7000,8000", DefaultSeqTimeout, DefaultCmdTimeout,
			[]string{"k.conf:5: close_sequence: the text after the port of knock 2 is ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader("[options]\n[door]\n"+tt.door), "k.conf")
			if err != nil {
				t.Fatalf("Parse: %v (knockd 0.8 starts with this)", err)
			}
			d := cfg.Doors[0]
			if d.Sequence.String() != tt.seq || d.SeqTimeout != tt.timeout || d.CmdTimeout != tt.cmdTimeout {
				t.Errorf("read sequence %s, seq_timeout %v, cmd_timeout %v; want %s, %v, %v", d.Sequence, d.SeqTimeout, d.CmdTimeout, tt.seq, tt.timeout, tt.cmdTimeout)
			}
			if len(cfg.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", cfg.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				if !strings.Contains(cfg.Warnings[i], w) {
					t.Errorf("warning %q, want it to say %q", cfg.Warnings[i], w)
				}
				if strings.Contains(cfg.Warnings[i], "700") || strings.Contains(cfg.Warnings[i], "800") {
					t.Errorf("warning %q quotes the sequence", cfg.Warnings[i])
				}
			}
		})
	}
}

// TestFindsWhatAnAdminWouldWant: shapes knockd starts with silently but
// that are almost always mistakes get a warning naming the lines.
func TestFindsWhatAnAdminWouldWant(t *testing.T) {
	tests := []struct {
		name, conf string
		doors      int
		warning    string
	}{
		{"a repeated section", "[SSH]\nsequence = 7000\ncommand = a\n[web]\nsequence = 8000\n[SSH]\nsequence = 9000\n", 3,
			"k.conf:6: [SSH] is defined twice (first on line 1): these are two separate doors"},
		{"two doors with the same sequence", "[a]\nsequence = 7000,8000:udp\n[b]\nsequence = 7000, 8000:UDP\n", 2,
			"k.conf:3: [b] has the same sequence as [a] (line 1): one knock opens both"},
		{"a close sequence that is another door's", "[a]\nsequence = 7000,8000\nopen_ports = 22\nclose_sequence = 9000\n[b]\nsequence = 9000\n", 2,
			"k.conf:5: [b] has the same sequence as the Close_Sequence of [a] (line 4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader(tt.conf), "k.conf")
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Doors) != tt.doors {
				t.Errorf("%d doors, want %d (as knockd)", len(cfg.Doors), tt.doors)
			}
			if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], tt.warning) {
				t.Fatalf("warnings %q, want one saying %q", cfg.Warnings, tt.warning)
			}
			if strings.Contains(cfg.Warnings[0], "is set twice") || strings.Contains(cfg.Warnings[0], "700") {
				t.Errorf("warning %q", cfg.Warnings[0])
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	cfg, err := Parse(strings.NewReader("[d]\nsequence = 1\nsequence = 2\n[e]\nsequence = 3\none_time_sequences = /x\n"), "k.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 2 || !strings.HasPrefix(cfg.Warnings[0], "k.conf:3:") {
		t.Fatalf("warnings %q", cfg.Warnings)
	}
	if cfg.Doors[0].Sequence.String() != "2" || cfg.Doors[1].Sequence != nil {
		t.Fatalf("the last value must win and one-time sequences replace Sequence: %s / %s", cfg.Doors[0].Sequence, cfg.Doors[1].Sequence)
	}
}

func TestTCPFlagsMatch(t *testing.T) {
	f, _ := ParseTCPFlags("syn,!ack")
	for _, tt := range []struct {
		flags uint8
		want  bool
	}{{FlagSYN, true}, {FlagSYN | FlagACK, false}, {FlagACK, false}, {FlagSYN | FlagFIN, true}, {0, false}} {
		if got := f.Match(tt.flags); got != tt.want {
			t.Errorf("Match(%06b) = %v, want %v", tt.flags, got, tt.want)
		}
	}
	if !(TCPFlags{}).Match(FlagRST) {
		t.Error("no TCPFlags must match every packet")
	}
}

func TestReadOneTimeSequences(t *testing.T) {
	in := " 1000,2000,3000\n#1001,2001,3001\n\n 4000:udp,5000\n# comment\n6000"
	seqs, err := ReadOneTimeSequences(strings.NewReader(in), "seqs")
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 3 {
		t.Fatalf("%d sequences, want 3", len(seqs))
	}
	if seqs[0].Line != 1 || seqs[0].Offset != 0 || seqs[1].Line != 4 || seqs[1].Offset != int64(strings.Index(in, " 4000")) ||
		seqs[1].Sequence.String() != "4000:udp,5000" || seqs[2].Sequence.String() != "6000" {
		t.Fatalf("parsed %+v", seqs)
	}
	_, err = ReadOneTimeSequences(strings.NewReader("1,2\n 3,99999\n"), "seqs")
	if err == nil || !strings.HasPrefix(err.Error(), "seqs:2:") || strings.Contains(err.Error(), "3,") {
		t.Fatalf("bad line: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[options]\nUseSyslog\n[a]\nsequence=1,2:udp\ntcpflags=syn,!ack\n",
		"[a]\none_time_sequences=/x\ncommand_6=\n",
		"[\n", "]", "=", "[a]\n=\n", "[a]\nsequence=1@2\n",
		"[options]\nfirewall=nftables\n[a]\nsequence=1\nopen_ports=22,53:udp\naccess_time=0\nclose_when_idle=5\nclose_sequence=2,1\ncooldown=0\n",
		"[a]\nsequence=1\nclose_sequence=1\nopen_ports=22\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Parse(strings.NewReader(s), "f.conf")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		for _, d := range cfg.Doors {
			if d.Name == "" || (len(d.Sequence) == 0) == (d.OneTimeSequences == "") {
				t.Fatalf("door %+v: want a name and exactly one of Sequence and One_Time_Sequences", d)
			}
			if err := d.Sequence.Validate(); len(d.Sequence) > 0 && err != nil {
				t.Fatalf("door %q: invalid sequence: %v", d.Name, err)
			}
			for _, p := range d.OpenPorts {
				if p.Port == 0 || (p.Proto != knocker.TCP && p.Proto != knocker.UDP) {
					t.Fatalf("door %q: invalid open port %+v", d.Name, p)
				}
			}
			if !d.HasNativeOpen() && len(d.CloseSequence) > 0 {
				t.Fatalf("door %q: a close sequence without Open_Ports", d.Name)
			}
			if err := d.CloseSequence.Validate(); len(d.CloseSequence) > 0 && err != nil {
				t.Fatalf("door %q: invalid close sequence: %v", d.Name, err)
			}
		}
	})
}

func TestMarkOneTimeSequenceUsed(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/seqs"
	in := " 1000,2000,3000,4000\n#used\n1000,2000,9999,9999\n  4000:udp,5000\n"
	if err := os.WriteFile(path, []byte(in), 0o640); err != nil {
		t.Fatal(err)
	}
	mark := func(seq string) int {
		t.Helper()
		s, err := knocker.ParseSequence(seq)
		if err != nil {
			t.Fatal(err)
		}
		line, err := MarkOneTimeSequenceUsed(path, s)
		if err != nil {
			t.Fatal(err)
		}
		return line
	}
	// The second sequence shares its first two ports with the first; knockd's
	// byte comparison would mark line 1.
	if line := mark("1000,2000,9999,9999"); line != 3 {
		t.Fatalf("marked line %d, want 3", line)
	}
	if line := mark("4000:UDP, 5000:tcp"); line != 4 {
		t.Fatalf("marked line %d, want 4", line)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := " 1000,2000,3000,4000\n#used\n#1000,2000,9999,9999\n# 4000:udp,5000\n"
	if string(got) != want {
		t.Fatalf("file is\n%q\nwant\n%q", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	left, err := ReadOneTimeSequencesFile(path)
	if err != nil || len(left) != 1 || left[0].Sequence.String() != "1000,2000,3000,4000" {
		t.Fatalf("unused after marking: %+v, %v", left, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
	s, _ := knocker.ParseSequence("4000:udp,5000")
	if _, err := MarkOneTimeSequenceUsed(path, s); err == nil || !strings.Contains(err.Error(), "no longer in the file") {
		t.Fatalf("marking a used sequence again: %v", err)
	}
}

// TestMarkOneTimeSequencesUsed: a knocked sequence and the ones the
// look-ahead skipped are marked in one write, or none is.
func TestMarkOneTimeSequencesUsed(t *testing.T) {
	seq := func(s string) knocker.Sequence {
		q, err := knocker.ParseSequence(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	in := " 1111,2222\n3333:udp,4444\n 5555,6666"
	for _, tc := range []struct {
		name      string
		seqs      []knocker.Sequence
		want      string
		wantLines []int
		wantErr   string
	}{
		{"two", []knocker.Sequence{seq("3333:udp,4444"), seq("1111,2222")}, "#1111,2222\n#3333:udp,4444\n 5555,6666", []int{2, 1}, ""},
		{"last line without a newline", []knocker.Sequence{seq("5555,6666")}, " 1111,2222\n3333:udp,4444\n#5555,6666", []int{3}, ""},
		{"one missing: none marked", []knocker.Sequence{seq("1111,2222"), seq("7777,8888")}, in, nil, "no longer in the file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seqs")
			if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
				t.Fatal(err)
			}
			lines, err := MarkOneTimeSequencesUsed(path, tc.seqs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || !slices.Equal(lines, tc.wantLines) {
				t.Fatalf("lines %v, %v; want %v", lines, err, tc.wantLines)
			}
			if got, _ := os.ReadFile(path); string(got) != tc.want {
				t.Fatalf("file is\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestErrorsNeverQuoteSecrets: a broken line that holds a sequence or a
// seed (a syntax error, a key line before any section, a bad value) is
// named by file, line and key; no error or warning quotes the value.
func TestErrorsNeverQuoteSecrets(t *testing.T) {
	const seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	secrets := []string{"31337", "4242", "JBSWY3DP", "jbswy3dp", "EHPK3PXP"}
	tests := []struct {
		name, conf string
		line       int
		want       string
	}{
		{"sequence before any section", "Sequence = 31337,4242\n", 1, "Sequence comes before any section"},
		{"seed before any section", "Rotating_Seed = " + seed + "\n", 1, "Rotating_Seed comes before any section"},
		{"bare sequence before any section", "31337,4242\n", 1, "a line comes before any section"},
		{"sequence without =", "[d]\nSequence 31337,4242\n", 2, "Sequence has no value"},
		{"sequence with a colon", "[d]\nSequence: 31337,4242\n", 2, "Sequence has no value"},
		{"seed without =", "[d]\nRotating_Seed " + seed + "\n", 2, "Rotating_Seed has no value"},
		{"one-time file without =", "[d]\nOne_Time_Sequences /etc/31337\n", 2, "One_Time_Sequences has no value"},
		{"close sequence without =", "[d]\nsequence = 1,2\nopen_ports = 22\nClose_Sequence 31337,4242\n", 4, "Close_Sequence has no value"},
		{"value before =", "[d]\nSequence 31337 = 4242\n", 2, "not KEY = VALUE"},
		{"ports as a key", "[d]\n31337,4242 = x\n", 2, "not KEY = VALUE"},
		{"port run in a key", "[d]\nSequence31337 = 4242\n", 2, "not KEY = VALUE"},
		{"bare sequence in a door", "[d]\n31337,4242\n", 2, "not KEY = VALUE"},
		{"unclosed section with a sequence", "[d 31337,4242\n", 1, "no closing ]"},
		{"bad knock", "[d]\nSequence = 31337,4242:icmp\n", 2, "knock 2, not shown"},
		{"bad close knock", "[d]\nsequence = 1,2\nopen_ports = 22\nClose_Sequence = 31337,4242:x\n", 4, "knock 2, not shown"},
		{"short seed", "[d]\nRotating_Seed = JBSWY3DPEHPK3PXP\n", 2, "Rotating_Seed: the seed has 80 bits"},
		{"bad seed", "[d]\nRotating_Seed = " + seed + "!\n", 2, "Rotating_Seed: the seed is not valid base32"},
		{"door key in options", "[options]\nSequence = 31337,4242\n", 2, "Sequence\" belongs in a door"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader(tt.conf), "knockd.conf")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v, %v; want a *Error", cfg, err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %q, want line %d saying %q", err, tt.line, tt.want)
			}
			for _, s := range secrets {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q quotes the secret %q", err, s)
				}
			}
		})
	}
	// A one-time sequences file: its lines are all secret.
	_, err := ReadOneTimeSequences(strings.NewReader("31337,4242\n4242:icmp,31337\n"), "seqs")
	if err == nil || !strings.Contains(err.Error(), "seqs:2: sequence has a bad knock (knock 1, not shown") {
		t.Fatalf("bad one-time line: %v", err)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Fatalf("error %q quotes the secret %q", err, s)
		}
	}
	// Warnings about lines that hold a sequence do not quote it either.
	cfg, err := Parse(strings.NewReader("[d]\nSequence = 31337,4242 # old\nSequence = 31337,4242\n[e]\nsequence = 31337,4242\n"), "knockd.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range cfg.Warnings {
		for _, s := range secrets {
			if strings.Contains(w, s) {
				t.Fatalf("warning %q quotes the secret %q", w, s)
			}
		}
	}
}
