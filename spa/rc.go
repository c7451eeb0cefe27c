package spa

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// RCVar is one "NAME value" line of a ~/.fwknoprc stanza.
type RCVar struct {
	Name, Value string
	Line        int
}

// RCStanza is one [name] section of a ~/.fwknoprc. fwknop reads [default]
// first and lets the named stanza (-n NAME) override it; see Stanza.
type RCStanza struct {
	Name string
	Line int // the line of its [name] header
	Vars []RCVar
}

// Get returns the last value of the variable name, as fwknop (which reads
// the lines in order, the last overriding) would use it.
func (s RCStanza) Get(name string) (string, bool) {
	for i := len(s.Vars) - 1; i >= 0; i-- {
		if s.Vars[i].Name == name {
			return s.Vars[i].Value, true
		}
	}
	return "", false
}

// rcNames are the variables fwknop 2.6's client reads from its rc file.
var rcNames = []string{
	"DIGEST_TYPE", "SPA_SERVER_PROTO", "SPA_SERVER_PORT", "SPA_SOURCE_PORT", "FW_TIMEOUT", "ALLOW_IP",
	"TIME_OFFSET", "ENCRYPTION_MODE", "USE_GPG", "USE_GPG_AGENT", "GPG_RECIPIENT", "GPG_SIGNER",
	"GPG_HOMEDIR", "GPG_EXE", "GPG_SIGNING_PW", "GPG_SIGNING_PW_BASE64", "GPG_NO_SIGNING_PW",
	"SPOOF_USER", "SPOOF_SOURCE_IP", "ACCESS", "SPA_SERVER", "RAND_PORT", "KEY", "KEY_BASE64",
	"HMAC_DIGEST_TYPE", "HMAC_KEY_BASE64", "HMAC_KEY", "USE_HMAC", "USE_WGET_USER_AGENT", "KEY_FILE",
	"HMAC_KEY_FILE", "NAT_ACCESS", "HTTP_USER_AGENT", "RESOLVE_URL", "SERVER_RESOLVE_IPV4", "NAT_LOCAL",
	"NAT_RAND_PORT", "NAT_PORT", "VERBOSE", "RESOLVE_IP_HTTP", "RESOLVE_IP_HTTPS", "RESOLVE_HTTP_ONLY",
	"WGET_CMD", "NO_SAVE_ARGS",
}

