// Package accessconf reads fwknopd's access.conf, unchanged, so that
// sesamed can serve the same SPA clients fwknopd serves.
//
// The syntax, as fwknopd 2.6 reads it: a line whose first character is
// '#', ';' or the end of the line is skipped; any other line is a
// variable name, blanks, and a value that runs to the first ';' or the end
// of the line (a ':' ending the name is dropped). Names are upper case,
// as fwknopd compares them. Every SOURCE line starts a stanza, and the
// lines after it belong to it; lines before the first SOURCE are ignored.
// %include FILE and %include_folder DIR (its *.conf files) read more
// stanzas, three levels deep at most; %include_keys FILE inside a stanza
// takes only the key lines of FILE.
//
// As with fwknopd, an unknown variable is a warning, not an error. What
// sesamed cannot do as fwknopd would (GPG, command messages, NAT) is a
// warning where ignoring it opens nothing more than the file asks for,
// and an error where it would open something else. Errors and warnings
// name the file and line and never quote a key.
package accessconf

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sesame/knockdconf"
	"sesame/knocker"
	"sesame/spa"
)

// fwknopd's defaults and limits.
const (
	DefaultAccessTimeout = 30 * time.Second  // DEF_FW_ACCESS_TIMEOUT
	DefaultMaxTimeout    = 300 * time.Second // DEF_MAX_FW_TIMEOUT
	// MaxTimeout bounds FW_ACCESS_TIMEOUT and MAX_FW_TIMEOUT: a week, as
	// far as a kernel-timed set element is sensible.
	MaxTimeout = 7 * 24 * time.Hour
	// maxDepth is fwknopd's MAX_DEPTH of %include.
	maxDepth = 3
	// placeholder is the value of the keys in Debian's stock access.conf.
	placeholder = "__CHANGEME__"
)

// Secret is a key. It prints as "[secret]" whatever the verb, so that a
// stanza logged or printed by mistake shows no key.
type Secret []byte

// Format masks the key for every fmt verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "[secret]") }

// Port is a protocol and port of OPEN_PORTS, RESTRICT_PORTS or an SPA
// request.
type Port struct {
	Proto knocker.Proto
	Port  uint16
}

// String writes the port as fwknop does: "tcp/22".
func (p Port) String() string { return fmt.Sprintf("%s/%d", p.Proto, p.Port) }

// ParsePort reads "tcp/22" (fwknop's proto/port, any case).
func ParsePort(s string) (Port, error) {
	proto, port, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Port{}, fmt.Errorf("%q is not proto/port: write e.g. tcp/22", s)
	}
	var p Port
	switch strings.ToLower(strings.TrimSpace(proto)) {
	case "tcp":
		p.Proto = knocker.TCP
	case "udp":
		p.Proto = knocker.UDP
	default:
		return Port{}, fmt.Errorf("%q has protocol %q: use tcp or udp", s, proto)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(port), 10, 16)
	if err != nil || n == 0 {
		return Port{}, fmt.Errorf("%q has no port from 1 to 65535", s)
	}
	p.Port = uint16(n)
	return p, nil
}

