package sshlaunch

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"sesame/profiles"
)

// defaultIdentities are tried after the profile's and ~/.ssh/config's
// identity files, in OpenSSH's order.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// passphraseTries is how often a wrong passphrase is asked again, as ssh.
const passphraseTries = 3

// authenticator offers the methods in OpenSSH's order — agent keys,
// identity files, password, keyboard-interactive — and asks the user only
// for what the server is about to use: an encrypted key's passphrase is
// asked for only once the server has said it would accept that key.
type authenticator struct {
	ctx context.Context
	cfg *Config
	t   Target

	agentConn net.Conn

	mu        sync.Mutex
	triedList []string
	// storedPasswordUsed: the keyring's password has been offered once;
	// after a refusal the user is asked.
	storedPasswordUsed bool
	// Secrets the user asked to remember, saved once authentication
	// succeeds.
	rememberPassword   string
	rememberPassphrase string
	// err is a failure of ours (a prompt error) that should be reported
	// instead of the handshake's generic "unable to authenticate".
	err error
	// firstContact reports whether this server's key was accepted just
	// now, not found on record: its stored password is then not sent.
	firstContact func() bool
}

func newAuthenticator(ctx context.Context, cfg *Config, t Target) *authenticator {
	return &authenticator{ctx: ctx, cfg: cfg, t: t}
}

func (a *authenticator) close() {
	if a.agentConn != nil {
		a.agentConn.Close()
	}
}

func (a *authenticator) note(what string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, w := range a.triedList {
		if w == what {
			return
		}
	}
	a.triedList = append(a.triedList, what)
}

func (a *authenticator) tried() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.triedList) == 0 {
		return "nothing the server accepts"
	}
	return strings.Join(a.triedList, ", ")
}

func (a *authenticator) methods() []ssh.AuthMethod {
	return []ssh.AuthMethod{
		ssh.PublicKeysCallback(a.signers),
		ssh.RetryableAuthMethod(ssh.PasswordCallback(a.password), 3),
		ssh.RetryableAuthMethod(ssh.KeyboardInteractive(a.keyboardInteractive), 3),
	}
}

// signers lists the agent's keys, then each identity file's.
func (a *authenticator) signers() ([]ssh.Signer, error) {
	var out []ssh.Signer
	if sock := a.cfg.Env.AgentSocket; sock != "" {
		if c, err := dialAgent(sock); err == nil {
			a.agentConn = c
			if ss, err := agent.NewClient(c).Signers(); err == nil {
				for _, s := range ss {
					out = append(out, &notingSigner{Signer: s, a: a, what: "agent key " + ssh.FingerprintSHA256(s.PublicKey())})
				}
			} else {
				a.cfg.Log.Warn("ssh-agent did not list keys", "err", err)
			}
		} else {
			a.cfg.Log.Debug("no ssh-agent", "socket", sock, "err", err)
		}
	}
	files := append([]string(nil), a.t.IdentityFiles...)
	for _, name := range defaultIdentities {
		files = append(files, filepath.Join(a.cfg.Env.Home, ".ssh", name))
	}
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		s, err := a.fileSigner(f)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || f == firstOr(a.t.IdentityFiles) {
				a.cfg.Log.Warn("identity file not used", "file", f, "err", err)
			}
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

func firstOr(s []string) string {
	if len(s) > 0 {
		return s[0]
	}
	return ""
}

// fileSigner loads a private key. An encrypted key becomes a signer that
// asks for its passphrase when the server first wants a signature.
func (a *authenticator) fileSigner(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(pem)
	if err == nil {
		return &notingSigner{Signer: s, a: a, what: path}, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, fmt.Errorf("read key: %w", err)
	}
	pub := missing.PublicKey
	if pub == nil {
		// Older PEM formats do not carry the public key: take it from
		// the .pub file next to the key.
		pubBytes, perr := os.ReadFile(path + ".pub")
		if perr != nil {
			return nil, fmt.Errorf("encrypted key without a readable %s.pub: %w", path, perr)
		}
		pub, _, _, _, perr = ssh.ParseAuthorizedKey(pubBytes)
		if perr != nil {
			return nil, fmt.Errorf("read %s.pub: %w", path, perr)
		}
	}
	return &lockedSigner{a: a, path: path, pem: pem, pub: pub}, nil
}

// notingSigner records that a key was offered, for the error message when
// nothing works.
type notingSigner struct {
	ssh.Signer
	a    *authenticator
	what string
}

func (n *notingSigner) PublicKey() ssh.PublicKey {
	n.a.note(n.what)
	return n.Signer.PublicKey()
}

func (n *notingSigner) SignWithAlgorithm(r io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	if as, ok := n.Signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(r, data, algo)
	}
	return n.Signer.Sign(r, data)
}

func (n *notingSigner) Algorithms() []string {
	if ms, ok := n.Signer.(ssh.MultiAlgorithmSigner); ok {
		return ms.Algorithms()
	}
	return algorithmsFor(n.Signer.PublicKey())
}

