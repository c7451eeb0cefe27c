//go:build linux

package sshlaunch

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/knocker"
	"sesame/profiles"
)

// door is a server namespace with a real sshd behind the guide's knockd,
// and a client home with a key sshd accepts.
type door struct {
	pair *testnet.Pair
	sshd *testnet.SSHD
	home string
	prof profiles.Profile
}

func newDoor(t *testing.T) *door {
	t.Helper()
	testnet.RequireRoot(t)
	testnet.RequireTools(t, "knockd", "iptables", "ssh-keygen")
	p := testnet.NewPair(t)
	p.Server.GuardSSH(t)
	sshd := p.Server.SSHD(t)
	p.Server.Knockd(t, testnet.ServerIf, testnet.GuideConf)

	// known_hosts is left to each test (trustServer).
	home := sshd.ClientHome(t, "")
	open, _ := knocker.ParseSequence("7000,8000,9000")
	cls, _ := knocker.ParseSequence("9000,8000,7000")
	return &door{pair: p, sshd: sshd, home: home, prof: profiles.Profile{
		Name: "test", Host: testnet.ServerAddr4.String(), User: "root",
		Secrets: profiles.Secrets{Open: open, Close: cls},
	}}
}

// trustServer writes the server's real host key to known_hosts.
func (d *door) trustServer(t *testing.T) {
	t.Helper()
	line := d.prof.Host + " " + d.sshd.HostKey + "\n"
	if err := os.WriteFile(filepath.Join(d.home, ".ssh", "known_hosts"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (d *door) config(ui UI) Config {
	return Config{Profile: d.prof, UI: ui, Env: Env{Home: d.home, LocalUser: "root"}, DialWindow: 10 * time.Second}
}

// run runs the flow from inside the client namespace.
func (d *door) run(t *testing.T, ctx context.Context, cfg Config, session func(context.Context, *Conn) error) error {
	t.Helper()
	var err error
	if derr := d.pair.Client.Do(func() error {
		err = Run(ctx, cfg, session)
		return nil
	}); derr != nil {
		t.Fatal(derr)
	}
	return err
}

func (d *door) assertClosed(t *testing.T) {
	t.Helper()
	d.pair.Server.WaitAccept(t, testnet.ClientAddr4.String(), false)
}

// scriptUI answers prompts from a script and records what it was told.
type scriptUI struct {
	mu         sync.Mutex
	events     []Event
	hostKey    HostKeyDecision
	asked      []HostKeyInfo
	changed    []HostKeyInfo
	passphrase []string
	onSession  func()
}

func (u *scriptUI) Progress(e Event) {
	u.mu.Lock()
	u.events = append(u.events, e)
	f := u.onSession
	u.mu.Unlock()
	if e.Stage == StageSession && f != nil {
		f()
	}
}

func (u *scriptUI) UnknownHostKey(_ context.Context, info HostKeyInfo) (HostKeyDecision, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.asked = append(u.asked, info)
	return u.hostKey, nil
}

func (u *scriptUI) ChangedHostKey(_ context.Context, info HostKeyInfo) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.changed = append(u.changed, info)
}

func (u *scriptUI) Password(context.Context, string, string) (Secret, error) {
	return Secret{}, ErrCancelled
}

func (u *scriptUI) Passphrase(context.Context, string) (Secret, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.passphrase) == 0 {
		return Secret{}, ErrCancelled
	}
	p := u.passphrase[0]
	u.passphrase = u.passphrase[1:]
	return Secret{Value: p}, nil
}

func (u *scriptUI) KeyboardInteractive(context.Context, string, string, []string, []bool) ([]string, error) {
	return nil, ErrCancelled
}

func (u *scriptUI) stages() []Stage {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []Stage
	for _, e := range u.events {
		if len(out) == 0 || out[len(out)-1] != e.Stage {
			out = append(out, e.Stage)
		}
	}
	return out
}

// waitText polls out until it holds text; for goroutines, which must not
// call t.Fatal.
func waitText(out *testnet.Buffer, text string) bool {
	deadline := time.Now().Add(testnet.Await)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func runCommand(cmd string, out *testnet.Buffer) func(context.Context, *Conn) error {
	return func(ctx context.Context, c *Conn) error {
		return c.Run(ctx, cmd, Stdio{Out: out, Err: out}, nil)
	}
}

func TestFlowRunsCommandAndClosesDoor(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	ui := &scriptUI{}
	var out testnet.Buffer
	if err := d.run(t, context.Background(), d.config(ui), runCommand("echo ok", &out)); err != nil {
		t.Fatalf("Run: %v (output %q)", err, out.String())
	}
	if got := strings.TrimSpace(out.String()); got != "ok" {
		t.Fatalf("output %q, want ok", got)
	}
	d.assertClosed(t)
	stages := ui.stages()
	want := []Stage{StageResolved, StageKnock, StageDial, StageAuth, StageSession, StageClosing, StageClosed}
	if len(stages) != len(want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	for i := range want {
		if stages[i] != want[i] {
			t.Fatalf("stages %v, want %v", stages, want)
		}
	}
}

func TestFlowReturnsRemoteExitStatus(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	var out testnet.Buffer
	err := d.run(t, context.Background(), d.config(&scriptUI{}), runCommand("exit 3", &out))
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Status != 3 {
		t.Fatalf("Run = %v, want exit status 3", err)
	}
	d.assertClosed(t)
}

func TestFlowUnknownHostKey(t *testing.T) {
	t.Run("rejected: nothing written, door closed", func(t *testing.T) {
		d := newDoor(t)
		ui := &scriptUI{hostKey: RejectHostKey}
		err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{}))
		var ue *HostKeyUnknownError
		if !errors.As(err, &ue) {
			t.Fatalf("Run = %v, want HostKeyUnknownError", err)
		}
		if len(ui.asked) != 1 || !strings.HasPrefix(ui.asked[0].Fingerprint, "SHA256:") {
			t.Fatalf("asked %+v, want one question with a SHA256 fingerprint", ui.asked)
		}
		if _, err := os.Stat(filepath.Join(d.home, ".ssh", "known_hosts")); !os.IsNotExist(err) {
			t.Fatalf("known_hosts was written after a refusal (stat: %v)", err)
		}
		d.assertClosed(t)
	})
	t.Run("accepted and saved: asked once", func(t *testing.T) {
		d := newDoor(t)
		ui := &scriptUI{hostKey: AcceptAndSaveHostKey}
		if err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{})); err != nil {
			t.Fatal(err)
		}
		kh, _ := os.ReadFile(filepath.Join(d.home, ".ssh", "known_hosts"))
		fields := strings.Fields(d.sshd.HostKey)
		if !strings.Contains(string(kh), fields[1]) {
			t.Fatalf("known_hosts %q does not hold the server key", kh)
		}
		d.assertClosed(t)
		ui2 := &scriptUI{hostKey: RejectHostKey}
		if err := d.run(t, context.Background(), d.config(ui2), runCommand("true", &testnet.Buffer{})); err != nil {
			t.Fatalf("second run with the saved key: %v", err)
		}
		if len(ui2.asked) != 0 {
			t.Fatal("asked about a key that was saved")
		}
	})
}

