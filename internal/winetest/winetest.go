//go:build linux

// Package winetest runs the headless Windows build of sesame
// (GOOS=windows CGO_ENABLED=0, -tags headless) under Wine 8, inside a
// test's client network namespace (internal/testnet), so that `make test`
// exercises the Windows code paths against the real knockd and sshd.
//
// The workarounds here are for Wine's gaps, not Sesame's, and stay in the
// test harness: Wine 8 has no bcryptprimitives.dll, whose ProcessPrng Go
// 1.26's runtime needs to start, so a test-only DLL built with mingw-w64
// (testdata/prng.c) forwards it to BCryptGenRandom; and Wine's sockets live
// in wineserver, so each test starts `wineserver -p` inside its client
// namespace. One Wine prefix (`wineboot -i`, the slow part) serves the
// whole test binary; each test gets its own wineserver on it, killed when
// the test ends, pass or fail.
package winetest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sesame/internal/testnet"
	"sesame/internal/xvfb"
)

//go:embed testdata/prng.c
var prngC []byte

//go:embed testdata/prng.def
var prngDef []byte

// setupTimeout bounds building the exe and the DLL and `wineboot -i`; it
// only guards against a hang (a wineboot waiting for a dialog, say).
const setupTimeout = 5 * time.Minute

// Prefix is the Wine prefix and the Windows sesame.exe a test binary
// shares. It is made on first use, so a test binary whose Wine tests skip
// pays nothing.
type Prefix struct {
	once sync.Once
	err  error
	tmp  string
	// Dir is the WINEPREFIX; Exe the headless Windows build of sesame;
	// AgentExe the test-only OpenSSH agent stand-in (./agentpipe).
	Dir, Exe, AgentExe string
	// Setup is how long building and `wineboot -i` took.
	Setup time.Duration
}

// NewPrefix returns a prefix that is set up on the first Start. Call Close
// from TestMain after m.Run.
func NewPrefix() *Prefix { return &Prefix{} }

// Close removes the prefix and the exe.
func (p *Prefix) Close() {
	if p.tmp == "" {
		return
	}
	// No wineserver may outlive its test, but make sure before removing
	// the prefix under one.
	_ = p.command(context.Background(), "wineserver", "-k").Run()
	if server := p.serverName(); server != "" {
		// Debian's Wine leaves its /tmp/wine-XXXXXX behind.
		dirs, _ := filepath.Glob("/tmp/wine-*/" + server)
		for _, d := range dirs {
			os.RemoveAll(filepath.Dir(d))
		}
		os.RemoveAll(fmt.Sprintf("/tmp/.wine-%d/%s", os.Geteuid(), server))
	}
	os.RemoveAll(p.tmp)
}

// serverName is the name of the directory wineserver keeps this prefix's
// socket in, or "" before the prefix exists.
func (p *Prefix) serverName() string {
	var st unix.Stat_t
	if p.Dir == "" || unix.Stat(p.Dir, &st) != nil {
		return ""
	}
	return fmt.Sprintf("server-%x-%x", st.Dev, st.Ino)
}

// Require skips the test, with the reason, unless it runs as root with
// Wine and mingw-w64 installed.
func Require(t testing.TB) {
	t.Helper()
	testnet.RequireRoot(t)
	for _, tool := range []string{"wine", "wineserver", "wineboot"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipped: Wine is not installed (%s missing; make test installs Debian's wine and wine64)", tool)
		}
	}
	if _, err := exec.LookPath("x86_64-w64-mingw32-gcc"); err != nil {
		t.Skip("skipped: mingw-w64 is not installed (make test installs gcc-mingw-w64-x86-64, for the test-only bcryptprimitives.dll)")
	}
}

