package profiles

import (
	"errors"
	"fmt"
	"sync"

	gokeyring "github.com/zalando/go-keyring"
)

// Service is the keyring service every Sesame secret is stored under.
const Service = "sesame"

// Keyring stores secrets by service and account. SystemKeyring is the OS
// keyring; MemKeyring is an in-memory one for tests of code above the store.
type Keyring interface {
	// Get returns the secret, or an error wrapping ErrSecretNotFound.
	Get(service, account string) (string, error)
	// Set creates or replaces the secret.
	Set(service, account, secret string) error
	// Delete removes the secret, or returns an error wrapping
	// ErrSecretNotFound.
	Delete(service, account string) error
}

// ErrSecretNotFound is returned by a Keyring for an account it has no
// secret for.
var ErrSecretNotFound = errors.New("no such secret in the keyring")

// KeyringProblem says why the keyring could not be used.
type KeyringProblem int

// The keyring problems SystemKeyring tells apart.
const (
	// KeyringFailed is any other failure.
	KeyringFailed KeyringProblem = iota
	// KeyringNoBus: no D-Bus session bus to find a Secret Service on.
	KeyringNoBus
	// KeyringNoService: a session bus, but no Secret Service on it.
	KeyringNoService
	// KeyringLocked: the keyring is locked and was not unlocked (the
	// unlock prompt was dismissed or could not be shown).
	KeyringLocked
	// KeyringDenied: the keyring refused access (a denied prompt).
	KeyringDenied
	// KeyringNoCollection: the Secret Service has no default keyring.
	KeyringNoCollection
	// KeyringTooBig: the keyring refused an entry as too large.
	KeyringTooBig
)

// KeyringError is a keyring failure, with what to do about it.
type KeyringError struct {
	Problem KeyringProblem
	// Op is what was being done: "read", "write" or "delete".
	Op string
	// Detail is a short description of the underlying error (a D-Bus error
	// name, an OS error); it never holds a secret.
	Detail string
	Err    error
}

func (e *KeyringError) Error() string {
	msg := fmt.Sprintf("cannot %s the keyring: %s", e.Op, e.Problem.explain())
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

func (e *KeyringError) Unwrap() error { return e.Err }

func (p KeyringProblem) explain() string {
	switch p {
	case KeyringNoBus:
		return "there is no D-Bus session bus to find a Secret Service on: " +
			"run Sesame in a desktop session, or start one with dbus-run-session and gnome-keyring-daemon --unlock --components=secrets"
	case KeyringNoService:
		return "no Secret Service is running on the session bus: " +
			"start gnome-keyring-daemon --components=secrets (or enable KeePassXC's Secret Service integration) and try again"
	case KeyringLocked:
		return "the keyring is locked and was not unlocked (the unlock prompt was dismissed or could not be shown): " +
			"unlock the login keyring (Passwords and Keys, or KeePassXC's database) and try again"
	case KeyringDenied:
		return "the keyring refused access (the prompt was denied): allow Sesame in the keyring's prompt and try again"
	case KeyringNoCollection:
		return "the Secret Service has no default keyring: create one (Passwords and Keys: New keyring, set as default) and try again"
	case KeyringTooBig:
		return fmt.Sprintf("the entry is too large for this keyring (Sesame keeps entries under %d bytes)", MaxSecretBytes)
	}
	return "the keyring failed"
}

// SystemKeyring is the OS keyring: the Secret Service on Linux and the BSDs,
// the Keychain on macOS, the Credential Manager on Windows. Its errors are
// *KeyringError, saying what is wrong and how to fix it.
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Get(service, account string) (string, error) {
	if err := checkSessionBus("read"); err != nil {
		return "", err
	}
	s, err := gokeyring.Get(service, account)
	if err != nil {
		return "", classify("read", err)
	}
	return s, nil
}

func (systemKeyring) Set(service, account, secret string) error {
	if err := checkSessionBus("write"); err != nil {
		return err
	}
	return classify("write", gokeyring.Set(service, account, secret))
}

func (systemKeyring) Delete(service, account string) error {
	if err := checkSessionBus("delete"); err != nil {
		return err
	}
	return classify("delete", gokeyring.Delete(service, account))
}

// classify turns go-keyring's errors into ErrSecretNotFound or a
// *KeyringError.
func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gokeyring.ErrNotFound):
		return ErrSecretNotFound
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		return &KeyringError{Problem: KeyringTooBig, Op: op, Err: err}
	}
	return classifyPlatform(op, err)
}

// MemKeyring is an in-memory Keyring for tests of code above the store. It
// is safe for concurrent use.
type MemKeyring struct {
	mu      sync.Mutex
	secrets map[[2]string]string
	// Fail, when set, is called before every operation ("get", "set",
	// "delete"); a non-nil result is returned instead of doing it. Set it
	// before the keyring is shared.
	Fail func(op, account string) error
}

// NewMemKeyring returns an empty in-memory keyring.
func NewMemKeyring() *MemKeyring { return &MemKeyring{secrets: map[[2]string]string{}} }

func (m *MemKeyring) fail(op, account string) error {
	if m.Fail == nil {
		return nil
	}
	return m.Fail(op, account)
}

// Get implements Keyring.
func (m *MemKeyring) Get(service, account string) (string, error) {
	if err := m.fail("get", account); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[[2]string{service, account}]
	if !ok {
		return "", ErrSecretNotFound
	}
	return s, nil
}

// Set implements Keyring.
func (m *MemKeyring) Set(service, account, secret string) error {
	if err := m.fail("set", account); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secrets[[2]string{service, account}] = secret
	return nil
}

// Delete implements Keyring.
func (m *MemKeyring) Delete(service, account string) error {
	if err := m.fail("delete", account); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{service, account}
	if _, ok := m.secrets[k]; !ok {
		return ErrSecretNotFound
	}
	delete(m.secrets, k)
	return nil
}

// Len returns how many secrets the keyring holds.
func (m *MemKeyring) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.secrets)
}
