// Package testkeyring gives a test binary its own real Secret Service: a
// private D-Bus session bus and a gnome-keyring-daemon with an unlocked
// login keyring, with HOME and the XDG directories in a temporary directory,
// so that tests never touch the user's keyring or config.
//
// Start it from TestMain, before anything touches the session bus (godbus
// keeps the first session bus connection for the life of the process), and
// stop it after m.Run:
//
//	var keyring *testkeyring.Env
//
//	func TestMain(m *testing.M) {
//		keyring = testkeyring.Start()
//		code := m.Run()
//		keyring.Stop()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		keyring.Require(t) // skips, with the reason, when there is no keyring
//		...
//	}
//
// Start sets DBUS_SESSION_BUS_ADDRESS, HOME and XDG_* in the process's
// environment, so subprocesses (the sesame binary, also under `ip netns
// exec`) use the same keyring. The bus listens on a socket path, not an
// abstract socket, so it is reachable from inside network namespaces.
package testkeyring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Password unlocks the test login keyring.
const Password = "sesame-test-keyring"

// await bounds how long Start waits for a daemon to come up; it only guards
// against hangs.
const await = 30 * time.Second

// Secret Service names.
const (
	secretsName     = "org.freedesktop.secrets"
	secretsPath     = "/org/freedesktop/secrets"
	serviceIface    = "org.freedesktop.Secret.Service"
	loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	// gnome-keyring's interface for unlocking without a prompt (what
	// seahorse uses); the name is gnome-keyring's own.
	gnomeInternalIface = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
)

// Env is a private Secret Service. Its zero value is unusable; a failed
// Start returns an Env whose Err says why, and Require skips on it.
type Env struct {
	// Err is why the keyring could not be started; nil when it runs.
	Err error
	// Dir is the temporary directory that holds HOME, the XDG directories
	// and the bus socket.
	Dir string
	// Home is the HOME every process of the test binary now sees.
	Home string
	// BusAddress is the session bus address, also in
	// DBUS_SESSION_BUS_ADDRESS.
	BusAddress string

	mu      sync.Mutex
	procs   []*proc
	oldEnv  map[string]*string
	stopped bool
}

// Start starts a private session bus and gnome-keyring-daemon and points
// this process's environment at them. It never fails: when the tools are
// missing or a daemon does not start, the returned Env's Err says why and
// Require skips the tests that need it.
func Start() *Env {
	e := &Env{oldEnv: map[string]*string{}}
	if err := e.start(); err != nil {
		e.Stop()
		e.Err = err
	}
	return e
}

// Require skips the test, with the reason, unless the keyring runs.
func (e *Env) Require(t testing.TB) *Env {
	t.Helper()
	if e == nil {
		t.Skip("no test keyring: testkeyring.Start was not called from TestMain")
	}
	if e.Err != nil {
		t.Skipf("no test keyring: %v", e.Err)
	}
	return e
}

func (e *Env) start() error {
	for _, tool := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (apt-get install dbus gnome-keyring)", tool)
		}
	}
	dir, err := os.MkdirTemp("", "sesame-keyring-")
	if err != nil {
		return err
	}
	e.Dir = dir
	e.Home = filepath.Join(dir, "home")
	xdg := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(e.Home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(e.Home, ".local", "share"),
		"XDG_CACHE_HOME":  filepath.Join(e.Home, ".cache"),
		"XDG_RUNTIME_DIR": filepath.Join(dir, "run"),
	}
	for _, d := range xdg {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}

	addr, err := e.startBus(filepath.Join(dir, "bus"))
	if err != nil {
		return err
	}
	e.BusAddress = addr

	// Keep the Go tool on its real cache, module cache and settings
	// (GOFLAGS, GOTOOLCHAIN) when HOME moves: tests build binaries.
	for k, v := range goDirs() {
		if _, set := os.LookupEnv(k); !set {
			e.setenv(k, v)
		}
	}
	e.setenv("HOME", e.Home)
	for k, v := range xdg {
		e.setenv(k, v)
	}
	e.setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	// A desktop's own keyring must not answer instead of ours.
	e.unsetenv("GNOME_KEYRING_CONTROL")
	e.unsetenv("DBUS_STARTER_ADDRESS")

	return e.startKeyring()
}

// busConfig is a session bus with no service directories: nothing is
// activated behind the tests' backs, so the only Secret Service is the one
// Start runs.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// startBus runs a dbus-daemon listening on socket and returns its address
// once it accepts connections.
func (e *Env) startBus(socket string) (string, error) {
	conf := socket + ".conf"
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, socket)), 0o600); err != nil {
		return "", err
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	addr := &firstLine{line: make(chan string, 1)}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = addr, &stderr
	p, err := e.run(cmd)
	if err != nil {
		return "", fmt.Errorf("start dbus-daemon: %w", err)
	}
	// dbus-daemon prints its address once it listens.
	select {
	case a := <-addr.line:
		return a, nil
	case <-p.done:
		return "", fmt.Errorf("dbus-daemon exited (%v): %s", p.err, strings.TrimSpace(stderr.String()))
	case <-time.After(await):
		return "", fmt.Errorf("dbus-daemon did not print its address within %s", await)
	}
}

// firstLine is a Writer that sends the first line written to it.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	sent bool
	line chan string
}

func (f *firstLine) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sent {
		f.buf = append(f.buf, b...)
		if i := bytes.IndexByte(f.buf, '\n'); i >= 0 {
			f.line <- strings.TrimSpace(string(f.buf[:i]))
			f.sent = true
		}
	}
	return len(b), nil
}