// ParsePorts reads a comma separated list of proto/port.
func ParsePorts(s string) ([]Port, error) {
	var out []Port
	for _, f := range strings.Split(s, ",") {
		p, err := ParsePort(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Stanza is one SOURCE stanza.
type Stanza struct {
	// File and Line are where its SOURCE is; Num counts stanzas from 1
	// across included files, as fwknopd's "stanza #N" does.
	File string
	Line int
	Num  int
	// Source is what SOURCE lists; ANY is the two zero-length prefixes
	// (0.0.0.0/0 and ::/0). SourceText is the value as written, for logs.
	Source     []netip.Prefix
	SourceText string
	// Destination, when set, limits the stanza to packets sent to these
	// addresses.
	Destination []netip.Prefix
	// OpenPorts are the ports a request may name (all of them must be
	// listed); none allows any. RestrictPorts are never allowed.
	OpenPorts     []Port
	RestrictPorts []Port
	// Key is the encryption key (KEY or KEY_BASE64), HMACKey the HMAC
	// key (HMAC_KEY or HMAC_KEY_BASE64).
	Key     Secret
	HMACKey Secret
	HMAC    spa.Hash           // HMAC_DIGEST_TYPE; SHA-256 by default
	Mode    spa.EncryptionMode // ENCRYPTION_MODE: CBC (the default) or legacy
	// AccessTimeout is FW_ACCESS_TIMEOUT (30 s by default); a client's
	// own timeout is honoured up to MaxTimeout (MAX_FW_TIMEOUT, 300 s).
	AccessTimeout time.Duration
	MaxTimeout    time.Duration
	// RequireUsername, when set, must be the packet's user.
	RequireUsername string
	// RequireSourceAddress refuses a packet that does not name the
	// address it comes from (fwknop -a or -R, not -s).
	RequireSourceAddress bool
	// Expires, when set, is when the stanza stops granting (ACCESS_EXPIRE).
	Expires time.Time

	gpgOnly bool // has GPG keys and no Rijndael key
}

// Keys are the stanza's keys and settings, for spa.Decode.
func (s *Stanza) Keys() spa.Keys {
	return spa.Keys{Key: s.Key, HMACKey: s.HMACKey, HMAC: s.HMAC, Mode: s.Mode}
}

// Timeout is how long a grant lasts for a packet asking for client
// seconds (0: none asked), as fwknopd decides: the client's time up to
// MAX_FW_TIMEOUT, else FW_ACCESS_TIMEOUT.
func (s *Stanza) Timeout(client time.Duration) time.Duration {
	if client > 0 {
		return min(client, s.MaxTimeout)
	}
	return s.AccessTimeout
}

// MatchSource reports whether a packet from src (sent to dst) is this
// stanza's: SOURCE and, if set, DESTINATION.
func (s *Stanza) MatchSource(src, dst netip.Addr) bool {
	if !matchAny(s.Source, src) {
		return false
	}
	return len(s.Destination) == 0 || matchAny(s.Destination, dst)
}

func matchAny(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Allows reports whether every port of a request may be opened: none is
// in RESTRICT_PORTS, and, with OPEN_PORTS, every one is listed there.
func (s *Stanza) Allows(req []Port) bool {
	if len(req) == 0 {
		return false
	}
	for _, p := range req {
		if slices.Contains(s.RestrictPorts, p) {
			return false
		}
		if len(s.OpenPorts) > 0 && !slices.Contains(s.OpenPorts, p) {
			return false
		}
	}
	return true
}

// Config is a parsed access.conf.
type Config struct {
	File     string
	Stanzas  []*Stanza
	Warnings []string // each "file:line: text"
}

// Error is a problem in an access.conf, at a line: the same type as a
// knockd.conf's, so that whoever reports a config's errors by file and
// line (sesamed check) reports these too.
type Error = knockdconf.Error

// FS is what the parser reads files through: the real file system by
// default, something else in tests and fuzzing.
type FS interface {
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]string, error) // names in the directory
}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (osFS) ReadDir(name string) ([]string, error) {
	ents, err := os.ReadDir(name)
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, err
}

// ParseFile reads the access.conf at path and the files it includes.
func ParseFile(path string) (*Config, error) {
	return ParseFS(osFS{}, path)
}

// ParseFS is ParseFile through fsys.
func ParseFS(fsys FS, path string) (*Config, error) {
	p := &parser{fs: fsys, cfg: &Config{File: path}}
	if err := p.file(path, 0); err != nil {
		return nil, err
	}
	if err := p.finishStanza(); err != nil {
		return nil, err
	}
	if len(p.cfg.Stanzas) == 0 {
		return nil, &Error{File: path, Msg: "has no SOURCE stanza that sesamed can serve: add one, e.g. SOURCE ANY, KEY_BASE64 and HMAC_KEY_BASE64 (fwknop --key-gen prints both)"}
	}
	return p.cfg, nil
}

// Parse reads an access.conf from r, without includes; file names it in
// errors.
func Parse(r io.Reader, file string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return ParseFS(oneFile{file, data}, file)
}

type oneFile struct {
	name string
	data []byte
}

func (o oneFile) ReadFile(name string) ([]byte, error) {
	if name == o.name {
		return o.data, nil
	}
	return nil, fmt.Errorf("open %s: %w", name, os.ErrNotExist)
}
func (oneFile) ReadDir(name string) ([]string, error) {
	return nil, fmt.Errorf("open %s: %w", name, os.ErrNotExist)
}

type parser struct {
	fs   FS
	cfg  *Config
	cur  *Stanza
	seen map[string]int // keys set in cur, and their line
	// keyFile is set while an %include_keys file is read: only key lines
	// count there.
	keyFile     bool
	count       int      // stanzas started, for Num
	unsupported []string // what cur uses that sesamed does not serve
}

// pos is a line of a file, for messages.
type pos struct {
	file string
	n    int
}

func (p *parser) file(path string, depth int) error {
	data, err := p.fs.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the fwknop access file: %w (fix Fwknop_Access, or the %%include naming it)", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	at := pos{file: path}
	for sc.Scan() {
		at.n++
		if err := p.line(at, sc.Text(), depth); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{File: path, Line: at.n + 1, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	return nil
}

func (p *parser) errorf(at pos, format string, args ...any) error {
	return &Error{File: at.file, Line: at.n, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) warnf(at pos, format string, args ...any) {
	p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s:%d: %s", at.file, at.n, fmt.Sprintf(format, args...)))
}

// split reads a line as fwknopd's sscanf("%s %[^;\n\r]") does.
func split(raw string) (name, value string, ok bool) {
	s := strings.TrimLeft(raw, " \t\v\f")
	end := strings.IndexAny(s, " \t\v\f")
	if end < 0 {
		return s, "", false
	}
	name, rest := s[:end], strings.TrimLeft(s[end:], " \t\v\f")
	if i := strings.IndexAny(rest, ";\r\n"); i >= 0 {
		rest = rest[:i]
	}
	value = strings.TrimRight(rest, " \t\v\f")
	name = strings.TrimSuffix(name, ":")
	return name, value, value != ""
}

func (p *parser) line(at pos, raw string, depth int) error {
	if raw == "" || raw[0] == '#' || raw[0] == ';' || raw[0] == '\r' {
		return nil
	}
	name, value, ok := split(raw)
	if name == "" || name[0] == '#' {
		return nil // a blank or indented comment line
	}
	if !ok {
		// fwknopd refuses the file; its message quotes the line, which
		// may hold a key, so this one does not.
		return p.errorf(at, "%s has no value (the line is not shown: it may hold a key): write %s VALUE", nameOf(name), nameOf(name))
	}
	if p.keyFile && !slices.Contains(keyNames, name) {
		p.warnf(at, "%s is ignored in an %%include_keys file: only KEY, KEY_BASE64, HMAC_KEY, HMAC_KEY_BASE64 and the GPG keys are read there", nameOf(name))
		return nil
	}
	switch name {
	case "%include":
		if depth+1 >= maxDepth {
			return p.errorf(at, "%%include goes deeper than %d files: fwknopd refuses it too; include the file from a higher level", maxDepth)
		}
		return p.file(p.rel(at, value), depth+1)
	case "%include_folder":
		if depth+1 >= maxDepth {
			return p.errorf(at, "%%include_folder goes deeper than %d files: fwknopd refuses it too", maxDepth)
		}
		dir := p.rel(at, value)
		names, err := p.fs.ReadDir(dir)
		if err != nil {
			return p.errorf(at, "%%include_folder: %v", err)
		}
		slices.Sort(names)
		for _, n := range names {
			if strings.HasSuffix(n, ".conf") {
				if err := p.file(filepath.Join(dir, n), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	case "SOURCE":
		if err := p.finishStanza(); err != nil {
			return err
		}
		return p.startStanza(at, value)
	}
	if p.cur == nil {
		p.warnf(at, "%s comes before any SOURCE and is ignored (fwknopd ignores it too): every stanza starts with a SOURCE line", nameOf(name))
		return nil
	}
	if prev, ok := p.seen[name]; ok {
		p.warnf(at, "%s is set twice in the stanza of line %d (before on line %d); the last value is used", name, p.cur.Line, prev)
	}
	p.seen[name] = at.n
	return p.set(at, name, value, depth)
}

// nameOf names a line by its first word when that is a variable name
// (upper case, as fwknopd's, or a known one in any case), and says "the
// line" otherwise: a word of another shape may be a key.
func nameOf(name string) string {
	up := strings.ToUpper(name)
	if strings.HasPrefix(name, "%include") || slices.Contains(known, up) || ignored[up] != "" || refused[up] != "" {
		return name
	}
	for i, r := range name {
		if !(r >= 'A' && r <= 'Z' || i > 0 && (r == '_' || r >= '0' && r <= '9')) {
			return "the line"
		}
	}
	if len(name) > 40 {
		return "the line"
	}
	return name
}

// rel resolves an included path: a relative one is taken from the
// including file's directory.
func (p *parser) rel(at pos, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(at.file), path)
}

func (p *parser) startStanza(at pos, value string) error {
	src, err := parseAddrs(value)
	if err != nil {
		return p.errorf(at, "SOURCE %v", err)
	}
	p.count++
	p.cur = &Stanza{File: at.file, Line: at.n, Num: p.count, Source: src, SourceText: value}
	p.seen = map[string]int{}
	p.unsupported = nil
	p.cfg.Stanzas = append(p.cfg.Stanzas, p.cur)
	return nil
}

// parseAddrs reads SOURCE or DESTINATION: ANY, addresses and networks
// (CIDR or a dotted mask), comma separated.
func parseAddrs(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if strings.EqualFold(f, "ANY") {
			out = append(out, netip.PrefixFrom(netip.IPv4Unspecified(), 0), netip.PrefixFrom(netip.IPv6Unspecified(), 0))
			continue
		}
		addr, mask, hasMask := strings.Cut(f, "/")
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return nil, fmt.Errorf("has %q, not an address, a network or ANY: write e.g. 192.0.2.0/24,198.51.100.7 or ANY", f)
		}
		a = a.Unmap()
		bits := a.BitLen()
		if hasMask {
			if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && a.Is4() {
				bits, err = maskBits(m)
				if err != nil {
					return nil, fmt.Errorf("has %q: %v", f, err)
				}
			} else if n, err := strconv.Atoi(mask); err == nil && n >= 0 && n <= a.BitLen() {
				bits = n
			} else {
				return nil, fmt.Errorf("has %q, whose mask is not 0 to %d bits or a dotted mask", f, a.BitLen())
			}
		}
		out = append(out, netip.PrefixFrom(a, bits).Masked())
	}
	return out, nil
}

func maskBits(m netip.Addr) (int, error) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return 0, errors.New("the mask's bits are not contiguous")
	}
	return n, nil
}

// keyNames are the lines an %include_keys file may hold.
var keyNames = []string{"KEY", "KEY_BASE64", "HMAC_KEY", "HMAC_KEY_BASE64",
	"GPG_DECRYPT_ID", "GPG_DECRYPT_PW", "GPG_ALLOW_NO_PW", "GPG_REQUIRE_SIG", "GPG_DISABLE_SIG",
	"GPG_IGNORE_SIG_VERIFY_ERROR", "GPG_REMOTE_ID", "GPG_FINGERPRINT_ID"}

// ignored are fwknopd's variables sesamed does not act on, and why that
// opens nothing more than the file asks for.
var ignored = map[string]string{
	"ENABLE_CMD_EXEC":      "sesamed refuses SPA command messages",
	"ENABLE_CMD_SUDO_EXEC": "sesamed refuses SPA command messages",
	"CMD_SUDO_EXEC_USER":   "sesamed refuses SPA command messages",
	"CMD_SUDO_EXEC_GROUP":  "sesamed refuses SPA command messages",
	"CMD_EXEC_USER":        "sesamed refuses SPA command messages",
	"CMD_EXEC_GROUP":       "sesamed refuses SPA command messages",
	"FORCE_MASQUERADE":     "sesamed opens local ports only, never forwards",
	"DISABLE_DNAT":         "sesamed opens local ports only, never forwards",
	"GPG_HOME_DIR":         "sesamed does not decrypt GPG SPA packets",
	"GPG_EXE":              "sesamed does not decrypt GPG SPA packets",
}

// refused are variables that make fwknopd open something else than the
// stanza's ports on this host: sesamed would not do what the file says.
var refused = map[string]string{
	"FORCE_NAT":       "sesamed opens local ports only and does not forward; serve this stanza with fwknopd",
	"FORCE_SNAT":      "sesamed opens local ports only and does not forward; serve this stanza with fwknopd",
	"FORWARD_ALL":     "sesamed opens local ports only and does not forward; serve this stanza with fwknopd",
	"CMD_CYCLE_OPEN":  "sesamed opens the firewall itself and runs no command cycle; remove it to let sesamed open OPEN_PORTS",
	"CMD_CYCLE_CLOSE": "sesamed opens the firewall itself and runs no command cycle; remove it to let sesamed open OPEN_PORTS",
	"CMD_CYCLE_TIMER": "sesamed opens the firewall itself and runs no command cycle; remove it to let sesamed open OPEN_PORTS",
}

var known = []string{"SOURCE", "DESTINATION", "OPEN_PORTS", "RESTRICT_PORTS", "KEY", "KEY_BASE64",
	"HMAC_KEY", "HMAC_KEY_BASE64", "HMAC_DIGEST_TYPE", "ENCRYPTION_MODE", "FW_ACCESS_TIMEOUT",
	"MAX_FW_TIMEOUT", "REQUIRE_USERNAME", "REQUIRE_SOURCE_ADDRESS", "REQUIRE_SOURCE", "ACCESS_EXPIRE",
	"ACCESS_EXPIRE_EPOCH", "GPG_DECRYPT_ID", "GPG_DECRYPT_PW", "GPG_ALLOW_NO_PW", "GPG_REQUIRE_SIG",
	"GPG_DISABLE_SIG", "GPG_IGNORE_SIG_VERIFY_ERROR", "GPG_REMOTE_ID", "GPG_FINGERPRINT_ID"}

func (p *parser) set(at pos, name, value string, depth int) error {
	s := p.cur
	switch name {
	case "%include_keys":
		if p.keyFile {
			return p.errorf(at, "%%include_keys inside an %%include_keys file: fwknopd reads keys only there")
		}
		p.keyFile = true
		err := p.file(p.rel(at, value), depth+1)
		p.keyFile = false
		return err
	case "DESTINATION":
		dst, err := parseAddrs(value)
		if err != nil {
			return p.errorf(at, "DESTINATION %v", err)
		}
		s.Destination = dst
	case "OPEN_PORTS", "RESTRICT_PORTS":
		ports, err := ParsePorts(value)
		if err != nil {
			return p.errorf(at, "%s: %v", name, err)
		}
		if name == "OPEN_PORTS" {
			s.OpenPorts = ports
		} else {
			s.RestrictPorts = ports
		}
	case "KEY", "HMAC_KEY":
		if value == placeholder {
			return p.errorf(at, "%s is still %s: set the key your clients use (fwknop --key-gen prints KEY_BASE64 and HMAC_KEY_BASE64 lines to paste)", name, placeholder)
		}
		if name == "KEY" {
			s.Key = Secret(value)
		} else {
			s.HMACKey = Secret(value)
		}
	case "KEY_BASE64", "HMAC_KEY_BASE64":
		if value == placeholder {
			return p.errorf(at, "%s is still %s: set the key your clients use (fwknop --key-gen prints KEY_BASE64 and HMAC_KEY_BASE64 lines to paste)", name, placeholder)
		}
		k, err := base64.StdEncoding.DecodeString(value)
		if err != nil || len(k) == 0 {
			return p.errorf(at, "%s is not base64 (not shown: it is a key): paste the value fwknop --key-gen printed", name)
		}
		if name == "KEY_BASE64" {
			s.Key = Secret(k)
		} else {
			s.HMACKey = Secret(k)
		}
	case "HMAC_DIGEST_TYPE":
		h, err := spa.ParseHash(value)
		if err != nil {
			return p.errorf(at, "HMAC_DIGEST_TYPE %q is not one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512", value)
		}
		s.HMAC = h
	case "ENCRYPTION_MODE":
		switch strings.ToUpper(value) {
		case "CBC":
			s.Mode = spa.CBC
		case "LEGACY":
			s.Mode = spa.Legacy
		case "CTR":
			return p.errorf(at, "ENCRYPTION_MODE CTR is not served by sesamed: use CBC (fwknop's default) on both ends")
		case "ASYMMETRIC":
			return p.errorf(at, "ENCRYPTION_MODE Asymmetric (GPG) is not served by sesamed: use KEY_BASE64 and HMAC_KEY_BASE64")
		default:
			return p.errorf(at, "ENCRYPTION_MODE %q is not one of CBC, CTR, legacy, Asymmetric", value)
		}
	case "FW_ACCESS_TIMEOUT", "MAX_FW_TIMEOUT":
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil || time.Duration(n)*time.Second > MaxTimeout {
			return p.errorf(at, "%s %q is not a number of seconds up to a week", name, value)
		}
		t := time.Duration(n) * time.Second
		if name == "FW_ACCESS_TIMEOUT" {
			s.AccessTimeout = t
		} else {
			s.MaxTimeout = t
		}
	case "REQUIRE_USERNAME":
		s.RequireUsername = value
	case "REQUIRE_SOURCE_ADDRESS", "REQUIRE_SOURCE":
		s.RequireSourceAddress = yes(value)
	case "ACCESS_EXPIRE":
		t, err := time.ParseInLocation("01/02/2006", value, time.Local)
		if err != nil {
			return p.errorf(at, "ACCESS_EXPIRE %q is not a date MM/DD/YYYY", value)
		}
		s.Expires = t
	case "ACCESS_EXPIRE_EPOCH":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 {
			return p.errorf(at, "ACCESS_EXPIRE_EPOCH %q is not seconds since 1970", value)
		}
		s.Expires = time.Unix(n, 0)
	case "GPG_DECRYPT_ID", "GPG_DECRYPT_PW", "GPG_ALLOW_NO_PW", "GPG_REQUIRE_SIG", "GPG_DISABLE_SIG",
		"GPG_IGNORE_SIG_VERIFY_ERROR", "GPG_REMOTE_ID", "GPG_FINGERPRINT_ID":
		if name == "GPG_DECRYPT_PW" || name == "GPG_ALLOW_NO_PW" && yes(value) {
			s.gpgOnly = true // until a Rijndael key shows up (finishStanza)
		}
		p.unsupported = append(p.unsupported, fmt.Sprintf("%s:%d: %s is ignored: sesamed does not decrypt GPG SPA packets (they are refused)", at.file, at.n, name))
	default:
		if why, ok := ignored[name]; ok {
			p.warnf(at, "%s is ignored: %s", name, why)
			return nil
		}
		if why, ok := refused[name]; ok {
			return p.errorf(at, "%s: %s", name, why)
		}
		if nameOf(name) == "the line" {
			p.warnf(at, "the line is not a variable fwknopd knows and is ignored, as fwknopd does (not shown: it may hold a key)")
			return nil
		}
		p.warnf(at, "unknown variable %s is ignored (fwknopd ignores it too)%s", name, suggest(name))
	}
	return nil
}

// yes reads fwknopd's booleans: anything starting with Y or y.
func yes(v string) bool { return strings.HasPrefix(v, "Y") || strings.HasPrefix(v, "y") }

// suggest names the known variable a typo or a lower-case name meant.
func suggest(name string) string {
	up := strings.ToUpper(name)
	if up != name && (slices.Contains(known, up) || ignored[up] != "" || refused[up] != "") {
		return fmt.Sprintf(": fwknopd reads variable names in upper case only; write %s", up)
	}
	if best := knockdconf.Closest(up, known); best != "" {
		return fmt.Sprintf(": did you mean %s?", best)
	}
	return ""
}

// finishStanza checks the stanza just read, as fwknopd's
// acc_data_is_valid does, and applies the defaults.
func (p *parser) finishStanza() error {
	s := p.cur
	if s == nil {
		return nil
	}
	p.cur = nil
	at := pos{file: s.File, n: s.Line}
	if s.AccessTimeout == 0 {
		s.AccessTimeout = DefaultAccessTimeout
	}
	if s.MaxTimeout == 0 {
		s.MaxTimeout = DefaultMaxTimeout
	}
	if s.MaxTimeout < s.AccessTimeout {
		p.warnf(at, "MAX_FW_TIMEOUT (%s) is below FW_ACCESS_TIMEOUT (%s): fwknopd and sesamed grant FW_ACCESS_TIMEOUT to clients that ask for no time, and at most MAX_FW_TIMEOUT to those that do", s.MaxTimeout, s.AccessTimeout)
	}
	if len(s.Key) == 0 {
		if s.gpgOnly {
			p.cfg.Warnings = append(p.cfg.Warnings, p.unsupported...)
			p.warnf(at, "the stanza of SOURCE %s has only GPG keys, which sesamed does not serve: it opens nothing under sesamed (give it KEY_BASE64 and HMAC_KEY_BASE64, or keep fwknopd for it)", s.SourceText)
			p.cfg.Stanzas = slices.DeleteFunc(p.cfg.Stanzas, func(x *Stanza) bool { return x == s })
			return nil
		}
		return p.errorf(at, "no keys found for the stanza of SOURCE %s: add KEY_BASE64 (fwknop --key-gen prints one), as fwknopd requires", s.SourceText)
	}
	p.cfg.Warnings = append(p.cfg.Warnings, p.unsupported...)
	if len(s.HMACKey) == 0 {
		return p.errorf(at, "the stanza of SOURCE %s has no HMAC_KEY_BASE64: sesamed checks every packet's HMAC before it decrypts anything, so it needs one (fwknop --key-gen prints it; clients add --use-hmac)", s.SourceText)
	}
	if string(s.Key) == string(s.HMACKey) {
		return p.errorf(at, "the stanza of SOURCE %s has the same encryption and HMAC key, which fwknopd refuses too: generate a new pair with fwknop --key-gen", s.SourceText)
	}
	if err := s.Keys().Check(); err != nil {
		return p.errorf(at, "the stanza of SOURCE %s: %v", s.SourceText, err)
	}
	if !s.RequireSourceAddress {
		// fwknopd says the same at every start.
		p.warnf(at, "REQUIRE_SOURCE_ADDRESS is not enabled for the stanza of SOURCE %s: a client that sends -s (0.0.0.0) gets the address the packet came from", s.SourceText)
	}
	return nil
}
