package sessionbus

import "testing"

func TestPresent(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"unix:path=/run/user/1000/bus", true},
		{"autolaunch:", false},
	}
	for _, tt := range tests {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.addr)
		// The second case depends on /run/user: only check it where
		// there is no user bus socket either.
		if !tt.want && userBus() {
			continue
		}
		if got := Present(); got != tt.want {
			t.Errorf("DBUS_SESSION_BUS_ADDRESS=%q: Present() = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