func TestFlowRefusesChangedHostKey(t *testing.T) {
	d := newDoor(t)
	other := filepath.Join(t.TempDir(), "k")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	pub, _ := os.ReadFile(other + ".pub")
	kh := filepath.Join(d.home, ".ssh", "known_hosts")
	if err := os.WriteFile(kh, []byte(d.prof.Host+" "+string(pub)), 0o600); err != nil {
		t.Fatal(err)
	}
	ui := &scriptUI{hostKey: AcceptAndSaveHostKey} // must not matter
	err := d.run(t, context.Background(), d.config(ui), runCommand("true", &testnet.Buffer{}))
	var ce *HostKeyChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "ssh-keygen -R") {
		t.Fatalf("Run = %v, want a HostKeyChangedError that says how to remove the old key", err)
	}
	if len(ui.asked) != 0 || len(ui.changed) != 1 || len(ui.changed[0].Known) != 1 {
		t.Fatalf("asked %d, changed %+v: a changed key must be reported, never offered", len(ui.asked), ui.changed)
	}
	after, _ := os.ReadFile(kh)
	if string(after) != d.prof.Host+" "+string(pub) {
		t.Fatal("known_hosts was modified")
	}
	d.assertClosed(t)
}

func TestFlowClosesDoorWhenCancelled(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ui := &scriptUI{}
	var out testnet.Buffer
	err := d.run(t, ctx, d.config(ui), func(ctx context.Context, c *Conn) error {
		// The door is open while the session runs.
		if !d.pair.Server.HasAcceptFrom(t, testnet.ClientAddr4.String()) {
			t.Error("no ACCEPT rule during the session")
		}
		cancel() // as SIGTERM or a closed tab would
		return c.Run(ctx, "sleep 60", Stdio{Out: &out}, nil)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	d.assertClosed(t)
}

func TestFlowClosesDoorWhenServerDies(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	ui := &scriptUI{}
	var out testnet.Buffer
	err := d.run(t, context.Background(), d.config(ui), func(ctx context.Context, c *Conn) error {
		ui.onSession = nil
		go func() {
			// Kill sshd once the command is running.
			if !waitText(&out, "started") {
				t.Error("the remote command did not start")
				return
			}
			d.pair.Server.Kill(t, "sshd", unix.SIGKILL)
		}()
		return c.Run(ctx, "echo started; sleep 60", Stdio{Out: &out}, nil)
	})
	var lost *ConnectionLostError
	if !errors.As(err, &lost) {
		t.Fatalf("Run = %v, want ConnectionLostError", err)
	}
	d.assertClosed(t)
}

func TestFlowClosesDoorOnKeepaliveLoss(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	cfg := d.config(&scriptUI{})
	cfg.KeepaliveInterval, cfg.KeepaliveMax = 200*time.Millisecond, 3
	var out testnet.Buffer
	err := d.run(t, context.Background(), cfg, func(ctx context.Context, c *Conn) error {
		go func() {
			if !waitText(&out, "started") {
				t.Error("the remote command did not start")
				return
			}
			// The network goes quiet for the session; knocks still reach
			// knockd, which listens below the firewall.
			if out, err := d.pair.Server.Try("iptables", "-w", "-I", "INPUT", "1", "-p", "tcp", "--dport", "22", "-j", "DROP"); err != nil {
				t.Errorf("drop SSH traffic: %v %s", err, out)
			}
		}()
		return c.Run(ctx, "echo started; sleep 60", Stdio{Out: &out}, nil)
	})
	var lost *ConnectionLostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "keepalive") {
		t.Fatalf("Run = %v, want a keepalive ConnectionLostError", err)
	}
	d.assertClosed(t)
}

func TestFlowDoorNeverOpens(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	d.prof.Secrets.Open, _ = knocker.ParseSequence("1111,2222,3333")
	cfg := d.config(&scriptUI{})
	cfg.DialWindow = time.Second
	err := d.run(t, context.Background(), cfg, runCommand("true", &testnet.Buffer{}))
	var de *DoorError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "door did not open") {
		t.Fatalf("Run = %v, want a DoorError", err)
	}
}

func TestFlowEncryptedKeyAsksPassphraseOnce(t *testing.T) {
	d := newDoor(t)
	d.trustServer(t)
	key := filepath.Join(d.home, ".ssh", "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-p", "-N", "s3cret", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("encrypt key: %v %s", err, out)
	}
	os.Remove(key + ".pub") // the public half must come from the key file itself
	ui := &scriptUI{passphrase: []string{"wrong", "s3cret"}}
	var out testnet.Buffer
	if err := d.run(t, context.Background(), d.config(ui), runCommand("echo in", &out)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(ui.passphrase) != 0 || strings.TrimSpace(out.String()) != "in" {
		t.Fatalf("passphrases left %v, output %q", ui.passphrase, out.String())
	}
	d.assertClosed(t)
}