func (p *Prefix) setup() error {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "sesame-wine-")
	if err != nil {
		return err
	}
	p.tmp = tmp
	p.Dir = filepath.Join(tmp, "prefix")
	p.Exe = filepath.Join(tmp, "sesame.exe")
	p.AgentExe = filepath.Join(tmp, "agentpipe.exe")
	if err := os.Mkdir(filepath.Join(tmp, "home"), 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()

	for _, b := range []struct{ out, pkg string }{{p.Exe, "sesame"}, {p.AgentExe, "sesame/internal/winetest/agentpipe"}} {
		build := exec.CommandContext(ctx, "go", "build", "-tags", "headless", "-o", b.out, b.pkg)
		build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build the Windows %s: %w\n%s", filepath.Base(b.out), err, out)
		}
	}

	src, def := filepath.Join(tmp, "prng.c"), filepath.Join(tmp, "prng.def")
	dll := filepath.Join(tmp, "bcryptprimitives.dll")
	if err := errors.Join(os.WriteFile(src, prngC, 0o600), os.WriteFile(def, prngDef, 0o600)); err != nil {
		return err
	}
	cc := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-shared", "-O2", "-s", "-o", dll, src, def, "-lbcrypt")
	if out, err := cc.CombinedOutput(); err != nil {
		return fmt.Errorf("build the test-only bcryptprimitives.dll with mingw-w64: %w\n%s", err, out)
	}

	// wineboot starts a wineserver of its own, outside any namespace;
	// it is stopped at once, and each test starts one in its namespace.
	// Its output goes to a file: the services it starts inherit it and
	// outlive it, which would keep a pipe open.
	log := filepath.Join(tmp, "wineboot.log")
	f, err := os.Create(log)
	if err != nil {
		return err
	}
	boot := p.command(ctx, "wineboot", "-i")
	boot.Stdout, boot.Stderr = f, f
	err = boot.Run()
	f.Close()
	if err != nil {
		out, _ := os.ReadFile(log)
		return fmt.Errorf("wineboot -i (create the Wine prefix): %w\n%s", err, out)
	}
	if out, err := p.command(ctx, "wineserver", "-k").CombinedOutput(); err != nil && !isExit(err) {
		return fmt.Errorf("wineserver -k: %w\n%s", err, out)
	}
	_ = p.command(ctx, "wineserver", "-w").Run()
	// Go loads bcryptprimitives.dll from system32 only.
	sys32 := filepath.Join(p.Dir, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	data, err := os.ReadFile(dll)
	if err != nil {
		return err
	}
	if err := os.WriteFile(sys32, data, 0o644); err != nil {
		return fmt.Errorf("install the test-only DLL in the prefix: %w", err)
	}
	p.Setup = time.Since(start)
	return nil
}

func isExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

// env is the whole environment Wine runs with: nothing of the test's own
// (no SSH_AUTH_SOCK, DISPLAY or SESAME_CONFIG_DIR), so the Windows build
// finds its files where Windows puts them.
func (p *Prefix) env(display string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + filepath.Join(p.tmp, "home"),
		"LANG=C.UTF-8",
		"WINEPREFIX=" + p.Dir,
		"WINEDEBUG=-all",
		// No Mono or Gecko install prompts.
		"WINEDLLOVERRIDES=mscoree,mshtml=",
	}
	if display != "" {
		env = append(env, "DISPLAY="+display)
	}
	return env
}

func (p *Prefix) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = p.env("")
	return cmd
}

// Wine is a wineserver running in a test's client namespace, and the
// sesame.exe run through it.
type Wine struct {
	p       *Prefix
	ns      *testnet.NS
	display string
	// Server is the wineserver process.
	Server *testnet.Proc
}

// Start sets the prefix up if this is its first use, then starts a
// persistent wineserver inside ns and waits until it accepts clients. The
// wineserver and every Windows process of the prefix are killed when the
// test ends. Tests that use Wine must not run in parallel: they share the
// prefix.
func (p *Prefix) Start(t testing.TB, ns *testnet.NS) *Wine {
	t.Helper()
	return p.start(t, ns, "")
}

// StartDisplay is Start with an X display (Xvfb) of the test's own, on
// which Wine makes windows: the session-end window needs one, and without
// it Windows programs under Wine have no desktop.
func (p *Prefix) StartDisplay(t testing.TB, ns *testnet.NS) *Wine {
	t.Helper()
	testnet.RequireTools(t, "Xvfb")
	// Wine in a namespace reaches Xvfb through its socket in
	// /tmp/.X11-unix, which namespaces share.
	return p.start(t, ns, xvfb.Start(t, 640, 480).Name)
}

func (p *Prefix) start(t testing.TB, ns *testnet.NS, display string) *Wine {
	t.Helper()
	Require(t)
	p.once.Do(func() {
		p.err = p.setup()
		t.Logf("Wine prefix and sesame.exe set up in %v", p.Setup.Round(time.Millisecond))
	})
	if p.err != nil {
		t.Fatal(p.err)
	}
	// Where wineserver puts its socket for this prefix: upstream Wine in
	// /tmp/.wine-UID, Debian's in a /tmp/wine-XXXXXX of its own.
	server := p.serverName()
	socks := []string{
		fmt.Sprintf("/tmp/.wine-%d/%s/socket", os.Geteuid(), server),
		"/tmp/wine-*/" + server + "/socket",
	}
	argv := append(append([]string{"-i"}, p.env(display)...), "wineserver", "-f", "-p")
	w := &Wine{p: p, ns: ns, display: display, Server: ns.Start(t, "env", argv...)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testnet.Await)
		defer cancel()
		_ = w.command(ctx, "wineserver", "-k").Run()
	})
	testnet.WaitFor(t, "wineserver to listen on "+strings.Join(socks, " or "), func() bool {
		for _, s := range socks {
			if m, _ := filepath.Glob(s); len(m) > 0 {
				return true
			}
		}
		return false
	})
	return w
}

