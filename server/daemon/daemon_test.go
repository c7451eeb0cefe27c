//go:build linux

package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sesame/internal/clock"
	"sesame/internal/testnet"
	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/rotate"
	"sesame/server/internal/steps"
	"sesame/server/netwatch"
	"sesame/server/packet"
	"sesame/server/sesamedlog"
)

// These tests run the daemon's own start-up steps in-process, without
// root: no capture (the test hands the matcher its packets), a fake
// firewall that records what it is asked, and a fake clock for the knocks'
// timeouts and the rotating windows. What sesamed does on a real network
// is in server/cmd/sesamed's system tests.

// The server's addresses (local4, local6: on the lab's eth0) and the
// knocking clients', as in the system tests' namespaces.
var (
	local4, local6  = testnet.ServerAddr4, testnet.ServerAddr6
	client, client6 = testnet.ClientAddr4, testnet.ClientAddr6
	other           = netip.MustParseAddr("192.0.2.3")
)

// firewall is a fake native open action: it records each call, in order.
type firewall struct {
	mu    sync.Mutex
	calls []string
}

func (f *firewall) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *firewall) Open(_ context.Context, door string, src netip.Addr, ports []knockdconf.Port, access, idle time.Duration) error {
	f.record("open %s %s %s access %s idle %s", door, src, portList(ports), access, idle)
	return nil
}

func (f *firewall) Close(_ context.Context, door string, src netip.Addr, ports []knockdconf.Port) error {
	f.record("close %s %s %s", door, src, portList(ports))
	return nil
}

func (f *firewall) Shutdown(context.Context) error {
	f.record("shutdown")
	return nil
}

func (f *firewall) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// lab is a daemon started by Run's own steps but the listeners, on one
// fake interface, eth0.
type lab struct {
	t    *testing.T
	b    *boot
	fw   *firewall
	clk  *clock.Fake
	conf string // the config's path
	log  string // the log file's path
	stop func()
}

// start is 2026-01-01, 00:00:00.5 UTC: just into a rotating window.
var start = time.Date(2026, 1, 1, 0, 0, 0, 5e8, time.UTC)

