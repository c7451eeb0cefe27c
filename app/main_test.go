package app

import (
	"os"
	"testing"

	"sesame/internal/testkeyring"
	"sesame/internal/testnet"
)

// keyring is this test binary's own Secret Service, for the end-to-end
// tests that run the real app against the real keyring. The widget tests
// use an in-memory keyring.
var keyring *testkeyring.Env

func TestMain(m *testing.M) {
	keyring = testkeyring.Start()
	code := m.Run()
	keyring.Stop()
	testnet.RemoveBinaries()
	os.Exit(code)
}
