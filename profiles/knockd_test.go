package profiles

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
)

// want describes one profile an import must offer.
type wantImport struct {
	name, open, close string
	seed              string // a rotating profile's seed, and its window
	window            time.Duration
	oneTime           int
	warn              string // a warning that must be given; "" for none
}

func TestFromKnockd(t *testing.T) {
	oneTimeFile := func(n int) OneTimeReader {
		return func(path string) ([]knockdconf.OneTimeSequence, error) {
			var out []knockdconf.OneTimeSequence
			for i := 0; i < n; i++ {
				out = append(out, knockdconf.OneTimeSequence{Line: i + 1, Sequence: seq(t, fmt.Sprintf("%d,%d:udp,%d", 20000+i, 30000+i, 40000+i))})
			}
			return out, nil
		}
	}
	tests := []struct {
		name     string
		conf     string // a file in knockdconf/testdata, or the config itself
		readOT   OneTimeReader
		want     []wantImport
		skipped  []string // names of skipped doors, with a word of the reason
		fromPair string
	}{
		{name: "guide pair and a lone door", conf: "guide-pair.conf", want: []wantImport{
			{name: "SSH", open: "7000,8000,9000", close: "9000,8000,7000"},
			{name: "openHTTPS", open: "12345,54321,24680,13579"},
		}},
		{name: "mixed udp and tcp with start and stop commands", conf: "mixed.conf", want: []wantImport{
			{name: "opencloseSSH", open: "2222:udp,3333,4444:udp", warn: "closes by itself 5s"},
			{name: "opencloseSSH", warn: "flags syn,ack"},
		}},
		{name: "one-time sequences", conf: "onetime.conf", readOT: oneTimeFile(10), want: []wantImport{
			{name: "opencloseSMTP", oneTime: 10, warn: "flags fin,!ack"},
		}},
		{name: "more one-time sequences than fit", conf: "onetime.conf", readOT: oneTimeFile(500), want: []wantImport{
			{name: "opencloseSMTP", oneTime: -1, warn: "of the 500 unused one-time sequences fit"},
		}},
		{name: "unreadable one-time file", conf: "onetime.conf", readOT: func(string) ([]knockdconf.OneTimeSequence, error) {
			return nil, errors.New("open /etc/knockd/smtp_sequences: permission denied")
		}, skipped: []string{"opencloseSMTP: permission denied"}},
		{name: "one-time file all used", conf: "onetime.conf", readOT: oneTimeFile(0), skipped: []string{"opencloseSMTP: is used"}},
		{name: "mirrored sequences without open/close names", conf: `
[knock-in]
	sequence = 1111,2222:udp,3333
	command = true
[other]
	sequence = 5555
	command = true
[knock-out]
	sequence = 3333,2222:udp,1111
	command = true
`, want: []wantImport{
			{name: "knock-in", open: "1111,2222:udp,3333", close: "3333,2222:udp,1111"},
			{name: "other", open: "5555"},
		}},
		{name: "close door first in the file, suffix names", conf: `
[ssh_close]
	sequence = 3,2,1
	command = true
[ssh_open]
	sequence = 1,2,3
	command = true
`, want: []wantImport{{name: "ssh", open: "1,2,3", close: "3,2,1"}}},
		{name: "mirrored, the first named like a close door", conf: `
[lockdown-close]
	sequence = 9,8
	command = true
[letmein]
	sequence = 8,9
	command = true
`, want: []wantImport{{name: "letmein", open: "8,9", close: "9,8"}}},
		{name: "a rotating door with a close sequence", conf: `
[rot]
	Rotating_Seed   = GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	Rotating_Window = 60
	open_ports      = 22
	close_sequence  = 4000,5000:udp
[rotfile]
	Rotating_Seed_File = /nonexistent/rot.seed
	command = true
`, want: []wantImport{{name: "rot", seed: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", window: time.Minute, close: "4000,5000:udp"}},
			skipped: []string{"rotfile: cannot read its Rotating_Seed_File /nonexistent/rot.seed: no such file"}},
		{name: "door names that need cleaning or cannot be names", conf: `
[a/b]
	sequence = 1
	command = true
[---]
	sequence = 2
	command = true
`, want: []wantImport{{name: "a-b", open: "1"}}, skipped: []string{"---: name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg *knockdconf.Config
			var err error
			if strings.HasSuffix(tt.conf, ".conf") {
				cfg, err = knockdconf.ParseFile("../knockdconf/testdata/" + tt.conf)
			} else {
				cfg, err = knockdconf.Parse(strings.NewReader(tt.conf), "test.conf")
			}
			if err != nil {
				t.Fatal(err)
			}
			got, skipped := FromKnockd(cfg, "door.example.com", tt.readOT)
			var names []string
			for _, g := range got {
				names = append(names, g.Profile.Name)
			}
			for _, w := range tt.want {
				var imp *Imported
				for i := range got {
					if got[i].Profile.Name == w.name {
						imp = &got[i]
					}
				}
				if imp == nil {
					t.Fatalf("no profile %q; got %v, skipped %v", w.name, names, skipped)
				}
				p := imp.Profile
				if p.Host != "door.example.com" {
					t.Errorf("%s: host %q", w.name, p.Host)
				}
				if w.open != "" && p.Secrets.Open.String() != w.open {
					t.Errorf("%s: open %s, want %s", w.name, p.Secrets.Open, w.open)
				}
				if w.open != "" && p.Secrets.Close.String() != w.close {
					t.Errorf("%s: close %q, want %q", w.name, p.Secrets.Close, w.close)
				}
				if r := p.Secrets.Rotation; w.seed != "" && (r == nil || r.Seed.String() != w.seed || r.Params.Window != w.window ||
					p.Secrets.Close.String() != w.close || len(p.Secrets.Open) != 0) {
					t.Errorf("%s: rotation %+v, close %q; want seed %s every %s, close %q", w.name, r, p.Secrets.Close, w.seed, w.window, w.close)
				}
				switch {
				case w.oneTime > 0 && len(p.Secrets.OneTime) != w.oneTime:
					t.Errorf("%s: %d one-time sequences, want %d", w.name, len(p.Secrets.OneTime), w.oneTime)
				case w.oneTime < 0:
					// As many as fit: the profile saves, one more would not.
					if _, err := encodeSecrets(p.Secrets); err != nil {
						t.Errorf("%s: the imported secrets do not fit: %v", w.name, err)
					}
					more := p.Secrets
					more.OneTime = append(append([]knocker.Sequence{}, more.OneTime...), more.OneTime[0])
					if _, err := encodeSecrets(more); err == nil {
						t.Errorf("%s: %d one-time sequences imported, but one more would fit", w.name, len(p.Secrets.OneTime))
					}
				}
				if w.warn != "" && !strings.Contains(strings.Join(imp.Warnings, "|"), w.warn) {
					t.Errorf("%s: warnings %q, want one saying %q", w.name, imp.Warnings, w.warn)
				}
				if err := p.Validate(); err != nil {
					t.Errorf("%s does not validate: %v", w.name, err)
				}
			}
			if len(got) != countNames(tt.want) {
				t.Errorf("profiles %v, want %d", names, countNames(tt.want))
			}
			if len(skipped) != len(tt.skipped) {
				t.Fatalf("skipped %v, want %v", skipped, tt.skipped)
			}
			for i, s := range tt.skipped {
				name, word, _ := strings.Cut(s, ": ")
				if skipped[i].Name != name || !strings.Contains(skipped[i].Reason, word) {
					t.Errorf("skipped %+v, want %s for a reason with %q", skipped[i], name, word)
				}
			}
			// Nothing the import says quotes a sequence.
			for _, g := range got {
				for _, text := range append(g.Warnings, g.From) {
					assertNoPorts(t, text, g.Profile)
				}
			}
		})
	}
}

func countNames(ws []wantImport) int {
	seen := map[string]bool{}
	for _, w := range ws {
		seen[w.name] = true
	}
	return len(seen)
}

// assertNoPorts fails if text holds a port of one of p's sequences.
func assertNoPorts(t *testing.T, text string, p *Profile) {
	t.Helper()
	all := append([]knocker.Sequence{p.Secrets.Open, p.Secrets.Close}, p.Secrets.OneTime...)
	for _, s := range all {
		for _, port := range s.Ports() {
			if strings.Contains(text, fmt.Sprint(port)) {
				t.Errorf("%q quotes port %d of a sequence", text, port)
			}
		}
	}
}