func newLab(t *testing.T, conf string) *lab {
	t.Helper()
	l, err := startLab(t, conf, func(l *lab) newNative {
		return func(context.Context, *knockdconf.Config) (Native, error) { return l.fw, nil }
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type newNative = func(context.Context, *knockdconf.Config) (Native, error)

// startLab starts a lab whose firewall backend starts with native(l); the
// error is the start's.
func startLab(t *testing.T, conf string, native func(l *lab) newNative) (*lab, error) {
	t.Helper()
	dir := t.TempDir()
	l := &lab{t: t, fw: &firewall{}, clk: clock.NewFake(start),
		conf: filepath.Join(dir, "knockd.conf"), log: filepath.Join(dir, "log")}
	l.writeConf(conf)
	log, err := sesamedlog.New(sesamedlog.Options{LogFile: l.log, Stdout: io.Discard, Stderr: io.Discard, Now: l.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	l.b = &boot{daemon: newDaemon(Options{
		ConfigPath: l.conf,
		Interfaces: []string{"eth0"},
		Log:        log,
		Clock:      l.clk,
		NewNative:  native(l),
	})}
	l.b.readNet = func() (netwatch.State, error) {
		return netwatch.State{"eth0": {Name: "eth0", Index: 2, Up: true, Addrs: []netip.Addr{local4, local6}}}, nil
	}
	stop, err := steps.Start(context.Background(), l.b.doorSteps()...)
	l.stop = stop
	t.Cleanup(stop)
	return l, err
}

func (l *lab) confText() string {
	l.t.Helper()
	b, err := os.ReadFile(l.conf)
	if err != nil {
		l.t.Fatal(err)
	}
	return string(b)
}

func (l *lab) writeConf(conf string) {
	l.t.Helper()
	if err := os.WriteFile(l.conf, []byte(conf), 0o600); err != nil {
		l.t.Fatal(err)
	}
}

// knock is one knock packet, after the clock moved on by wait.
type knock struct {
	src  netip.Addr
	step string // "7000" or "8000:udp"
	wait time.Duration
}

// knocks is a sequence's knocks from src, one right after the other.
func knocks(src netip.Addr, seq ...string) []knock {
	var ks []knock
	for _, s := range seq {
		ks = append(ks, knock{src: src, step: s})
	}
	return ks
}

func (l *lab) knock(ks ...knock) {
	l.t.Helper()
	for _, k := range ks {
		st, err := knocker.ParseStep(k.step)
		if err != nil {
			l.t.Fatal(err)
		}
		l.clk.Advance(k.wait)
		dst := local4
		if k.src.Is6() {
			dst = local6
		}
		p := packet.Packet{Src: k.src, Dst: dst, Proto: st.Proto, SrcPort: 40000, DstPort: st.Port}
		if st.Proto == knocker.TCP {
			p.Flags = knockdconf.FlagSYN
		}
		l.b.m.Load().Handle(p)
	}
}

// shutdown stops the daemon as Run does at exit, and returns the firewall's
// calls and the log.
func (l *lab) shutdown() ([]string, string) {
	l.t.Helper()
	l.stop()
	b, err := os.ReadFile(l.log)
	if err != nil {
		l.t.Fatal(err)
	}
	return l.fw.Calls(), string(b)
}

// expect shuts the lab down, then checks the firewall's calls, in order,
// and that the log has line and ends as sesamed's does.
func (l *lab) expect(want []string, line string) {
	l.t.Helper()
	calls, log := l.shutdown()
	if !slices.Equal(calls, want) {
		l.t.Errorf("firewall calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(log, line) {
		l.t.Errorf("the log has no %q:\n%s", line, log)
	}
	if !strings.HasSuffix(log, "shutting down\n") {
		l.t.Errorf("the log does not end with shutting down:\n%s", log)
	}
}

const nativeConf = `[options]
	logfile = /dev/null
[SSH]
	sequence       = 7000,8000:udp,9000
	seq_timeout    = 5
	tcpflags       = syn
	open_ports     = 22
	access_time    = 30
	close_sequence = 9000,8000:udp,7000
	cooldown       = 0
`

// TestKnocksOpenAndClose: the knocks the matcher completes reach the
// firewall as opens and closes, for the knocking address only, before it
// shuts down; the knocks it does not complete reach nothing.
func TestKnocksOpenAndClose(t *testing.T) {
	open := knocks(client, "7000", "8000:udp", "9000")
	opened := "open SSH 192.0.2.2 22/tcp access 30s idle 0s"
	cases := []struct {
		name  string
		knock []knock
		want  []string
		log   string // a line the log has
	}{
		{"the sequence opens", open, []string{opened, "shutdown"}, "192.0.2.2: SSH: OPEN SESAME"},
		{"over IPv6", knocks(client6, "7000", "8000:udp", "9000"),
			[]string{"open SSH 2001:db8::2 22/tcp access 30s idle 0s", "shutdown"}, "2001:db8::2: SSH: OPEN SESAME"},
		{"the close sequence closes", append(slices.Clone(open), knocks(client, "9000", "8000:udp", "7000")...),
			[]string{opened, "close SSH 192.0.2.2 22/tcp", "shutdown"}, "SSH/close: OPEN SESAME"},
		{"a wrong knock starts over", knocks(client, "7000", "9000", "8000:udp", "9000"),
			[]string{"shutdown"}, "SSH: Stage 1"},
		{"the wrong protocol is a wrong knock", knocks(client, "7000", "8000", "9000"),
			[]string{"shutdown"}, "SSH: Stage 1"},
		{"within the timeout", []knock{{client, "7000", 0}, {client, "8000:udp", 4 * time.Second}, {client, "9000", 0}},
			[]string{opened, "shutdown"}, "OPEN SESAME"},
		{"past the timeout", []knock{{client, "7000", 0}, {client, "8000:udp", 6 * time.Second}, {client, "9000", 0}},
			[]string{"shutdown"}, "192.0.2.2: SSH: sequence timeout (stage 1)"},
		{"another address's knock does not count", []knock{{client, "7000", 0}, {other, "8000:udp", 0}, {client, "9000", 0}},
			[]string{"shutdown"}, "192.0.2.2: SSH: Stage 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, nativeConf)
			l.knock(tc.knock...)
			l.expect(tc.want, tc.log)
		})
	}
}

// oneTimeConf is a one-time door on the file seqs that opens port 22.
func oneTimeConf(seqs string) string {
	return "[options]\n\tlogfile = /dev/null\n[smtp]\n\tone_time_sequences = " + seqs +
		"\n\topen_ports = 22\n\tcooldown = 0\n"
}

// TestOneTimeSequences: a one-time sequence opens once, and is marked
// used in its file before the door opens; a file that cannot be marked
// keeps the door shut; lines appended to the file are picked up without a
// reload, and a spent line is not read again.
func TestOneTimeSequences(t *testing.T) {
	opened := "open smtp 192.0.2.2 22/tcp access 10s idle 0s"
	cases := []struct {
		name string
		file string
		// before runs after the start, before the knocks.
		before func(t *testing.T, l *lab, path string)
		knock  []knock
		want   []string
		after  string // the file's content after the knocks ("": not checked)
		log    string
	}{
		{"a line opens once", " 1111,2222\n 3333,4444\n", nil,
			append(knocks(client, "1111", "2222"), knocks(client, "1111", "2222")...),
			[]string{opened, "shutdown"}, "#1111,2222\n 3333,4444\n", "smtp: OPEN SESAME"},
		{"the look-ahead spends the skipped line", " 1111,2222\n 3333,4444\n 5555,6666\n", nil,
			append(knocks(client, "3333", "4444"), knocks(client, "1111", "2222")...),
			[]string{opened, "shutdown"}, "#1111,2222\n#3333,4444\n 5555,6666\n", "1 skipped one time sequence(s) spent"},
		{"an unrecorded line opens nothing", " 1111,2222\n", func(t *testing.T, l *lab, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}, knocks(client, "1111", "2222"), []string{"shutdown"}, "", "smtp: NOT OPENED"},
		{"an appended line is picked up", " 1111,2222\n", func(t *testing.T, l *lab, path string) {
			l.knock(knocks(client, "1111", "2222")...)
			waitFile(t, path, "#1111,2222\n")
			appendFile(t, path, " 3333,4444\n")
			l.b.pickUp(l.b.m.Load(), l.b.ones, map[*oneTimeDoor]fileStamp{})
		}, knocks(client, "3333", "4444"),
			[]string{opened, opened, "shutdown"}, "#1111,2222\n#3333,4444\n", "picked up 1 new one time sequence(s)"},
		{"a spent line is not picked up again", " 1111,2222\n", func(t *testing.T, l *lab, path string) {
			l.knock(knocks(client, "1111", "2222")...)
			waitFile(t, path, "#1111,2222\n")
			// As if its '#' were not written yet when the file changed.
			if err := os.WriteFile(path, []byte(" 1111,2222\n 3333,4444\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			l.b.pickUp(l.b.m.Load(), l.b.ones, map[*oneTimeDoor]fileStamp{})
		}, append(knocks(client, "1111", "2222"), knocks(client, "3333", "4444")...),
			[]string{opened, opened, "shutdown"}, "", "picked up 1 new one time sequence(s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sequences")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			l := newLab(t, oneTimeConf(path))
			if tc.before != nil {
				tc.before(t, l, path)
			}
			l.knock(tc.knock...)
			l.expect(tc.want, tc.log)
			if tc.after != "" {
				if b, _ := os.ReadFile(path); string(b) != tc.after {
					t.Errorf("the file holds:\n%s\nwant:\n%s", b, tc.after)
				}
			}
		})
	}
}

// waitFile waits until the file at path holds want: the runner writes it
// in the background.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	testWaitFor(t, fmt.Sprintf("%s to hold %q", path, want), func() bool {
		b, _ := os.ReadFile(path)
		return string(b) == want
	})
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestRotatingDoors: a live window's sequence opens the door once; a
// window no longer live is refused even while its sequence is still in a
// slot; the slots follow the clock when rolled; a spent window stays spent
// across a reload and a restart.
func TestRotatingDoors(t *testing.T) {
	params := rotate.Params{Length: 3, PortMin: 20000, PortMax: 29999, Protocols: rotate.Mixed, Window: 30 * time.Second}
	seed, err := rotate.NewSeed()
	if err != nil {
		t.Fatal(err)
	}
	w := params.WindowAt(start)
	opened := "open SSH 192.0.2.2 22/tcp access 10s idle 0s"
	cases := []struct {
		name string
		// run knocks window sequences (window(n) is window w+n's knocks)
		// and moves the clock.
		run  func(t *testing.T, l *lab, window func(n int64) []knock)
		want []string
		log  string
	}{
		{"the current window opens once", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.knock(window(0)...)
			l.knock(window(0)...)
		}, []string{opened, "shutdown"}, "REPLAY REFUSED: the sequence of window"},
		{"the previous window, within the skew", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.knock(window(-1)...)
		}, []string{opened, "shutdown"}, "sequence of the previous window"},
		{"a window no longer live", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.clk.Advance(2 * params.Window) // not rolled yet
			l.knock(window(0)...)
		}, []string{"shutdown"}, "expired sequence refused"},
		{"a later window once rolled", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.knock(window(2)...) // not live yet
			l.clk.Advance(params.Window)
			next := l.b.roll(l.clk.Now())
			if want := params.WindowStart(w + 2); !next.Equal(want) {
				t.Errorf("the next roll is due at %s, want %s", next, want)
			}
			l.knock(window(2)...)
		}, []string{opened, "shutdown"}, "OPEN SESAME"},
		{"spent across a reload", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.knock(window(0)...)
			l.b.reload(context.Background())
			l.knock(window(0)...)
		}, []string{opened, "shutdown"}, "REPLAY REFUSED"},
		{"spent across a restart", func(t *testing.T, l *lab, window func(int64) []knock) {
			l.knock(window(0)...)
			l.shutdown()
			again := newLab(t, l.confText())
			again.knock(window(0)...)
			again.expect([]string{"shutdown"}, "REPLAY REFUSED")
		}, []string{opened, "shutdown"}, "OPEN SESAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conf := testnet.RotatingConf(filepath.Join(t.TempDir(), "state"), seed, params, "open_ports = 22")
			l := newLab(t, conf)
			tc.run(t, l, func(n int64) []knock {
				return knocks(client, testnet.KnockArgs(testnet.WindowSequence(t, seed, params, w+n))...)
			})
			l.expect(tc.want, tc.log)
		})
	}
}

