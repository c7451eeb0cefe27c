package profiles

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SSHConfig is an ssh_config file (~/.ssh/config) read for import: each
// alias of a Host block without wildcards is a host to import, its
// settings found as ssh finds them (the first value wins, wildcard blocks
// and settings before the first Host apply, Include is followed). Match
// blocks are skipped, with a note: whether they apply depends on the
// moment of connecting.
type SSHConfig struct {
	File  string
	Hosts []SSHHost
	// Notes say what was left out and why.
	Notes []string
}

// SSHHost is one alias of a Host block and what ssh_config says for it.
type SSHHost struct {
	Alias string
	// Where is file:line of its Host line.
	Where string
	// Settings holds the ssh settings only (no name, no knock): HostName
	// (else the alias) as Host, Port, User, the first IdentityFile,
	// ProxyJump as Jump, and the forwards.
	Settings Profile
	// Warnings say what of its settings could not be kept.
	Warnings []string
}

// Apply sets on p what the ssh config says: its host, port, user, key,
// jump hosts and forwards. The knock and everything else stay, so that
// importing again updates a profile rather than making another.
func (h SSHHost) Apply(p *Profile) {
	s := h.Settings
	p.Host, p.Port, p.User, p.IdentityFile = s.Host, s.Port, s.User, s.IdentityFile
	p.Jump = slices.Clone(s.Jump)
	p.Forwards = slices.Clone(s.Forwards)
}

// maxIncludeDepth bounds Include, as ssh does (16), so a loop ends.
const maxIncludeDepth = 16

// sshLine is one keyword line, with the Host patterns it is under (nil:
// every host) or skipped when it is under a Match.
type sshLine struct {
	key      string // lower case
	args     []string
	where    string
	patterns []string
	inMatch  bool
}

// sshBlock is a Host line.
type sshBlock struct {
	patterns []string
	where    string
}

// IsSSHConfig reports whether data looks like an ssh_config: its first
// keyword line is one ssh_config has, not a knockd.conf [section] or JSON.
func IsSSHConfig(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, _, _ := strings.Cut(strings.ToLower(line), " ")
		key, _, _ = strings.Cut(key, "=")
		key, _, _ = strings.Cut(key, "\t")
		switch key {
		case "host", "match", "include", "hostname", "user", "port", "identityfile", "proxyjump",
			"localforward", "remoteforward", "dynamicforward", "serveraliveinterval", "addkeystoagent",
			"forwardagent", "identitiesonly", "stricthostkeychecking", "userknownhostsfile", "compression", "controlmaster", "controlpath":
			return true
		}
		return false
	}
	return false
}

// ReadSSHConfig reads an ssh_config; home is the user's home, for ~ and
// for Include's relative paths (~/.ssh, as ssh takes them for a user's
// file).
func ReadSSHConfig(data []byte, file, home string) (*SSHConfig, error) {
	r := &sshReader{home: home}
	if err := r.parse(data, file, nil, 0); err != nil {
		return nil, err
	}
	cfg := &SSHConfig{File: file, Notes: r.notes}
	seen := map[string]bool{}
	for _, b := range r.blocks {
		for _, pat := range b.patterns {
			if strings.ContainsAny(pat, "*?!") || seen[strings.ToLower(pat)] {
				continue
			}
			seen[strings.ToLower(pat)] = true
			cfg.Hosts = append(cfg.Hosts, r.host(pat, b.where))
		}
	}
	// ProxyJump hops name Host aliases of this file: they are profiles too.
	aliases := map[string]bool{}
	for _, h := range cfg.Hosts {
		aliases[strings.ToLower(h.Alias)] = true
	}
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		for _, j := range h.Settings.Jump {
			if !aliases[strings.ToLower(j)] {
				h.Warnings = append(h.Warnings, fmt.Sprintf("ProxyJump %s is not a Host of this file: add a profile named %s for it (each hop knocks on its own door)", j, j))
			}
		}
	}
	return cfg, nil
}

type sshReader struct {
	home   string
	lines  []sshLine
	blocks []sshBlock
	notes  []string
}

