package sshlaunch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

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
	path string
	db   *knownhosts.HostKeyDB
	// err is the refusal the callback made, so the caller can return it
	// instead of the handshake's generic wrapper.
	err error
}

func newHostKeyChecker(ctx context.Context, cfg *Config, t Target, ap netip.AddrPort) (*hostKeyChecker, error) {
	path := cfg.Env.knownHostsPath()
	h := &hostKeyChecker{ctx: ctx, cfg: cfg, t: t, ap: ap, path: path}
	if _, err := os.Stat(path); err == nil {
		db, err := knownhosts.NewDB(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		h.db = db
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
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
			return nil
		case AcceptAndSaveHostKey:
			if werr := appendKnownHost(h.path, hostname, remote, key); werr != nil {
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

// appendKnownHost adds the key to known_hosts the way ssh does, creating
// ~/.ssh with ssh's permissions if needed.
func appendKnownHost(path, hostname string, remote net.Addr, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save host key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("save host key: %w", err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key)
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("save host key to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save host key to %s: %w", path, err)
	}
	return nil
}