// ParseRC reads a ~/.fwknoprc as fwknop 2.6 does: "[name]" starts a
// stanza; a line whose first character is '#' or ';' is a comment; every
// other line is "NAME value" (NAME may end in ':'; the value ends at a
// space, tab, ';' or '#'). file names the input in errors, which read
// "file:line: ..." and never include a value (values may be keys).
func ParseRC(r io.Reader, file string) ([]RCStanza, error) {
	var out []RCStanza
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[") {
			name, ok := strings.CutSuffix(t, "]")
			name = strings.TrimSpace(strings.TrimPrefix(name, "["))
			if !ok || name == "" {
				return nil, fmt.Errorf("%s:%d: a stanza header is [name], e.g. [default] or [myserver]", file, n)
			}
			out = append(out, RCStanza{Name: name, Line: n})
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		name := strings.TrimSuffix(fields[0], ":")
		if !slices.Contains(rcNames, name) {
			return nil, fmt.Errorf("%s:%d: %q is not a fwknop rc variable (they are upper case, e.g. SPA_SERVER, ACCESS, KEY_BASE64)", file, n, name)
		}
		val := ""
		if len(fields) > 1 {
			val = fields[1]
			if i := strings.IndexAny(val, ";#"); i >= 0 {
				val = val[:i]
			}
		}
		if val == "" {
			return nil, fmt.Errorf("%s:%d: %s has no value: write %s VALUE", file, n, name, name)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s:%d: %s is outside any stanza: put [default] or [name] above it", file, n, name)
		}
		s := &out[len(out)-1]
		s.Vars = append(s.Vars, RCVar{Name: name, Value: val, Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// Stanza is what fwknop uses for -n name: the [default] stanza's
// variables, then the named stanza's, which override them (names compare
// case-insensitively, as fwknop's do). An empty name means [default] alone.
func Stanza(stanzas []RCStanza, name string) (RCStanza, error) {
	merged := RCStanza{Name: name}
	found := name == ""
	for _, s := range stanzas {
		if strings.EqualFold(s.Name, "default") {
			merged.Vars = append(merged.Vars, s.Vars...)
		}
	}
	for _, s := range stanzas {
		if name != "" && !strings.EqualFold(name, "default") && strings.EqualFold(s.Name, name) {
			merged.Vars = append(merged.Vars, s.Vars...)
			merged.Line = s.Line
			found = true
		}
	}
	if strings.EqualFold(name, "default") {
		found = true
	}
	if !found {
		var names []string
		for _, s := range stanzas {
			if !strings.EqualFold(s.Name, "default") {
				names = append(names, s.Name)
			}
		}
		return RCStanza{}, fmt.Errorf("no stanza [%s] (the file has: %s)", name, strings.Join(names, ", "))
	}
	return merged, nil
}

// Keys reads the stanza's keys and their settings: KEY_BASE64 or KEY,
// HMAC_KEY_BASE64 or HMAC_KEY (fwknop uses an HMAC whenever an HMAC key is
// given, or USE_HMAC Y), HMAC_DIGEST_TYPE and ENCRYPTION_MODE. Errors
// name the variable and its line, never its value.
func (s RCStanza) Keys() (Keys, error) {
	var k Keys
	at := func(name string) string {
		for i := len(s.Vars) - 1; i >= 0; i-- {
			if s.Vars[i].Name == name && s.Vars[i].Line > 0 {
				return fmt.Sprintf("line %d: %s", s.Vars[i].Line, name)
			}
		}
		return name
	}
	if v, ok := s.Get("KEY_BASE64"); ok {
		key, err := decodeKey(v)
		if err != nil {
			return Keys{}, fmt.Errorf("%s: %w", at("KEY_BASE64"), err)
		}
		k.Key = key
	} else if v, ok := s.Get("KEY"); ok {
		k.Key = []byte(v)
	} else {
		return Keys{}, fmt.Errorf("stanza [%s] has no KEY_BASE64 (or KEY): add the key fwknop --key-gen printed", s.Name)
	}
	if v, ok := s.Get("HMAC_KEY_BASE64"); ok {
		key, err := decodeKey(v)
		if err != nil {
			return Keys{}, fmt.Errorf("%s: %w", at("HMAC_KEY_BASE64"), err)
		}
		k.HMACKey = key
	} else if v, ok := s.Get("HMAC_KEY"); ok {
		k.HMACKey = []byte(v)
	} else if v, ok := s.Get("USE_HMAC"); ok && isYes(v) {
		return Keys{}, fmt.Errorf("%s is Y but the stanza has no HMAC_KEY_BASE64 (or HMAC_KEY)", at("USE_HMAC"))
	}
	if v, ok := s.Get("HMAC_DIGEST_TYPE"); ok {
		h, err := ParseHash(v)
		if err != nil {
			return Keys{}, fmt.Errorf("%s: %w", at("HMAC_DIGEST_TYPE"), err)
		}
		k.HMAC = h
	}
	if v, ok := s.Get("ENCRYPTION_MODE"); ok {
		m, err := ParseEncryptionMode(v)
		if err != nil {
			return Keys{}, fmt.Errorf("%s: %w", at("ENCRYPTION_MODE"), err)
		}
		k.Mode = m
	}
	if err := k.Check(); err != nil {
		return Keys{}, fmt.Errorf("stanza [%s]: %w", s.Name, err)
	}
	return k, nil
}

// isYes is fwknop's is_yes_str: a value starting with y or Y.
func isYes(v string) bool { return strings.HasPrefix(strings.ToLower(v), "y") }