func (w *Wine) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append(append([]string{"-i"}, w.p.env(w.display)...), name)
	return w.ns.Command(ctx, "env", append(argv, args...)...)
}

// Command is sesame.exe with args under Wine in the namespace.
func (w *Wine) Command(ctx context.Context, args ...string) *exec.Cmd {
	return w.command(ctx, "wine", append([]string{w.p.Exe}, args...)...)
}

// Result is what a Windows program printed and its exit status.
type Result struct {
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Sesame runs sesame.exe with args and returns what it printed and its
// exit status; it fails the test only if the program could not be run.
func (w *Wine) Sesame(t testing.TB, args ...string) Result {
	t.Helper()
	return w.run(t, w.Command, args...)
}

// Wine runs a program of Wine's own (reg, cmd) with args.
func (w *Wine) Wine(t testing.TB, prog string, args ...string) Result {
	t.Helper()
	return w.run(t, func(ctx context.Context, a ...string) *exec.Cmd {
		return w.command(ctx, "wine", a...)
	}, append([]string{prog}, args...)...)
}

func (w *Wine) run(t testing.TB, mk func(context.Context, ...string) *exec.Cmd, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testnet.Await)
	defer cancel()
	// Files, not pipes: the first Windows program of a wineserver starts
	// Wine's services (services.exe, winedevice.exe), which inherit its
	// standard handles and outlive it.
	dir := t.TempDir()
	out, errOut := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	cmd := mk(ctx, args...)
	var err error
	if cmd.Stdout, err = os.Create(out); err != nil {
		t.Fatal(err)
	}
	defer cmd.Stdout.(*os.File).Close()
	if cmd.Stderr, err = os.Create(errOut); err != nil {
		t.Fatal(err)
	}
	defer cmd.Stderr.(*os.File).Close()
	runErr := cmd.Run()
	r := Result{Stdout: readFile(t, out), Stderr: readFile(t, errOut)}
	if runErr != nil && !isExit(runErr) {
		t.Fatalf("run %s under Wine: %v\n%s", strings.Join(args, " "), runErr, r.Stderr)
	}
	r.Code = cmd.ProcessState.ExitCode()
	return r
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// UserProfile is %USERPROFILE% (C:\users\NAME) as a path on this machine.
func (w *Wine) UserProfile(t testing.TB) string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(w.p.Dir, "drive_c", "users", "*", "AppData"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no user profile in the Wine prefix %s (%v)", w.p.Dir, err)
	}
	for _, d := range dirs {
		if !strings.Contains(d, string(filepath.Separator)+"Public"+string(filepath.Separator)) {
			return filepath.Dir(d)
		}
	}
	t.Fatalf("no user profile in the Wine prefix %s", w.p.Dir)
	return ""
}

// AppData is %APPDATA% as a path on this machine.
func (w *Wine) AppData(t testing.TB) string {
	t.Helper()
	return filepath.Join(w.UserProfile(t), "AppData", "Roaming")
}

// Background starts sesame.exe with args under Wine in the namespace and
// returns at once; the program is stopped when the test ends.
func (w *Wine) Background(t testing.TB, args ...string) *testnet.Proc {
	t.Helper()
	return w.background(t, w.p.Exe, args...)
}

func (w *Wine) background(t testing.TB, exe string, args ...string) *testnet.Proc {
	t.Helper()
	argv := append(append([]string{"-i"}, w.p.env(w.display)...), "wine", exe)
	return w.ns.Start(t, "env", append(argv, args...)...)
}

// Agent runs the OpenSSH agent stand-in on the agent's named pipe, with
// the private key in keyFile (a Windows path), until the test ends.
func (w *Wine) Agent(t testing.TB, keyFile string) *testnet.Proc {
	t.Helper()
	p := w.background(t, w.p.AgentExe, keyFile)
	p.WaitOutput(t, "listening on")
	return p
}
