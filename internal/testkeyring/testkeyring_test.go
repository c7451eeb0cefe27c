package testkeyring

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

var env *Env

func TestMain(m *testing.M) {
	env = Start()
	code := m.Run()
	env.Stop()
	if env.Err == nil {
		// Stop puts the environment back and removes the directory.
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == env.BusAddress {
			println("Stop left DBUS_SESSION_BUS_ADDRESS pointing at the stopped bus")
			code = 1
		}
		if _, err := os.Stat(env.Dir); !os.IsNotExist(err) {
			println("Stop left", env.Dir, "behind")
			code = 1
		}
	}
	os.Exit(code)
}

func TestEnvironment(t *testing.T) {
	e := env.Require(t)
	for k, want := range map[string]string{"DBUS_SESSION_BUS_ADDRESS": e.BusAddress, "HOME": e.Home} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasPrefix(e.BusAddress, "unix:path=") {
		t.Errorf("bus address %q is not a socket path (an abstract socket is not reachable from other network namespaces)", e.BusAddress)
	}
	// Subprocesses inherit the bus.
	out, err := exec.Command("sh", "-c", "echo $DBUS_SESSION_BUS_ADDRESS").Output()
	if err != nil || strings.TrimSpace(string(out)) != e.BusAddress {
		t.Errorf("a subprocess sees %q, %v", out, err)
	}
}

func TestSecretServiceRoundTrip(t *testing.T) {
	e := env.Require(t)
	if err := keyring.Set("testkeyring", "acct", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get("testkeyring", "acct"); err != nil || got != "s3cret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got := e.Accounts(t, "testkeyring"); !slices.Equal(got, []string{"acct"}) {
		t.Fatalf("Accounts = %v", got)
	}
	e.Lock(t)
	if _, err := keyring.Get("testkeyring", "acct"); err == nil {
		t.Fatal("Get succeeded with the keyring locked")
	}
	e.Unlock(t)
	if got, err := keyring.Get("testkeyring", "acct"); err != nil || got != "s3cret" {
		t.Fatalf("Get after Unlock = %q, %v", got, err)
	}
	if err := keyring.Delete("testkeyring", "acct"); err != nil {
		t.Fatal(err)
	}
	if got := e.Accounts(t, "testkeyring"); len(got) != 0 {
		t.Fatalf("Accounts after Delete = %v", got)
	}
}

func TestBareBus(t *testing.T) {
	e := env.Require(t)
	addr := e.BareBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has); err != nil {
		t.Fatal(err)
	}
	if has {
		t.Fatal("the bare bus has a Secret Service")
	}
	var activatable []string
	if err := conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(activatable, "org.freedesktop.secrets") {
		t.Fatal("the bare bus would start a Secret Service on demand")
	}
}
