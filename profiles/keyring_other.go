//go:build !linux

package profiles

import "errors"

func checkSessionBus(string) error { return nil }

// classifyPlatform wraps a Keychain or Credential Manager error; their
// messages say what is wrong.
func classifyPlatform(op string, err error) error {
	var detail string
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		detail = err.Error()
	}
	return &KeyringError{Problem: KeyringFailed, Op: op, Detail: detail, Err: err}
}
