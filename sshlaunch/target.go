package sshlaunch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
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
	// SSHConfig defaults to ~/.ssh/config. KnownHosts, when set, replaces
	// the UserKnownHostsFile list (~/.ssh/known_hosts and
	// ~/.ssh/known_hosts2 unless ssh_config says otherwise).
	SSHConfig  string
	KnownHosts string
	// SystemSSHConfig and GlobalKnownHosts are the system-wide ssh_config
	// and the GlobalKnownHostsFile list when ssh_config names none.
	// DefaultEnv sets OpenSSH's; left empty, none is read.
	SystemSSHConfig  string
	GlobalKnownHosts []string
}

// DefaultEnv reads the environment of this process.
func DefaultEnv() Env {
	home, _ := os.UserHomeDir()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = localUserName(u.Username)
	}
	sysDir := "/etc/ssh"
	if runtime.GOOS == "windows" {
		sysDir = filepath.Join(os.Getenv("PROGRAMDATA"), "ssh")
	}
	return Env{Home: home, LocalUser: name, AgentSocket: defaultAgentSocket(),
		SystemSSHConfig:  filepath.Join(sysDir, "ssh_config"),
		GlobalKnownHosts: []string{filepath.Join(sysDir, "ssh_known_hosts"), filepath.Join(sysDir, "ssh_known_hosts2")}}
}

// localUserName is the user name SSH logs in with by default: on Windows
// the account name without its DOMAIN\ (or COMPUTER\), as Windows'
// OpenSSH does.
func localUserName(account string) string {
	if i := strings.LastIndexByte(account, '\\'); i >= 0 {
		return account[i+1:]
	}
	return account
}

func (e Env) sshConfigPath() string {
	if e.SSHConfig != "" {
		return e.SSHConfig
	}
	return filepath.Join(e.Home, ".ssh", "config")
}

// expandPath expands ~ and the ssh_config tokens Sesame can know.
func (e Env) expandPath(p string, host string, user string) string {
	if p == "~" {
		return e.Home
	}
	p = profiles.ExpandHome(p, e.Home)
	r := strings.NewReplacer("%d", e.Home, "%h", host, "%r", user, "%u", e.LocalUser, "%%", "%")
	return r.Replace(p)
}

// resolveTarget combines the profile with ssh_config (~/.ssh/config, then
// the system's): HostName, User, Port and IdentityFile fill in what the
// profile leaves empty, and the host key is looked up where and under the
// name ssh would look it up for `ssh <profile host>`.
func resolveTarget(p profiles.Profile, env Env) (Target, error) {
	t := Target{Host: p.Host, Port: p.Port, User: p.User}
	var cfgs []*ssh_config.Config
	for _, path := range []string{env.sshConfigPath(), env.SystemSSHConfig} {
		if path == "" {
			continue
		}
		cfg, err := readSSHConfig(path)
		if err != nil {
			return t, err
		}
		if cfg != nil {
			cfgs = append(cfgs, cfg)
		}
	}
	// The first value found wins, as in ssh.
	get := func(key string) string {
		for _, cfg := range cfgs {
			if v, _ := cfg.Get(p.Host, key); v != "" {
				return v
			}
		}
		return ""
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
		f := env.expandPath(p.IdentityFile, t.Host, t.User)
		// The profile names this key: without it, the login would quietly
		// fall back to other keys, or fail after the door was opened.
		if _, err := os.Stat(f); err != nil {
			return t, fmt.Errorf("identity file %s not accessible: %w: fix the profile (sesame profile edit %s --identity FILE)",
				f, errors.Unwrap(err), p.Name)
		}
		t.IdentityFiles = append(t.IdentityFiles, f)
	}
	for _, cfg := range cfgs {
		files, _ := cfg.GetAll(p.Host, "IdentityFile")
		for _, f := range files {
			t.IdentityFiles = append(t.IdentityFiles, env.expandPath(f, t.Host, t.User))
		}
	}
	// ssh knows the server by its HostName (HostKeyAlias aside), not by
	// the alias typed, and by [name]:port for other ports.
	t.KnownHostsName = t.Host
	if a := get("HostKeyAlias"); a != "" {
		t.KnownHostsName = a
	}
	files := func(v string, def []string) []string {
		if v == "" {
			return def
		}
		var out []string
		for _, f := range strings.Fields(v) {
			if !strings.EqualFold(f, "none") {
				out = append(out, env.expandPath(f, t.Host, t.User))
			}
		}
		return out
	}
	t.KnownHostsFiles = files(get("UserKnownHostsFile"), []string{
		filepath.Join(env.Home, ".ssh", "known_hosts"), filepath.Join(env.Home, ".ssh", "known_hosts2")})
	if env.KnownHosts != "" {
		t.KnownHostsFiles = []string{env.KnownHosts}
	}
	t.GlobalKnownHostsFiles = files(get("GlobalKnownHostsFile"), env.GlobalKnownHosts)
	t.HashKnownHosts = strings.EqualFold(get("HashKnownHosts"), "yes")
	t.CheckHostIP = strings.EqualFold(get("CheckHostIP"), "yes")
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
