package sshlaunch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"

	"sesame/profiles"
)

// Env is the user's SSH environment. DefaultEnv reads it from the process;
// tests point it at a temporary home.
type Env struct {
	Home string
	// LocalUser is the login name used when neither the profile nor
	// ~/.ssh/config names a user.
	LocalUser string
	// AgentSocket is SSH_AUTH_SOCK (on Windows, the OpenSSH agent pipe).
	AgentSocket string
	// SSHConfig and KnownHosts default to ~/.ssh/config and
	// ~/.ssh/known_hosts.
	SSHConfig  string
	KnownHosts string
}

// DefaultEnv reads the environment of this process.
func DefaultEnv() Env {
	home, _ := os.UserHomeDir()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
		if i := strings.LastIndexByte(name, '\\'); i >= 0 { // DOMAIN\user on Windows
			name = name[i+1:]
		}
	}
	return Env{Home: home, LocalUser: name, AgentSocket: defaultAgentSocket()}
}

func (e Env) sshConfigPath() string {
	if e.SSHConfig != "" {
		return e.SSHConfig
	}
	return filepath.Join(e.Home, ".ssh", "config")
}

func (e Env) knownHostsPath() string {
	if e.KnownHosts != "" {
		return e.KnownHosts
	}
	return filepath.Join(e.Home, ".ssh", "known_hosts")
}

// expandPath expands ~ and the ssh_config tokens Sesame can know.
func (e Env) expandPath(p string, host string, user string) string {
	if p == "~" {
		return e.Home
	}
	if strings.HasPrefix(p, "~/") {
		p = filepath.Join(e.Home, p[2:])
	}
	r := strings.NewReplacer("%d", e.Home, "%h", host, "%r", user, "%u", e.LocalUser, "%%", "%")
	return r.Replace(p)
}

// resolveTarget combines the profile with ~/.ssh/config: HostName, User,
// Port and IdentityFile fill in what the profile leaves empty, as ssh would
// for `ssh <profile host>`.
func resolveTarget(p profiles.Profile, env Env) (Target, error) {
	t := Target{Host: p.Host, Port: p.Port, User: p.User}
	cfg, err := readSSHConfig(env.sshConfigPath())
	if err != nil {
		return t, err
	}
	get := func(key string) string {
		if cfg == nil {
			return ""
		}
		v, _ := cfg.Get(p.Host, key)
		return v
	}
	if hn := get("HostName"); hn != "" {
		t.Host = strings.ReplaceAll(hn, "%h", p.Host)
	}
	if t.User == "" {
		t.User = get("User")
	}
	if t.User == "" {
		t.User = env.LocalUser
	}
	if t.Port == 0 {
		if ps := get("Port"); ps != "" {
			n, err := strconv.Atoi(ps)
			if err != nil || n < 1 || n > 65535 {
				return t, fmt.Errorf("%s: Port %q for host %s is not a port", env.sshConfigPath(), ps, p.Host)
			}
			t.Port = n
		}
	}
	if t.Port == 0 {
		t.Port = 22
	}
	if p.IdentityFile != "" {
		t.IdentityFiles = append(t.IdentityFiles, env.expandPath(p.IdentityFile, t.Host, t.User))
	}
	if cfg != nil {
		files, _ := cfg.GetAll(p.Host, "IdentityFile")
		for _, f := range files {
			t.IdentityFiles = append(t.IdentityFiles, env.expandPath(f, t.Host, t.User))
		}
	}
	// known_hosts knows the server by the name the user typed, as ssh does
	// (HostKeyAlias aside), and by [name]:port for other ports.
	t.KnownHostsName = p.Host
	if hn := get("HostKeyAlias"); hn != "" {
		t.KnownHostsName = hn
	}
	return t, nil
}

func readSSHConfig(path string) (*ssh_config.Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ssh config: %w", err)
	}
	defer f.Close()
	cfg, err := ssh_config.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
