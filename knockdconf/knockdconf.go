// Package knockdconf reads knockd.conf, with every key, alias and default of
// knockd(8), so that sesamed can run on an existing /etc/knockd.conf and the
// Sesame client can import its doors as profiles.
//
// The syntax, as knockd reads it: blank lines and lines starting with '#'
// are skipped; "[name]" starts a section, "[options]" holds global options
// and any other name starts a door; "key = value" sets a key, with the key
// case-insensitive and the value trimmed; UseSyslog stands alone. Numbers
// are read as knockd's atoi() reads them where configs in the wild rely on
// it (a port or a timeout followed by an inline comment or a unit: the text
// is ignored, with a warning); a value knockd would turn into 0 or refuse
// is an error that names the file and line, and so is an unknown key.
//
// sesamed's own keys (Firewall, StateDir, Fwknop_Access, Fwknop_Port; Open_Ports, Access_Time,
// Close_When_Idle, Close_Sequence, Cooldown; the Rotating_ keys) are
// extensions: new keys, never new meanings for knockd's, described in
// extensions.go and rotating.go.
package knockdconf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"sesame/knocker"
)

// knockd's defaults.
const (
	DefaultSeqTimeout = 25 * time.Second
	DefaultCmdTimeout = 10 * time.Second
	// MaxSequence is knockd's SEQ_MAX: a longer sequence is refused by
	// knockd, so it is refused here too rather than working only on sesamed.
	MaxSequence = 32
)

// Config is a parsed knockd.conf.
type Config struct {
	// File is the name errors and messages refer to.
	File string
	// Options from the [options] section. Empty strings mean "not set":
	// the daemon applies its own defaults (and its command-line flags).
	UseSyslog bool
	LogFile   string
	PidFile   string
	Interface string
	// Firewall is sesamed's firewall backend (an extension key): "auto"
	// (the default), "iptables" or "nftables".
	Firewall string
	// StateDir is where sesamed keeps what must survive a restart (the
	// spent windows of rotating doors), an extension key; "" means
	// DefaultStateDir.
	StateDir string
	// FwknopAccess is fwknopd's access.conf that sesamed serves (SPA), an
	// extension key; FwknopPortSet is Fwknop_Port as given (see
	// FwknopPort). See fwknop.go.
	FwknopAccess  string
	FwknopPortSet Port
	// Doors in file order.
	Doors []*Door
	// Warnings are things knockd accepts but that are probably mistakes
	// (a key set twice), each as "file:line: text". The daemon logs them
	// and `sesamed check` prints them.
	Warnings []string
}

// Door is one knock/event section.
type Door struct {
	Name string
	// Line is the line of the door's [name] header.
	Line int

	// Sequence is the fixed knock sequence; empty when the door uses
	// OneTimeSequences or Rotating.
	Sequence knocker.Sequence
	// OneTimeSequences is the path of the one-time sequences file, if any.
	OneTimeSequences string
	// Rotating, an extension (see rotating.go), is set for a door whose
	// sequence is derived from a shared seed, window by window.
	Rotating *Rotating

	SeqTimeout time.Duration
	TCPFlags   TCPFlags
	// Target replaces the interface's addresses when matching the
	// destination of knocks.
	Target netip.Addr

	StartCommand string
	StopCommand  string
	CmdTimeout   time.Duration

	// The IPv6 commands fall back to the IPv4 ones when absent; set to an
	// empty value they mean "do nothing for IPv6".
	StartCommand6    string
	StartCommand6Set bool
	StopCommand6     string
	StopCommand6Set  bool

	// sesamed's extension keys; see extensions.go.

	// OpenPorts is the native open action: the ports the knocking address
	// may reach once the door opens, without a shell command.
	OpenPorts []Port
	// AccessTime is how long the native rule stays after the last knock;
	// 0 keeps it until the close sequence, idle close or shutdown.
	AccessTime time.Duration
	// CloseWhenIdle removes the native rule once the address has had no
	// established connection to the opened ports for this long; 0 is off.
	CloseWhenIdle time.Duration
	// CloseSequence, knocked from the same address, removes the native rule.
	CloseSequence knocker.Sequence
	// Cooldown is how long, after the door opens for an address, that
	// address's knocks on the door are ignored; 0 is off.
	Cooldown time.Duration
}

