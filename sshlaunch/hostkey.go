package sshlaunch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyChangedError refuses a server whose key differs from the one on
// record. There is deliberately no way to accept it from Sesame.
type HostKeyChangedError struct {
	Info HostKeyInfo
}

func (e *HostKeyChangedError) Error() string {
	host, _, _ := net.SplitHostPort(e.Info.Host)
	if host == "" {
		host = e.Info.Host
	}
	return fmt.Sprintf("REMOTE HOST IDENTIFICATION HAS CHANGED for %s: the server sent %s key %s, but %s records a different key. "+
		"Someone could be intercepting the connection, or the server's key was replaced. Sesame refused to connect. "+
		"If you know the key was changed on purpose, remove the old one with: ssh-keygen -R %s",
		e.Info.Host, e.Info.Key.Type(), e.Info.Fingerprint, strings.Join(e.Info.Known, ", "), host)
}

// HostKeyUnknownError is returned when the user (or a non-interactive run
// without --accept-new) did not accept a key seen for the first time.
type HostKeyUnknownError struct {
	Info HostKeyInfo
}

func (e *HostKeyUnknownError) Error() string {
	return fmt.Sprintf("host key of %s is not known (%s %s) and was not accepted; nothing was written to %s",
		e.Info.Host, e.Info.Key.Type(), e.Info.Fingerprint, e.Info.KnownHosts)
}

type hostKeyChecker struct {
	ctx  context.Context
	cfg  *Config
	t    Target
	ap   netip.AddrPort
	path string // where a saved key goes: the first UserKnownHostsFile
	db   *knownhosts.HostKeyDB
	// firstContact is set once the user accepts a key not on record: a
	// stored password is then not sent without asking.
	firstContact atomic.Bool
	// err is the refusal the callback made, so the caller can return it
	// instead of the handshake's generic wrapper.
	err error
}

func newHostKeyChecker(ctx context.Context, cfg *Config, t Target, ap netip.AddrPort) (*hostKeyChecker, error) {
	h := &hostKeyChecker{ctx: ctx, cfg: cfg, t: t, ap: ap}
	if len(t.KnownHostsFiles) > 0 {
		h.path = t.KnownHostsFiles[0]
	}
	var files []string
	for _, f := range append(slices.Clone(t.KnownHostsFiles), t.GlobalKnownHostsFiles...) {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
	}
	if len(files) > 0 {
		db, err := knownhosts.NewDB(files...)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", strings.Join(files, ", "), err)
		}
		h.db = db
	}
	return h, nil
}

// algorithms asks the server for the key types on record first, so a
// server with several keys shows the one known_hosts has.
func (h *hostKeyChecker) algorithms() []string {
	if h.db == nil {
		return nil
	}
	return h.db.HostKeyAlgorithms(knownHostsAddr(h.t))
}

func (h *hostKeyChecker) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	info := HostKeyInfo{
		Host:        knownhosts.Normalize(hostname),
		Addr:        h.ap,
		Key:         key,
		Fingerprint: ssh.FingerprintSHA256(key),
		KnownHosts:  h.path,
	}
	var err error
	if h.db != nil {
		err = h.db.HostKeyCallback()(hostname, remote, key)
		if err == nil && h.t.CheckHostIP {
			err = h.checkIP(key)
		}
		if err == nil {
			return nil
		}
	}
	var keyErr *xknownhosts.KeyError
	switch {
	case h.db != nil && knownhosts.IsHostKeyChanged(err):
		if errors.As(err, &keyErr) {
			for _, k := range keyErr.Want {
				info.Known = append(info.Known, fmt.Sprintf("%s:%d (%s %s)", k.Filename, k.Line, k.Key.Type(), ssh.FingerprintSHA256(k.Key)))
			}
		}
		h.cfg.UI.ChangedHostKey(h.ctx, info)
		h.err = &HostKeyChangedError{Info: info}
		return h.err
	case h.db == nil || knownhosts.IsHostUnknown(err):
		decision, uerr := h.cfg.UI.UnknownHostKey(h.ctx, info)
		if uerr != nil && !errors.Is(uerr, ErrCancelled) {
			h.err = fmt.Errorf("host key of %s: %w", info.Host, uerr)
			return h.err
		}
		switch decision {
		case AcceptHostKeyOnce:
			h.firstContact.Store(true)
			return nil
		case AcceptAndSaveHostKey:
			h.firstContact.Store(true)
			if werr := h.save(hostname, key); werr != nil {
				h.err = werr
				return werr
			}
			h.cfg.Log.Info("host key saved", "host", info.Host, "fingerprint", info.Fingerprint, "file", h.path)
			return nil
		}
		h.err = &HostKeyUnknownError{Info: info}
		return h.err
	}
	h.err = fmt.Errorf("check host key of %s against %s: %w", info.Host, h.path, err)
	return h.err
}

// checkIP checks the key recorded for the address dialled, as ssh's
// CheckHostIP does: a different key there is a changed key.
func (h *hostKeyChecker) checkIP(key ssh.PublicKey) error {
	ipName := net.JoinHostPort(h.ap.Addr().Unmap().String(), strconv.Itoa(int(h.ap.Port())))
	recorded := h.db.HostKeys(ipName)
	if len(recorded) == 0 {
		return nil
	}
	want := make([]xknownhosts.KnownKey, 0, len(recorded))
	for _, k := range recorded {
		if bytes.Equal(k.Marshal(), key.Marshal()) {
			return nil
		}
		want = append(want, xknownhosts.KnownKey{Key: k, Filename: "(the key recorded for " + knownhosts.Normalize(ipName) + ")"})
	}
	return &xknownhosts.KeyError{Want: want}
}

// save adds the key to the first UserKnownHostsFile the way ssh does:
// under the name (hashed with HashKnownHosts yes), and under the address
// too with CheckHostIP yes; ~/.ssh is created with ssh's permissions.
func (h *hostKeyChecker) save(hostname string, key ssh.PublicKey) error {
	if h.path == "" {
		return errors.New("save host key: UserKnownHostsFile is none in ssh_config: nothing to save it to (accept it once, or name a file)")
	}
	names := []string{knownhosts.Normalize(hostname)}
	if h.t.CheckHostIP {
		ip := knownhosts.Normalize(net.JoinHostPort(h.ap.Addr().Unmap().String(), strconv.Itoa(int(h.ap.Port()))))
		if ip != names[0] {
			names = append(names, ip)
		}
	}
	lines := []string{knownhosts.Line(names, key)}
	if h.t.HashKnownHosts {
		// One hashed name a line, as ssh writes them.
		keyText := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
		lines = lines[:0]
		for _, n := range names {
			lines = append(lines, xknownhosts.HashHostname(n)+" "+keyText)
		}
	}
	return appendKnownHost(h.path, lines)
}

// appendKnownHost appends lines to the file, creating its directory with
// ssh's permissions if needed.
func appendKnownHost(path string, lines []string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save host key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("save host key: %w", err)
	}
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("save host key to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save host key to %s: %w", path, err)
	}
	return nil
}