// TestReload: SIGHUP's re-read replaces the doors and drops the attempts
// in progress; a config that does not load keeps the running one; what
// needs a restart says so.
func TestReload(t *testing.T) {
	opened := "open SSH 192.0.2.2 22/tcp access 30s idle 0s"
	newSeq := strings.NewReplacer("7000,8000:udp,9000", "1000,2000,3000", "open_ports     = 22", "open_ports = 2222").Replace(nativeConf)
	cases := []struct {
		name   string
		conf   string  // the config re-read
		before []knock // before the reload
		knock  []knock // after it
		want   []string
		log    string
	}{
		{"a typo keeps the running doors", "[SSH]\n\tsequence = 7000,\n", nil,
			knocks(client, "7000", "8000:udp", "9000"), []string{opened, "shutdown"}, "keeping the configuration already running"},
		{"a new sequence replaces the old", newSeq, nil,
			append(knocks(client, "7000", "8000:udp", "9000"), knocks(client, "1000", "2000", "3000")...),
			[]string{"open SSH 192.0.2.2 2222/tcp access 30s idle 0s", "shutdown"}, "reloaded "},
		{"an attempt in progress is dropped", nativeConf, knocks(client, "7000", "8000:udp"),
			knocks(client, "9000"), []string{"shutdown"}, "reloaded "},
		{"another firewall needs a restart", strings.Replace(nativeConf, "[SSH]", "\tfirewall = nftables\n[SSH]", 1), nil,
			knocks(client, "7000", "8000:udp", "9000"), []string{opened, "shutdown"}, `Firewall changed from "" to "nftables": restart sesamed`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, nativeConf)
			l.knock(tc.before...)
			l.writeConf(tc.conf)
			l.b.reload(context.Background())
			l.knock(tc.knock...)
			l.expect(tc.want, tc.log)
		})
	}
}