// StartCommandFor returns the start command for a knock from an IPv6
// address (ipv6) or an IPv4 one, with knockd's fallback.
func (d *Door) StartCommandFor(ipv6 bool) string {
	if ipv6 && d.StartCommand6Set {
		return d.StartCommand6
	}
	return d.StartCommand
}

// StopCommandFor is StartCommandFor for the stop command.
func (d *Door) StopCommandFor(ipv6 bool) string {
	if ipv6 && d.StopCommand6Set {
		return d.StopCommand6
	}
	return d.StopCommand
}

// TCP header flag bits, as in the 13th byte of the TCP header.
const (
	FlagFIN uint8 = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
)

var flagNames = []struct {
	bit  uint8
	name string
}{{FlagFIN, "fin"}, {FlagSYN, "syn"}, {FlagRST, "rst"}, {FlagPSH, "psh"}, {FlagACK, "ack"}, {FlagURG, "urg"}}

// TCPFlags is a door's TCPFlags: flags that must be set and flags that must
// not be. knockd ignores (rather than counts as wrong) a TCP packet that does
// not match.
type TCPFlags struct {
	Set, Unset uint8
}

// IsZero reports whether the door has no TCPFlags, so every TCP packet counts.
func (f TCPFlags) IsZero() bool { return f.Set == 0 && f.Unset == 0 }

// Match reports whether a packet with these TCP flags counts for the door.
func (f TCPFlags) Match(flags uint8) bool {
	return flags&f.Set == f.Set && flags&f.Unset == 0
}

// String prints the flags as knockd.conf writes them: "syn,!ack".
func (f TCPFlags) String() string {
	var parts []string
	for _, fl := range flagNames {
		switch {
		case f.Set&fl.bit != 0:
			parts = append(parts, fl.name)
		case f.Unset&fl.bit != 0:
			parts = append(parts, "!"+fl.name)
		}
	}
	return strings.Join(parts, ",")
}

// ParseTCPFlags reads a TCPFlags value such as "syn,!ack", in any case.
func ParseTCPFlags(s string) (TCPFlags, error) {
	var f TCPFlags
	for _, tok := range strings.Split(s, ",") {
		tok = strings.ToLower(strings.TrimSpace(tok))
		neg := strings.HasPrefix(tok, "!")
		name := strings.TrimSpace(strings.TrimPrefix(tok, "!"))
		bit := uint8(0)
		for _, fl := range flagNames {
			if fl.name == name {
				bit = fl.bit
			}
		}
		if bit == 0 {
			return TCPFlags{}, fmt.Errorf("unknown TCP flag %q: use fin, syn, rst, psh, ack or urg, each optionally with !", tok)
		}
		// The last mention wins, as in knockd.
		if neg {
			f.Unset |= bit
			f.Set &^= bit
		} else {
			f.Set |= bit
			f.Unset &^= bit
		}
	}
	return f, nil
}

