package profiles

import (
	"errors"
	"net"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"

	"sesame/internal/sessionbus"
)

// checkSessionBus refuses early when there is no session bus to find: with
// none, godbus would run dbus-launch, which starts a bus daemon that
// outlives Sesame and has no Secret Service on it anyway.
func checkSessionBus(op string) error {
	if sessionbus.Present() {
		return nil
	}
	return &KeyringError{Problem: KeyringNoBus, Op: op, Detail: "DBUS_SESSION_BUS_ADDRESS is not set"}
}

// D-Bus and Secret Service error names that say what is wrong.
var dbusProblems = map[string]KeyringProblem{
	"org.freedesktop.DBus.Error.ServiceUnknown":    KeyringNoService,
	"org.freedesktop.DBus.Error.NameHasNoOwner":    KeyringNoService,
	"org.freedesktop.DBus.Error.Spawn.ExecFailed":  KeyringNoService,
	"org.freedesktop.DBus.Error.Spawn.ChildExited": KeyringNoService,
	"org.freedesktop.DBus.Error.NoReply":           KeyringNoService,
	"org.freedesktop.Secret.Error.IsLocked":        KeyringLocked,
	"org.freedesktop.DBus.Error.AccessDenied":      KeyringDenied,
	"org.freedesktop.Secret.Error.NoSuchObject":    KeyringNoCollection,
	"org.freedesktop.DBus.Error.UnknownObject":     KeyringNoCollection,
	"org.freedesktop.DBus.Error.UnknownMethod":     KeyringNoCollection,
}

// classifyPlatform names what went wrong talking to the Secret Service.
func classifyPlatform(op string, err error) error {
	ke := &KeyringError{Problem: KeyringFailed, Op: op, Err: err}
	var de dbus.Error
	var dep *dbus.Error
	var ne net.Error
	switch {
	case errors.As(err, &de):
		ke.Detail = de.Name
		if p, ok := dbusProblems[de.Name]; ok {
			ke.Problem = p
		}
	case errors.As(err, &dep):
		ke.Detail = dep.Name
		if p, ok := dbusProblems[dep.Name]; ok {
			ke.Problem = p
		}
	case strings.HasPrefix(err.Error(), "failed to unlock"):
		// go-keyring's word for an Unlock whose prompt was dismissed.
		ke.Problem = KeyringLocked
	case errors.As(err, &ne), errors.Is(err, os.ErrNotExist), strings.HasPrefix(err.Error(), "dbus:"):
		// The bus address is set but nothing answers there.
		ke.Problem = KeyringNoBus
		ke.Detail = err.Error()
	default:
		ke.Detail = err.Error()
	}
	return ke
}
