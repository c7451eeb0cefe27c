package cli_test

import (
	"os"
	"testing"

	"sesame/internal/testkeyring"
	"sesame/internal/testnet"
)

// keyring is this test binary's own Secret Service; the sesame binaries the
// tests run (also inside network namespaces) inherit its bus address. It
// also moves HOME to a temporary directory, so no test touches the user's
// config or keyring.
var keyring *testkeyring.Env

func TestMain(m *testing.M) {
	keyring = testkeyring.Start()
	code := m.Run()
	keyring.Stop()
	testnet.RemoveBinaries()
	os.Exit(code)
}