// parse reads data; patterns are the Host patterns in force (an
// included file starts under its includer's, and its own Host lines end
// with it, as in ssh).
func (r *sshReader) parse(data []byte, file string, patterns []string, depth int) error {
	inMatch := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		where := fmt.Sprintf("%s:%d", file, n)
		key, args, err := splitSSHLine(sc.Text())
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		switch key {
		case "":
			continue
		case "host":
			if len(args) == 0 {
				return fmt.Errorf("%s: Host with no pattern: name the host, e.g. Host web", where)
			}
			patterns, inMatch = args, false
			r.blocks = append(r.blocks, sshBlock{patterns: args, where: where})
			continue
		case "match":
			inMatch = true
			r.notes = append(r.notes, fmt.Sprintf("%s: Match %s skipped: Sesame imports Host blocks; what a Match applies to is known only when ssh connects", where, strings.Join(args, " ")))
			continue
		case "include":
			if inMatch {
				continue
			}
			if depth >= maxIncludeDepth {
				return fmt.Errorf("%s: Include nested more than %d deep (a loop?)", where, maxIncludeDepth)
			}
			if err := r.include(args, where, patterns, depth); err != nil {
				return err
			}
			continue
		}
		r.lines = append(r.lines, sshLine{key: key, args: args, where: where, patterns: patterns, inMatch: inMatch})
	}
	return sc.Err()
}

func (r *sshReader) include(args []string, where string, patterns []string, depth int) error {
	for _, a := range args {
		path := r.expand(a)
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.home, ".ssh", path)
		}
		matches, err := filepath.Glob(path)
		if err != nil {
			return fmt.Errorf("%s: Include %s: %v", where, a, err)
		}
		// ssh skips an Include that matches nothing.
		slices.Sort(matches)
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				return fmt.Errorf("%s: Include %s: %w", where, m, err)
			}
			if err := r.parse(data, m, patterns, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *sshReader) expand(p string) string {
	if p == "~" {
		return r.home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(r.home, p[2:])
	}
	return p
}

// host finds alias's settings: the first value of each keyword from the
// lines that apply to it; forwards add up, as in ssh.
func (r *sshReader) host(alias, where string) SSHHost {
	h := SSHHost{Alias: alias, Where: where}
	got := map[string]bool{}
	s := &h.Settings
	s.Host = alias
	for _, l := range r.lines {
		if l.inMatch || !hostMatches(alias, l.patterns) || len(l.args) == 0 {
			continue
		}
		first := !got[l.key]
		got[l.key] = true
		v := l.args[0]
		switch l.key {
		case "hostname":
			if first {
				s.Host = strings.ReplaceAll(v, "%h", alias)
			}
		case "user":
			if first {
				s.User = v
			}
		case "port":
			if first {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 65535 {
					h.Warnings = append(h.Warnings, fmt.Sprintf("%s: Port %s is not a port: left out", l.where, v))
					continue
				}
				s.Port = n
			}
		case "identityfile":
			if first {
				s.IdentityFile = r.expand(v)
			} else {
				h.Warnings = append(h.Warnings, fmt.Sprintf("%s: IdentityFile %s: a profile keeps one key (%s); ssh's agent and default keys are still tried", l.where, v, s.IdentityFile))
			}
		case "proxyjump":
			if first && !strings.EqualFold(v, "none") {
				for _, hop := range strings.Split(v, ",") {
					// [user@]host[:port]: the hop is a profile, with its own.
					if i := strings.LastIndex(hop, "@"); i >= 0 {
						hop = hop[i+1:]
					}
					if i := strings.LastIndex(hop, ":"); i >= 0 && !strings.HasSuffix(hop, "]") {
						hop = hop[:i]
					}
					s.Jump = append(s.Jump, strings.Trim(hop, "[]"))
				}
			}
		case "localforward", "remoteforward", "dynamicforward":
			kind := map[string]ForwardKind{"localforward": LocalForward, "remoteforward": RemoteForward, "dynamicforward": DynamicForward}[l.key]
			spec := strings.Join(l.args, ":")
			f, err := ParseForwardSpec(kind, spec)
			if err != nil {
				h.Warnings = append(h.Warnings, fmt.Sprintf("%s: %v: left out", l.where, err))
				continue
			}
			s.Forwards = append(s.Forwards, f)
		}
	}
	if s.IdentityFile != "" {
		// The tokens ssh expands in IdentityFile that are known here.
		s.IdentityFile = strings.NewReplacer("%d", r.home, "%h", s.Host, "%r", s.User, "%n", alias, "%%", "%").Replace(s.IdentityFile)
	}
	return h
}