// lockedSigner is an encrypted identity file whose passphrase is asked for
// (or taken from the keyring) only when the server accepts its public key.
type lockedSigner struct {
	a    *authenticator
	path string
	pem  []byte
	pub  ssh.PublicKey

	once   sync.Once
	signer ssh.Signer
	err    error
}

func (l *lockedSigner) PublicKey() ssh.PublicKey {
	l.a.note(l.path)
	return l.pub
}

func (l *lockedSigner) Algorithms() []string { return algorithmsFor(l.pub) }

func (l *lockedSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	return l.SignWithAlgorithm(r, data, "")
}

func (l *lockedSigner) SignWithAlgorithm(r io.Reader, data []byte, algo string) (*ssh.Signature, error) {
	l.once.Do(func() { l.signer, l.err = l.unlock() })
	if l.err != nil {
		l.a.fail(l.err)
		return nil, l.err
	}
	if r == nil {
		r = rand.Reader
	}
	if as, ok := l.signer.(ssh.AlgorithmSigner); ok && algo != "" {
		return as.SignWithAlgorithm(r, data, algo)
	}
	return l.signer.Sign(r, data)
}

func (l *lockedSigner) unlock() (ssh.Signer, error) {
	if stored := l.a.cfg.Profile.Secrets.Passphrase; stored != "" {
		if s, err := ssh.ParsePrivateKeyWithPassphrase(l.pem, []byte(stored)); err == nil {
			return s, nil
		}
		l.a.cfg.Log.Warn("the passphrase kept in the keyring does not unlock the key", "file", l.path)
	}
	for i := 0; i < passphraseTries; i++ {
		sec, err := l.a.cfg.UI.Passphrase(l.a.ctx, l.path)
		if err != nil {
			return nil, fmt.Errorf("passphrase for %s: %w", l.path, err)
		}
		s, err := ssh.ParsePrivateKeyWithPassphrase(l.pem, []byte(sec.Value))
		if err == nil {
			if sec.Remember {
				l.a.mu.Lock()
				l.a.rememberPassphrase = sec.Value
				l.a.mu.Unlock()
			}
			return s, nil
		}
		if !errors.Is(err, x509.IncorrectPasswordError) {
			return nil, fmt.Errorf("unlock %s: %w", l.path, err)
		}
	}
	return nil, fmt.Errorf("unlock %s: wrong passphrase %d times", l.path, passphraseTries)
}

// algorithmsFor lists the signature algorithms a key of pub's type can
// make, strongest first, so RSA keys use SHA-2 signatures.
func algorithmsFor(pub ssh.PublicKey) []string {
	if pub.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{pub.Type()}
}

func (a *authenticator) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = err
	}
}

func (a *authenticator) password() (string, error) {
	a.note("password")
	a.mu.Lock()
	stored := a.cfg.Profile.Secrets.Password
	useStored := stored != "" && !a.storedPasswordUsed
	a.storedPasswordUsed = true
	a.mu.Unlock()
	if useStored && a.firstContact != nil && a.firstContact() {
		// A key seen for the first time may be an impostor's: the stored
		// password goes only to a server whose key was on record.
		a.cfg.Log.Warn("the stored password is not sent to a server whose host key was not known before; type it to go on",
			"host", a.t.Host)
		useStored = false
	}
	if useStored {
		return stored, nil
	}
	sec, err := a.cfg.UI.Password(a.ctx, a.t.User, a.t.Host)
	if err != nil {
		a.fail(fmt.Errorf("password for %s@%s: %w", a.t.User, a.t.Host, err))
		return "", err
	}
	a.mu.Lock()
	a.rememberPassword = ""
	if sec.Remember {
		a.rememberPassword = sec.Value
	}
	a.mu.Unlock()
	return sec.Value, nil
}

func (a *authenticator) keyboardInteractive(name, instruction string, questions []string, echos []bool) ([]string, error) {
	a.note("keyboard-interactive")
	// Reaching this method means password login failed: whatever password
	// was typed is not worth remembering.
	a.mu.Lock()
	a.rememberPassword = ""
	a.mu.Unlock()
	if len(questions) == 0 {
		return nil, nil
	}
	shown := make([]string, len(questions))
	for i, q := range questions {
		shown[i] = printable(q)
	}
	answers, err := a.cfg.UI.KeyboardInteractive(a.ctx, printable(name), printable(instruction), shown, echos)
	if err != nil {
		a.fail(fmt.Errorf("keyboard-interactive login for %s@%s: %w", a.t.User, a.t.Host, err))
		return nil, err
	}
	return answers, nil
}

// remember saves what the user asked to keep, now that it worked.
func (a *authenticator) remember() error {
	a.mu.Lock()
	pw, pp := a.rememberPassword, a.rememberPassphrase
	a.mu.Unlock()
	if (pw == "" && pp == "") || a.cfg.Keeper == nil {
		return nil
	}
	return a.cfg.Keeper.UpdateSecrets(a.cfg.Profile.Name, func(s *profiles.Secrets) {
		if pw != "" {
			s.Password = pw
		}
		if pp != "" {
			s.Passphrase = pp
		}
	})
}