// startKeyring runs gnome-keyring-daemon with its secrets component on the
// bus, creating and unlocking the login keyring with Password.
func (e *Env) startKeyring() error {
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = os.Environ()
	cmd.Stdin = strings.NewReader(Password)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := e.run(cmd)
	if err != nil {
		return fmt.Errorf("start gnome-keyring-daemon: %w", err)
	}

	conn, err := e.Conn()
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(await)
	for {
		if loginUnlocked(conn) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("gnome-keyring-daemon exited (%v): %s", p.err, strings.TrimSpace(out.String()))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gnome-keyring-daemon did not unlock a login keyring within %s: %s", await, strings.TrimSpace(out.String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loginUnlocked reports whether the Secret Service answers and its login
// collection exists and is unlocked.
func loginUnlocked(conn *dbus.Conn) bool {
	v, err := conn.Object(secretsName, loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return false
	}
	locked, ok := v.Value().(bool)
	return ok && !locked
}

// Conn opens a new private connection to the test bus; the caller closes
// it. Tests use it to drive the Secret Service (Lock, Unlock) without
// sharing the connection the code under test uses.
func (e *Env) Conn() (*dbus.Conn, error) {
	conn, err := dbus.Connect(e.BusAddress)
	if err != nil {
		return nil, fmt.Errorf("connect to the test bus %s: %w", e.BusAddress, err)
	}
	return conn, nil
}

// testConn is Conn for a test, closed when the test ends.
func (e *Env) testConn(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := e.Conn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Lock locks the login keyring, as a screen lock or a timeout would: the
// next read or write needs an unlock prompt.
func (e *Env) Lock(t testing.TB) {
	t.Helper()
	conn := e.testConn(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := conn.Object(secretsName, secretsPath).Call(serviceIface+".Lock", 0, []dbus.ObjectPath{loginCollection}).Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("lock the login keyring: %v", err)
	}
	if len(locked) != 1 || prompt != "/" {
		t.Fatalf("lock the login keyring: locked %v, prompt %s", locked, prompt)
	}
	if loginUnlocked(conn) {
		t.Fatal("the login keyring is still unlocked after Lock")
	}
}

// Unlock unlocks the login keyring with Password, without a prompt.
func (e *Env) Unlock(t testing.TB) {
	t.Helper()
	conn := e.testConn(t)
	svc := conn.Object(secretsName, secretsPath)
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call(serviceIface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("open a Secret Service session: %v", err)
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(Password), "text/plain"}
	if err := svc.Call(gnomeInternalIface+".UnlockWithMasterPassword", 0, loginCollection, secret).Err; err != nil {
		t.Fatalf("unlock the login keyring: %v", err)
	}
	if !loginUnlocked(conn) {
		t.Fatal("the login keyring is still locked after Unlock")
	}
}

// Accounts lists the accounts that have a secret under service in the
// test keyring, read straight from the Secret Service: what a user would
// see in Passwords and Keys.
func (e *Env) Accounts(t testing.TB, service string) []string {
	t.Helper()
	conn := e.testConn(t)
	var unlocked, locked []dbus.ObjectPath
	err := conn.Object(secretsName, secretsPath).Call(serviceIface+".SearchItems", 0, map[string]string{"service": service}).Store(&unlocked, &locked)
	if err != nil {
		t.Fatalf("search the keyring: %v", err)
	}
	var accounts []string
	for _, item := range append(unlocked, locked...) {
		v, err := conn.Object(secretsName, item).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			t.Fatalf("read the attributes of %s: %v", item, err)
		}
		attrs, _ := v.Value().(map[string]string)
		accounts = append(accounts, attrs["username"])
	}
	sort.Strings(accounts)
	return accounts
}

// BareBus starts a second session bus with no Secret Service on it, for
// tests of what Sesame says when there is none. It is stopped when the test
// ends. Only subprocesses can use it: this process stays on the first bus.
func (e *Env) BareBus(t testing.TB) string {
	t.Helper()
	sub := &Env{}
	addr, err := sub.startBus(filepath.Join(t.TempDir(), "bus"))
	t.Cleanup(sub.Stop)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Stop stops the daemons, restores the environment and removes the
// temporary directory. It is safe to call more than once.
func (e *Env) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return
	}
	e.stopped = true
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	for k, v := range e.oldEnv {
		if v == nil {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, *v)
		}
	}
	if e.Dir != "" {
		os.RemoveAll(e.Dir)
	}
}

// proc is a daemon Start runs; done is closed when it has exited, and err
// is then what Wait returned.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// run starts cmd and keeps it to be stopped by Stop.
func (e *Env) run(cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

func (e *Env) setenv(k, v string) {
	e.remember(k)
	os.Setenv(k, v)
}

func (e *Env) unsetenv(k string) {
	e.remember(k)
	os.Unsetenv(k)
}

func (e *Env) remember(k string) {
	if e.oldEnv == nil {
		e.oldEnv = map[string]*string{}
	}
	if _, seen := e.oldEnv[k]; seen {
		return
	}
	if v, ok := os.LookupEnv(k); ok {
		e.oldEnv[k] = &v
	} else {
		e.oldEnv[k] = nil
	}
}

// goDirs are the Go tool's directories as they are before HOME moves: what
// `go env` says, or Go's defaults when there is no go on PATH.
func goDirs() map[string]string {
	dirs := map[string]string{}
	if out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOENV", "GOPATH", "GOMODCACHE").Output(); err == nil {
		if json.Unmarshal(out, &dirs) == nil {
			return dirs
		}
	}
	if d, err := os.UserCacheDir(); err == nil {
		dirs["GOCACHE"] = filepath.Join(d, "go-build")
	}
	if d, err := os.UserConfigDir(); err == nil {
		dirs["GOENV"] = filepath.Join(d, "go", "env")
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs["GOPATH"] = filepath.Join(h, "go")
	}
	return dirs
}