// hostMatches applies a Host line's patterns as ssh does: some pattern
// matches and no negated one does; nil patterns match every host.
func hostMatches(host string, patterns []string) bool {
	if patterns == nil {
		return true
	}
	host = strings.ToLower(host)
	match := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if globMatch(strings.ToLower(strings.TrimPrefix(p, "!")), host) {
			if neg {
				return false
			}
			match = true
		}
	}
	return match
}

// globMatch is ssh's pattern: * any run, ? any one character.
func globMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// splitSSHLine reads "Keyword args" or "Keyword=args", with double
// quotes around arguments that hold spaces; comments and blank lines give
// an empty key.
func splitSSHLine(line string) (key string, args []string, err error) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, nil
	}
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return strings.ToLower(line), nil, nil
	}
	key = strings.ToLower(line[:i])
	rest := strings.TrimLeft(line[i:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	for rest != "" {
		if rest[0] == '#' {
			break
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return "", nil, errors.New("a \" is not closed")
			}
			args = append(args, rest[1:1+end])
			rest = strings.TrimLeft(rest[2+end:], " \t")
			continue
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		args = append(args, rest[:end])
		rest = strings.TrimLeft(rest[end:], " \t")
	}
	return key, args, nil
}

// NeedsKnockCommand is the command that adds h as a profile once its
// knock is known: the user fills in the sequence.
func (h SSHHost) NeedsKnockCommand(name string) string {
	s := h.Settings
	parts := []string{"sesame profile add", shellQuote(name), "--host", shellQuote(s.Host)}
	if s.Port != 0 {
		parts = append(parts, "--port", strconv.Itoa(s.Port))
	}
	if s.User != "" {
		parts = append(parts, "--user", shellQuote(s.User))
	}
	if s.IdentityFile != "" {
		parts = append(parts, "--identity", shellQuote(s.IdentityFile))
	}
	for _, f := range s.Forwards {
		parts = append(parts, "--forward", shellQuote(f.String()))
	}
	if len(s.Jump) > 0 {
		parts = append(parts, "--jump", shellQuote(strings.Join(s.Jump, ",")))
	}
	return strings.Join(append(parts, "--open SEQUENCE --close SEQUENCE"), " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SSHUpdate is an existing profile an imported host updates.
type SSHUpdate struct {
	Host    SSHHost
	Profile string
	// ByHost says the profile was found by its host (HostName), not by
	// the alias: e.g. a profile imported from the server's knockd.conf,
	// whose knock the alias now uses.
	ByHost bool
}

// PlanSSHImport matches the config's hosts with existing profiles: by
// name (the alias), else by host and port. Those found are updated; the
// rest need a knock before they can be profiles. A profile is matched
// once, so that re-importing never makes two of one host.
func PlanSSHImport(cfg *SSHConfig, existing []*Profile) (updates []SSHUpdate, needKnock []SSHHost) {
	claimed := map[string]bool{}
	byName := func(alias string) *Profile {
		for _, n := range []string{alias, SuggestName(alias)} {
			for _, p := range existing {
				if strings.EqualFold(p.Name, n) {
					return p
				}
			}
		}
		return nil
	}
	var rest []SSHHost
	for _, h := range cfg.Hosts {
		if p := byName(h.Alias); p != nil && !claimed[p.Name] {
			claimed[p.Name] = true
			updates = append(updates, SSHUpdate{Host: h, Profile: p.Name})
			continue
		}
		rest = append(rest, h)
	}
	for _, h := range rest {
		var found *Profile
		for _, p := range existing {
			if !claimed[p.Name] && strings.EqualFold(p.Host, h.Settings.Host) && samePort(p.Port, h.Settings.Port) {
				found = p
				break
			}
		}
		if found == nil {
			needKnock = append(needKnock, h)
			continue
		}
		claimed[found.Name] = true
		updates = append(updates, SSHUpdate{Host: h, Profile: found.Name, ByHost: true})
	}
	return updates, needKnock
}

func samePort(a, b int) bool {
	if a == 0 {
		a = 22
	}
	if b == 0 {
		b = 22
	}
	return a == b
}
