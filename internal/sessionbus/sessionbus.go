// Package sessionbus tells whether a D-Bus session bus can be found
// without starting one.
package sessionbus

import (
	"fmt"
	"os"
)

// Present reports whether there is a session bus to connect to: the
// address in DBUS_SESSION_BUS_ADDRESS, or one of the places godbus looks
// (the systemd user bus socket, the file dbus-launch leaves behind).
// With none, godbus would run dbus-launch, which starts a bus daemon that
// outlives the process and has nothing Sesame needs on it.
func Present() bool {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return true
	}
	return userBus()
}

// userBus reports whether the user's bus socket or dbus-launch's file is
// there.
func userBus() bool {
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(dir + "/" + f); err == nil {
			return true
		}
	}
	return false
}