// TestStartFailures: a start that fails says why and undoes what it did;
// from the config loading on, the log says "shutting down" last, as
// knockd's does.
func TestStartFailures(t *testing.T) {
	refused := errors.New("no nftables here")
	cases := []struct {
		name    string
		conf    string
		native  func(l *lab) newNative
		wantErr string
		// shutdown: the log ends with "shutting down".
		shutdown bool
	}{
		{"a config that does not load", "[SSH]\n\tsequence = 7000,\n", nil,
			"Sequence ends with a comma", false},
		{"a firewall that does not start", nativeConf, func(*lab) newNative {
			return func(context.Context, *knockdconf.Config) (Native, error) { return nil, refused }
		}, "firewall for Open_Ports: no nftables here", true},
		{"Open_Ports without a backend", nativeConf, func(*lab) newNative { return nil },
			"this sesamed has no firewall backend for Open_Ports: use Start_Command instead", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.native == nil {
				tc.native = func(l *lab) newNative {
					return func(context.Context, *knockdconf.Config) (Native, error) { return l.fw, nil }
				}
			}
			l, err := startLab(t, tc.conf, tc.native)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("start: %v, want an error saying %q", err, tc.wantErr)
			}
			b, _ := os.ReadFile(l.log)
			if got := strings.HasSuffix(string(b), "shutting down\n"); got != tc.shutdown {
				t.Errorf("the log ends with shutting down: %v, want %v; the log:\n%s", got, tc.shutdown, b)
			}
			if calls := l.fw.Calls(); len(calls) > 0 {
				t.Errorf("the firewall was asked %q by a start that failed before it started", calls)
			}
		})
	}
}
