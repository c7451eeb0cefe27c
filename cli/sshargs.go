package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"sesame/profiles"
)

// sshArgs are the ssh(1) options `sesame connect` takes, so that a user's
// habits carry over: -l, -p, -i, -o Key=Value and user@NAME. They win over
// the profile for this connection only; nothing is saved.
type sshArgs struct {
	Login    string
	Port     int
	Identity string
	Options  []string
	// Local, Remote and Dynamic are -L, -R and -D, ssh's port forwards.
	Local, Remote, Dynamic []string

	// Set by apply from Options.
	keepalive time.Duration
	hostKeys  string // "", "yes", "accept-new" or "ask"
}

func (a *sshArgs) register(f *pflag.FlagSet) {
	f.StringVarP(&a.Login, "login", "l", "", "log in as `USER` (as ssh -l), in place of the profile's user")
	f.IntVarP(&a.Port, "port", "p", 0, "connect to SSH `PORT` (as ssh -p), in place of the profile's")
	f.StringVarP(&a.Identity, "identity", "i", "", "use the private key `FILE` (as ssh -i), in place of the profile's")
	f.StringArrayVarP(&a.Options, "option", "o", nil, "an ssh option as `Key=Value`: User, Port, IdentityFile, ServerAliveInterval, StrictHostKeyChecking (yes, accept-new, ask)")
	f.StringArrayVarP(&a.Local, "local-forward", "L", nil, "forward `[BIND:]PORT:HOST:HOSTPORT`: connections to PORT here go to HOST:HOSTPORT from the server (as ssh -L)")
	f.StringArrayVarP(&a.Remote, "remote-forward", "R", nil, "forward `[BIND:]PORT:HOST:HOSTPORT`: connections to PORT on the server go to HOST:HOSTPORT from here (as ssh -R)")
	f.StringArrayVarP(&a.Dynamic, "dynamic-forward", "D", nil, "a SOCKS5 proxy on `[BIND:]PORT` here whose connections leave from the server (as ssh -D)")
}

// forwards reads -L, -R and -D.
func (a *sshArgs) forwards() ([]profiles.Forward, error) {
	var out []profiles.Forward
	for _, g := range []struct {
		kind  profiles.ForwardKind
		specs []string
	}{{profiles.LocalForward, a.Local}, {profiles.RemoteForward, a.Remote}, {profiles.DynamicForward, a.Dynamic}} {
		for _, s := range g.specs {
			fw, err := profiles.ParseForwardSpec(g.kind, s)
			if err != nil {
				return nil, usageErrorf("%v", err)
			}
			out = append(out, fw)
		}
	}
	return out, nil
}

// splitUser reads ssh's user@NAME: the user is before the last @. A name
// that is itself a profile (an old one with an @ in it) is taken whole.
func splitUser(arg string, exists func(string) bool) (user, name string) {
	i := strings.LastIndex(arg, "@")
	if i < 0 || exists(arg) {
		return "", arg
	}
	return arg[:i], arg[i+1:]
}

// override is what the ssh options change in the profile.
type override struct {
	User, Identity string
	Port           int
	// Forwards are added to the profile's.
	Forwards []profiles.Forward
}

// apply puts the override on p, for this connection only.
func (ov override) apply(p *profiles.Profile) {
	if ov.User != "" {
		p.User = ov.User
	}
	if ov.Port != 0 {
		p.Port = ov.Port
	}
	if ov.Identity != "" {
		p.IdentityFile = ov.Identity
	}
	p.Forwards = append(slices.Clone(p.Forwards), ov.Forwards...)
}

// parse checks the options and returns what they change, before anything
// is read from the keyring or used up. user is from user@NAME; a
// different -l with it is refused rather than guessed at (ssh lets
// whichever comes last win).
func (a *sshArgs) parse(user string) (ov override, err error) {
	var optUser, optIdentity string
	optPort := 0
	for _, o := range a.Options {
		key, val, ok := splitOption(o)
		if !ok {
			return ov, usageErrorf("-o %q: write it as Key=Value, e.g. -o ServerAliveInterval=30", o)
		}
		switch strings.ToLower(key) {
		case "user":
			optUser = val
		case "port":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 65535 {
				return ov, usageErrorf("-o Port=%s: use a port 1-65535", val)
			}
			optPort = n
		case "identityfile":
			optIdentity = val
		case "serveraliveinterval":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || time.Duration(n)*time.Second > profiles.MaxKeepalive {
				return ov, usageErrorf("-o ServerAliveInterval=%s: give seconds, 1-%d", val, int(profiles.MaxKeepalive/time.Second))
			}
			a.keepalive = time.Duration(n) * time.Second
		case "stricthostkeychecking":
			switch v := strings.ToLower(val); v {
			case "yes", "accept-new", "ask":
				a.hostKeys = v
			case "no", "off":
				return ov, usageErrorf("-o StrictHostKeyChecking=%s: sesame never connects to a host whose key it cannot check; use accept-new to save an unknown key (a changed key is still refused)", val)
			default:
				return ov, usageErrorf("-o StrictHostKeyChecking=%s: use yes, accept-new or ask", val)
			}
		default:
			return ov, usageErrorf("-o %s: sesame connect takes only User, Port, IdentityFile, ServerAliveInterval and StrictHostKeyChecking; for other options use ssh with the ProxyCommand that sesame ssh-config prints", key)
		}
	}
	// The command line's own flags win over -o, as the more specific.
	login := firstNonEmpty(a.Login, optUser)
	if user != "" && login != "" && user != login {
		return ov, usageErrorf("two users: %s@ and -l/-o User=%s; give one", user, login)
	}
	ov.User = firstNonEmpty(user, login)
	switch {
	case a.Port < 0 || a.Port > 65535:
		return ov, usageErrorf("-p %d: use a port 1-65535", a.Port)
	case a.Port > 0:
		ov.Port = a.Port
	default:
		ov.Port = optPort
	}
	if ov.Forwards, err = a.forwards(); err != nil {
		return ov, err
	}
	if id := firstNonEmpty(a.Identity, optIdentity); id != "" {
		path, err := expandHome(id)
		if err != nil {
			return ov, err
		}
		if _, err := os.Stat(path); err != nil {
			return ov, usageErrorf("-i %s: %v", id, err)
		}
		ov.Identity = path
	}
	return ov, nil
}

// splitOption reads ssh's "Key=Value" or "Key Value".
func splitOption(o string) (key, val string, ok bool) {
	o = strings.TrimSpace(o)
	i := strings.IndexAny(o, "= \t")
	if i <= 0 {
		return "", "", false
	}
	key, val = o[:i], strings.TrimSpace(strings.TrimLeft(o[i:], "= \t"))
	return key, val, val != ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// expandHome turns a leading ~/ into the home directory, as ssh does for
// IdentityFile.
func expandHome(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%s: cannot find your home directory: %w", path, err)
	}
	return filepath.Join(home, strings.TrimPrefix(path, "~")), nil
}