// Error is a problem in a config file, at a line.
type Error struct {
	File string
	Line int // 0 when the problem is not at one line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ParseFile reads and parses the config file at path.
func ParseFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read knockd config: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a knockd.conf from r; file names it in errors.
func Parse(r io.Reader, file string) (*Config, error) {
	p := &parser{cfg: &Config{File: file}, seen: map[string]int{}, doorLines: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: file, Line: p.line + 1, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

type parser struct {
	cfg     *Config
	line    int
	section string // "" before the first section
	door    *Door
	// seen maps "section\x00KEY" to the line a key was last set on, to
	// catch a key given twice in one section. A door's section is its
	// header line too (sectionID): a repeated [name] is a second door, as
	// in knockd, not more of the first.
	seen map[string]int
	// doorLines maps a door's name to the line of its first [name].
	doorLines map[string]int
	// fwknopPortLine is the line of Fwknop_Port, for its warning.
	fwknopPortLine int
}

// sectionID names the current section in seen.
func (p *parser) sectionID() string {
	if p.door == nil {
		return "options"
	}
	return doorID(p.door)
}

func doorID(d *Door) string { return fmt.Sprintf("%s@%d", d.Name, d.Line) }

// keyLine is the line where door d last set key, 0 if it did not.
func (p *parser) keyLine(d *Door, key string) int { return p.seen[doorID(d)+"\x00"+key] }

func (p *parser) errorf(format string, args ...any) error {
	return &Error{File: p.cfg.File, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parseLine(raw string) error {
	line := strings.TrimSpace(raw)
	if line == "" || line[0] == '#' {
		return nil
	}
	if line[0] == '[' {
		if line[len(line)-1] != ']' {
			// Not quoted: text after the name may be a sequence.
			return p.errorf("section header has no closing ]: write e.g. [openSSH] alone on its line")
		}
		name := strings.TrimSpace(line[1 : len(line)-1])
		if name == "" {
			return p.errorf("empty section name []: name the door, e.g. [openSSH]")
		}
		p.section = name
		if strings.EqualFold(name, "options") {
			p.door = nil
			return nil
		}
		if first, ok := p.doorLines[name]; ok {
			// knockd runs both sections as two doors of the same name, and
			// so does sesamed; an admin who meant to add to the first one
			// gets a door that does not do what it seems to.
			p.warnf("[%s] is defined twice (first on line %d): these are two separate doors with the same name, each with only its own keys; rename one, or merge them", name, first)
		} else {
			p.doorLines[name] = p.line
		}
		p.door = &Door{Name: name, Line: p.line, SeqTimeout: DefaultSeqTimeout, CmdTimeout: DefaultCmdTimeout,
			AccessTime: DefaultAccessTime, Cooldown: DefaultCooldown}
		p.cfg.Doors = append(p.cfg.Doors, p.door)
		return nil
	}
	keyRaw, value, hasValue := strings.Cut(line, "=")
	keyRaw, value = strings.TrimSpace(keyRaw), strings.TrimSpace(value)
	// Errors name the key and never quote the line: it may hold a
	// sequence or a seed, and errors reach the log and syslog.
	if p.section == "" {
		return p.errorf("%s comes before any section (not shown: it may hold a secret): put it under [options] or a door such as [openSSH]", lineName(keyRaw))
	}
	if keyRaw == "" {
		return p.errorf("missing key before =")
	}
	if !hasValue || !isKeyName(keyRaw) {
		if strings.EqualFold(keyRaw, "UseSyslog") && !hasValue {
			p.cfg.UseSyslog = true
			return nil
		}
		if name, ok := firstKey(keyRaw); ok && !hasValue {
			return p.errorf("%s has no value (the line is not shown: it may hold a secret): write %s = VALUE", name, name)
		}
		return p.errorf("the line is not KEY = VALUE with a key name before = (not shown: it may hold a secret): write e.g. Sequence = 7000,8000,9000")
	}
	canon := canonicalKey(strings.ToUpper(keyRaw))
	if p.door == nil {
		return p.setOption(canon, keyRaw, value)
	}
	return p.setDoorKey(canon, keyRaw, value)
}

// isKeyName reports whether s is shaped like a key (Start_Command_6), as
// opposed to a value written without its key: letters and underscores,
// and no two digits in a row (a port).
func isKeyName(s string) bool {
	digit := false
	for i, r := range s {
		isDigit := r >= '0' && r <= '9'
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case i > 0 && r == '_':
		case i > 0 && isDigit && !digit:
		default:
			return false
		}
		digit = isDigit
	}
	return s != ""
}

// firstKey is the key a line without "=" starts with ("Sequence" of
// "Sequence: 7000,8000"), if it starts with one.
func firstKey(s string) (string, bool) {
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	})
	if end < 0 {
		end = len(s)
	}
	return s[:end], isKeyName(s[:end])
}

// lineName names a line by its key for an error, or says "a line".
func lineName(keyRaw string) string {
	if name, ok := firstKey(keyRaw); ok {
		return name
	}
	return "a line"
}

// aliases maps knockd's alternative key names to the canonical one.
var aliases = map[string]string{
	"TIMEOUT":   "SEQ_TIMEOUT",
	"COMMAND":   "START_COMMAND",
	"COMMAND_6": "START_COMMAND_6",
}

func canonicalKey(key string) string {
	if c, ok := aliases[key]; ok {
		return c
	}
	return key
}

var optionKeys = []string{"LOGFILE", "PIDFILE", "INTERFACE", "USESYSLOG", "FIREWALL", "STATEDIR", "FWKNOP_ACCESS", "FWKNOP_PORT"}

func (p *parser) setOption(key, raw, value string) error {
	if err := p.once(key, raw); err != nil {
		return err
	}
	switch key {
	case "LOGFILE":
		p.cfg.LogFile = value
	case "PIDFILE":
		p.cfg.PidFile = value
	case "INTERFACE":
		if value == "" {
			return p.errorf("Interface is empty: name an interface, e.g. Interface = eth0")
		}
		p.cfg.Interface = value
	case "USESYSLOG":
		return p.errorf("UseSyslog takes no value: write just UseSyslog")
	case "FIREWALL":
		fw, err := parseFirewall(value)
		if err != nil {
			return p.errorf("Firewall: %v", err)
		}
		p.cfg.Firewall = fw
	case "STATEDIR":
		if value == "" {
			return p.errorf("StateDir is empty: give a directory, e.g. StateDir = %s", DefaultStateDir)
		}
		p.cfg.StateDir = value
	case "FWKNOP_ACCESS", "FWKNOP_PORT":
		return p.setFwknopOption(key, value)
	default:
		if contains(doorKeys, key) {
			return p.errorf("%q belongs in a door section, not [options]", raw)
		}
		return p.errorf("unknown option %q%s", raw, suggest(key, optionKeys))
	}
	return nil
}

var doorKeys = append([]string{
	"SEQUENCE", "ONE_TIME_SEQUENCES", "SEQ_TIMEOUT", "TCPFLAGS", "TARGET",
	"START_COMMAND", "START_COMMAND_6", "STOP_COMMAND", "STOP_COMMAND_6", "CMD_TIMEOUT",
	// sesamed's extensions.
	"OPEN_PORTS", "ACCESS_TIME", "CLOSE_WHEN_IDLE", "CLOSE_SEQUENCE", "COOLDOWN",
}, rotatingKeys...)

func (p *parser) setDoorKey(key, raw, value string) error {
	d := p.door
	if err := p.once(key, raw); err != nil {
		return err
	}
	switch key {
	case "SEQUENCE":
		seq, ignored, err := parseDoorSequence(value)
		if err != nil {
			return p.errorf("Sequence %v", err)
		}
		p.warnIgnored(raw, ignored)
		if len(seq) > MaxSequence {
			return p.errorf("Sequence has %d knocks: knockd allows at most %d", len(seq), MaxSequence)
		}
		d.Sequence = seq
	case "ONE_TIME_SEQUENCES":
		if value == "" {
			return p.errorf("One_Time_Sequences is empty: give the path of the sequences file")
		}
		d.OneTimeSequences = value
	case "SEQ_TIMEOUT":
		t, err := p.knockdSeconds(raw, value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		if t == 0 {
			return p.errorf("%s = 0 would expire every knock at once: give seconds, e.g. %s = 5", raw, raw)
		}
		d.SeqTimeout = t
	case "CMD_TIMEOUT":
		t, err := p.knockdSeconds(raw, value)
		if err != nil {
			return p.errorf("%s: %v", raw, err)
		}
		d.CmdTimeout = t
	case "TCPFLAGS":
		f, err := ParseTCPFlags(value)
		if err != nil {
			return p.errorf("TCPFlags: %v", err)
		}
		d.TCPFlags = f
	case "TARGET":
		a, err := netip.ParseAddr(value)
		if err != nil {
			return p.errorf("Target %q is not an IP address: give the address knocks are sent to", value)
		}
		d.Target = a.Unmap()
	case "START_COMMAND":
		d.StartCommand = value
	case "START_COMMAND_6":
		d.StartCommand6, d.StartCommand6Set = value, true
	case "STOP_COMMAND":
		d.StopCommand = value
	case "STOP_COMMAND_6":
		d.StopCommand6, d.StopCommand6Set = value, true
	case "OPEN_PORTS", "ACCESS_TIME", "CLOSE_WHEN_IDLE", "CLOSE_SEQUENCE", "COOLDOWN":
		return p.setExtensionKey(key, raw, value)
	default:
		if contains(rotatingKeys, key) {
			return p.setRotatingKey(key, raw, value)
		}
		if contains(optionKeys, key) {
			return p.errorf("%q belongs in [options], not in door [%s]", raw, d.Name)
		}
		return p.errorf("unknown key %q in door [%s]%s", raw, d.Name, suggest(key, doorKeys))
	}
	return nil
}

// once warns about a key set twice in one section. knockd keeps the last
// value, and so does this parser, so a config that works with knockd works
// here; but two Sequence lines are usually a mistake, so it is said.
func (p *parser) once(key, raw string) error {
	k := p.sectionID() + "\x00" + key
	if prev, ok := p.seen[k]; ok {
		p.warnf("%s is set twice in [%s] (before on line %d); the last value is used", raw, p.section, prev)
	}
	p.seen[k] = p.line
	return nil
}

func (p *parser) warnf(format string, args ...any) {
	p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s:%d: %s", p.cfg.File, p.line, fmt.Sprintf(format, args...)))
}

func (p *parser) finish() error {
	for _, d := range p.cfg.Doors {
		if err := p.finishRotating(d); err != nil {
			return err
		}
		if len(d.Sequence) == 0 && d.OneTimeSequences == "" && !d.IsRotating() {
			return &Error{File: p.cfg.File, Line: d.Line, Msg: fmt.Sprintf("door [%s] has no Sequence: add e.g. Sequence = 7000,8000,9000", d.Name)}
		}
		if len(d.Sequence) > 0 && d.OneTimeSequences != "" {
			p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s:%d: door [%s] has both Sequence and One_Time_Sequences; the one-time sequences are used", p.cfg.File, d.Line, d.Name))
			d.Sequence = nil
		}
	}
	if err := p.finishExtensions(); err != nil {
		return err
	}
	if err := p.finishFwknop(); err != nil {
		return err
	}
	p.warnSameSequences()
	return nil
}

// warnSameSequences warns about two doors (or close sequences) with the
// same fixed sequence: one knock then opens both, which is rarely meant
// (a copied section whose sequence was not changed). The sequences are
// not quoted.
func (p *parser) warnSameSequences() {
	type seqAt struct {
		name string
		line int
		seq  knocker.Sequence
	}
	var all []seqAt
	for _, d := range p.cfg.Doors {
		if len(d.Sequence) > 0 {
			all = append(all, seqAt{"[" + d.Name + "]", d.Line, d.Sequence})
		}
		if len(d.CloseSequence) > 0 {
			all = append(all, seqAt{"the Close_Sequence of [" + d.Name + "]", p.keyLine(d, "CLOSE_SEQUENCE"), d.CloseSequence})
		}
	}
	for i, a := range all {
		for _, b := range all[:i] {
			if a.seq.Equal(b.seq) {
				p.cfg.Warnings = append(p.cfg.Warnings, fmt.Sprintf("%s:%d: %s has the same sequence as %s (line %d): one knock opens both; give each door its own sequence", p.cfg.File, a.line, a.name, b.name, b.line))
				break
			}
		}
	}
}

// parseDoorSequence reads a door's sequence as knockd does: each knock's
// port is read up to its first non-digit (knockd's atoi), so text after a
// bare port, such as an inline "# comment", is ignored; ignored lists the
// knocks (1-based) that had such text, for a warning. Trailing text after a
// protocol is an error, as in knockd. An empty knock (a trailing or doubled
// comma) is an error: knockd reads it as port 0, a door no client opens.
// Errors quote a bad knock only when it cannot hold a port of the secret
// sequence ("99999", "abc"); otherwise they name its position.
func parseDoorSequence(value string) (seq knocker.Sequence, ignored []int, err error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil, errors.New("is empty: give ports, e.g. 7000,8000,9000")
	}
	tokens := strings.Split(value, ",")
	for i, raw := range tokens {
		n := i + 1
		tok := strings.TrimSpace(raw)
		if tok == "" {
			if n == len(tokens) {
				return nil, nil, errors.New("ends with a comma: knockd reads the empty knock after it as port 0, a door no client can open; remove the trailing comma")
			}
			return nil, nil, fmt.Errorf("has an empty knock %d (two commas in a row, or one at the start): knockd reads it as port 0, a door no client can open; remove the extra comma", n)
		}
		if digits, rest := leadingDigits(tok); digits != "" && rest != "" && !strings.HasPrefix(rest, "@") && !strings.Contains(tok, ":") {
			tok = digits
			ignored = append(ignored, n)
		}
		st, err := knocker.ParseStep(tok)
		if err != nil {
			return nil, nil, badKnock(err, tok, n)
		}
		if st.GapSet {
			return nil, nil, errors.New("has a gap (@): gaps are a client setting, not part of a door")
		}
		seq = append(seq, st)
	}
	if err := seq.Validate(); err != nil {
		return nil, nil, badKnock(err, "", 0)
	}
	return seq, ignored, nil
}

// badKnock words a knock that could not be read, naming the token as the
// client does (bad knock "99999") unless it holds a number that is a valid
// port, which may be part of the secret.
func badKnock(err error, tok string, n int) error {
	var te *knocker.TokenError
	if !errors.As(err, &te) {
		return fmt.Errorf("has a bad knock: %v", err)
	}
	if tok != "" && !holdsPort(tok) {
		return fmt.Errorf("has a %v", te)
	}
	if n > 0 {
		reason := te.Reason
		if _, proto, ok := strings.Cut(tok, ":"); ok && !strings.Contains(proto, "@") {
			// The reason would quote what follows the protocol: a comment
			// that may hold the sequence.
			reason = "protocol must be tcp or udp, with nothing after it (knockd refuses it too)"
		}
		return fmt.Errorf("has a bad knock (knock %d, not shown: its port may be part of the secret): %s", n, reason)
	}
	return fmt.Errorf("has a bad knock: %s", te.Reason)
}

// holdsPort reports whether s has a run of digits that reads as a port.
func holdsPort(s string) bool {
	for _, run := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		if p, err := strconv.ParseUint(run, 10, 16); err == nil && p > 0 {
			return true
		}
	}
	return false
}

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

// warnIgnored warns that text after knocks' ports is ignored, without
// quoting it: the text sits in a line that holds the secret sequence.
func (p *parser) warnIgnored(key string, knocks []int) {
	if len(knocks) == 0 {
		return
	}
	list := make([]string, len(knocks))
	for i, n := range knocks {
		list[i] = strconv.Itoa(n)
	}
	word := "knock"
	if len(knocks) > 1 {
		word = "knocks"
	}
	p.warnf("%s: the text after the port of %s %s is ignored (knockd ignores it too); put comments on a line of their own", key, word, strings.Join(list, ", "))
}

// knockdSeconds reads Seq_Timeout and Cmd_Timeout as knockd does: the
// digits at the start, with any text after them (an inline "# comment",
// a unit as in "5s") ignored, and warned about.
func (p *parser) knockdSeconds(key, value string) (time.Duration, error) {
	digits, rest := leadingDigits(value)
	if digits != "" && rest != "" {
		p.warnf("%s: the text after %s is ignored (knockd reads whole seconds and stops at the first non-digit); write %s = %s", key, digits, key, digits)
		value = digits
	}
	return seconds(value)
}

// seconds reads knockd's whole-second timeouts.
func seconds(v string) (time.Duration, error) {
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of seconds", v)
	}
	if n > 7*24*3600 {
		return 0, fmt.Errorf("%s seconds is more than a week", v)
	}
	return time.Duration(n) * time.Second, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns ", did you mean X?" for the closest known key, if any is
// close enough to be a typo.
func suggest(key string, known []string) string {
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	best := Closest(key, sorted)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(": did you mean %s?", displayKey(best))
}

// Closest returns the candidate nearest to key, the first of equals, when
// it is within two edits (a typo), else "". Sesamed's config parsers use it
// to name the key a misspelt one meant.
func Closest(key string, candidates []string) string {
	best, bestDist := "", 3
	for _, k := range candidates {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// displayKey writes a canonical key the way knockd's manual does.
func displayKey(k string) string {
	parts := strings.Split(strings.ToLower(k), "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	s := strings.Join(parts, "_")
	switch k {
	case "TCPFLAGS":
		return "TCPFlags"
	case "LOGFILE":
		return "LogFile"
	case "PIDFILE":
		return "PidFile"
	case "USESYSLOG":
		return "UseSyslog"
	case "STATEDIR":
		return "StateDir"
	case "FWKNOP_ACCESS":
		return "Fwknop_Access"
	case "FWKNOP_PORT":
		return "Fwknop_Port"
	}
	if k == "FIREWALL" {
		return "Firewall"
	}
	return s
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
