package app

import (
	"errors"
	"testing"
	"time"

	"sesame/sshlaunch"
)

// TestOneTimeSequencePutBackWhenTheDoorStaysShut: a connect whose door did
// not open with the one-time sequence it knocked puts that sequence back,
// so the next Connect sends the one the server still waits for; a connect
// that got in spends it.
func TestOneTimeSequencePutBackWhenTheDoorStaysShut(t *testing.T) {
	h := newHarness(t, oneTimeProfile(t, "otp", "web.example.com", "6001,6002", "6003,6004"))
	h.launcher.connectErr = &sshlaunch.DoorError{Addr: fakeAddr, Elapsed: 15 * time.Second, Err: errors.New("i/o timeout")}
	h.ui.connect("otp")
	h.dialogShows("The door did not open")
	h.until("the sequence put back", func() bool {
		got, err := h.store.Get("otp")
		return err == nil && len(got.Secrets.OneTime) == 2 && got.Secrets.OneTimeUsed == 0 &&
			got.Secrets.OneTime[0].String() == "6001,6002"
	})
}
