package profiles

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"sesame/spa"
)

// Kind is how a profile opens its door.
type Kind int

// The kinds. A profile knocks one way: setting one kind's secrets through
// Edit replaces the others'.
const (
	// KindSequence knocks a fixed sequence (Secrets.Open).
	KindSequence Kind = iota
	// KindRotating knocks a sequence derived from a seed for each time
	// window (Secrets.Rotation).
	KindRotating
	// KindOneTime knocks each of a knockd door's One_Time_Sequences once
	// (Secrets.OneTime).
	KindOneTime
	// KindSPA sends one fwknop Single Packet Authorization packet
	// (Profile.SPA, Secrets.SPA).
	KindSPA
)

func (k Kind) String() string {
	switch k {
	case KindSequence:
		return "sequence"
	case KindRotating:
		return "rotating"
	case KindOneTime:
		return "one-time"
	case KindSPA:
		return "spa"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ParseKind reads a kind as String writes it.
func ParseKind(s string) (Kind, error) {
	for k := KindSequence; k <= KindSPA; k++ {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown knock kind %q: use sequence, rotating, one-time or spa", s)
}

// Kind is how the profile opens its door. An SPA profile is known from its
// settings alone; the other kinds differ only in their secrets, so a
// profile listed without them (Store.List) reads as KindSequence.
func (p *Profile) Kind() Kind {
	switch s := p.Secrets; {
	case p.SPA != nil:
		return KindSPA
	case s.Rotation != nil:
		return KindRotating
	case len(s.OneTime) > 0 || s.OneTimeUsed > 0:
		return KindOneTime
	}
	return KindSequence
}

// SPA defaults, as fwknop's.
const (
	DefaultSPAPort  = 62201
	DefaultSPAProto = "udp"
	// AllowSource is SPA.AllowIP's word for fwknop -s: the packet asks for
	// 0.0.0.0 and the server opens the ports for the address it came from.
	AllowSource = "source"
	// MaxSPATimeout is the longest door an SPA packet asks for.
	MaxSPATimeout = 24 * 60 * 60
	// MaxSPAKeyBytes and MaxSPAHMACKeyBytes bound the keys as libfko does
	// (the key is a passphrase to the AES key derivation; an HMAC key
	// fills at most a SHA-512 block).
	MaxSPAKeyBytes     = 32
	MaxSPAHMACKeyBytes = 128
	// SPAKeyBytes and SPAHMACKeyBytes are the sizes NewSPAKeys makes, as
	// fwknop --key-gen does.
	SPAKeyBytes     = 32
	SPAHMACKeyBytes = 64
)

// SPA are the settings of an SPA profile: where fwknopd (or sesamed's
// Fwknop_Access) listens and what the packet asks it for. They live in the
// settings file; the keys are secrets (SPAKeys).
type SPA struct {
	// Port and Proto are where the server listens: 0 and "" mean
	// fwknop's 62201/udp. Proto is udp or tcp.
	Port  int
	Proto string
	// Access are the ports to open, as fwknop's -A: "tcp/22,udp/53".
	// Empty means tcp/ and the profile's SSH port.
	Access string
	// AllowIP is the address the server opens the ports for (fwknop -a).
	// Empty means the address this computer sends the packet from: right
	// when the server sees it (no NAT in between), and it lets a server
	// with REQUIRE_SOURCE_ADDRESS check it. AllowSource asks for 0.0.0.0
	// (fwknop -s): the server uses the address the packet arrives from,
	// which is what works behind NAT. Otherwise it is a fixed address.
	AllowIP string
	// Timeout asks the server to keep the door open this many seconds
	// (fwknop -f); 0 leaves it to the server's FW_ACCESS_TIMEOUT.
	Timeout int
	// User is the user name in the packet (fwknop -U), which a server's
	// REQUIRE_USERNAME checks; empty means the local user name.
	User string
}

// ServerPort is where the packet goes: Port and Proto, defaults filled in.
func (s *SPA) ServerPort() (int, string) {
	port, proto := s.Port, s.Proto
	if port == 0 {
		port = DefaultSPAPort
	}
	if proto == "" {
		proto = DefaultSPAProto
	}
	return port, proto
}

// AccessFor is the ports the packet asks for, the default (tcp/ the SSH
// port) filled in.
func (s *SPA) AccessFor(sshPort int) string {
	if s.Access == "" {
		return "tcp/" + strconv.Itoa(sshPort)
	}
	return s.Access
}

// validate returns the problems of the settings as field errors.
func (s *SPA) validate(add func(field, reason string)) {
	if s.Port < 0 || s.Port > 65535 {
		add("spa-port", fmt.Sprintf("%d is not a port: give a number from 1 to 65535 (empty for %d)", s.Port, DefaultSPAPort))
	}
	if s.Proto != "" && s.Proto != "udp" && s.Proto != "tcp" {
		add("spa-proto", fmt.Sprintf("%q is not udp or tcp (empty for %s)", s.Proto, DefaultSPAProto))
	}
	if s.Access != "" {
		if err := CheckSPAAccess(s.Access); err != nil {
			add("spa-access", err.Error())
		}
	}
	if err := CheckAllowIP(s.AllowIP); err != nil {
		add("spa-allow-ip", err.Error())
	}
	if s.Timeout < 0 || s.Timeout > MaxSPATimeout {
		add("spa-timeout", fmt.Sprintf("must be between 0 (the server's FW_ACCESS_TIMEOUT) and %d seconds", MaxSPATimeout))
	}
	if strings.ContainsAny(s.User, " \t\n:,") {
		add("spa-user", "must not contain spaces, : or ,")
	}
}

// CheckSPAAccess checks ports to open as fwknop's -A writes them:
// "tcp/22" or "tcp/22,udp/53".
func CheckSPAAccess(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("is empty: give the ports to open as PROTO/PORT, e.g. tcp/22 or tcp/22,udp/53")
	}
	for _, item := range strings.Split(text, ",") {
		proto, port, ok := strings.Cut(strings.TrimSpace(item), "/")
		n, err := strconv.Atoi(port)
		switch {
		case !ok || (proto != "tcp" && proto != "udp"):
			return fmt.Errorf("%q is not PROTO/PORT: give e.g. tcp/22 or udp/53", item)
		case err != nil || n < 1 || n > 65535:
			return fmt.Errorf("%q: the port must be a number from 1 to 65535", item)
		}
	}
	return nil
}

// CheckAllowIP checks SPA.AllowIP: empty, AllowSource, or an address.
func CheckAllowIP(text string) error {
	if text == "" || text == AllowSource {
		return nil
	}
	a, err := netip.ParseAddr(text)
	switch {
	case err != nil || a.Zone() != "":
		return fmt.Errorf("%q is not an IP address: give one, or %q for the address the server sees (fwknop -s), or nothing for this computer's", text, AllowSource)
	case a.IsUnspecified():
		return fmt.Errorf("%s means the source address: write %q", text, AllowSource)
	case !a.Is4():
		return fmt.Errorf("%s is not IPv4: an SPA packet (fwknop 2.6) asks for an IPv4 address; give one, or %q", text, AllowSource)
	}
	return nil
}

// SPAKeys are an SPA profile's keys, as fwknop's KEY_BASE64 (the
// encryption key) and HMAC_KEY_BASE64, with the door's HMAC_DIGEST_TYPE
// and ENCRYPTION_MODE (zero: fwknop's defaults, SHA256 and CBC). They are
// secrets: in the keyring only.
type SPAKeys struct {
	Key, HMACKey []byte
	HMAC         spa.Hash
	Mode         spa.EncryptionMode
}

// Keys are the keys as package spa takes them.
func (k *SPAKeys) Keys() spa.Keys {
	return spa.Keys{Key: k.Key, HMACKey: k.HMACKey, HMAC: k.HMAC, Mode: k.Mode}
}

// NewSPAKeys makes random keys of the sizes fwknop --key-gen makes.
func NewSPAKeys(r io.Reader) (*SPAKeys, error) {
	k := &SPAKeys{Key: make([]byte, SPAKeyBytes), HMACKey: make([]byte, SPAHMACKeyBytes)}
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, k.Key); err != nil {
		return nil, fmt.Errorf("make SPA keys: %w", err)
	}
	if _, err := io.ReadFull(r, k.HMACKey); err != nil {
		return nil, fmt.Errorf("make SPA keys: %w", err)
	}
	return k, nil
}

// String is the keys in the text fwknop --key-gen prints, which fwknop's
// tools and mobile clients read (and the app's QR code holds):
//
//	KEY_BASE64: …
//	HMAC_KEY_BASE64: …
func (k *SPAKeys) String() string {
	return "KEY_BASE64: " + base64.StdEncoding.EncodeToString(k.Key) +
		"\nHMAC_KEY_BASE64: " + base64.StdEncoding.EncodeToString(k.HMACKey) + "\n"
}

// AccessLines are the lines of the keys for a stanza of fwknopd's
// access.conf (and sesamed's Fwknop_Access).
func (k *SPAKeys) AccessLines() string {
	return "KEY_BASE64              " + base64.StdEncoding.EncodeToString(k.Key) +
		"\nHMAC_KEY_BASE64         " + base64.StdEncoding.EncodeToString(k.HMACKey) + "\n"
}

func (k *SPAKeys) validate(add func(field, reason string)) {
	switch {
	case len(k.Key) == 0:
		add("spa-keys", "the key (KEY_BASE64) is empty: give the key from the server's access.conf")
	case len(k.Key) > MaxSPAKeyBytes:
		add("spa-keys", fmt.Sprintf("the key (KEY_BASE64) has %d bytes: at most %d", len(k.Key), MaxSPAKeyBytes))
	}
	switch {
	case len(k.HMACKey) == 0:
		add("spa-keys", "the HMAC key (HMAC_KEY_BASE64) is empty: Sesame sends only authenticated packets; give the key from the server's access.conf (fwknop --key-gen makes both)")
	case len(k.HMACKey) > MaxSPAHMACKeyBytes:
		add("spa-keys", fmt.Sprintf("the HMAC key (HMAC_KEY_BASE64) has %d bytes: at most %d", len(k.HMACKey), MaxSPAHMACKeyBytes))
	default:
		// The digest and the mode; spa's words never quote a key.
		if err := k.Keys().Check(); err != nil && len(k.Key) > 0 && len(k.Key) <= MaxSPAKeyBytes {
			add("spa-keys", err.Error())
		}
	}
}

// ParseSPAKeys reads SPA keys from text in the forms fwknop's tools write
// them: fwknop --key-gen's "KEY_BASE64: …" lines, ~/.fwknoprc's and
// access.conf's "KEY_BASE64 …" lines, and the one line "KEY_BASE64:…
// HMAC_KEY_BASE64:…" of fwknop's mobile clients' QR codes. Other words
// (comments, a stanza's other keys) are ignored. Errors never quote a key.
func ParseSPAKeys(text string) (*SPAKeys, error) {
	k := &SPAKeys{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		words := strings.Fields(sc.Text())
		for i := 0; i < len(words); i++ {
			name, value, _ := strings.Cut(words[i], ":")
			var dst *[]byte
			switch name {
			case "KEY_BASE64":
				dst = &k.Key
			case "HMAC_KEY_BASE64":
				dst = &k.HMACKey
			default:
				continue
			}
			if value == "" && i+1 < len(words) {
				i++
				value = words[i]
			}
			if *dst != nil {
				return nil, fmt.Errorf("line %d: %s is given twice: give each key once", line, name)
			}
			b, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				b, err = base64.RawStdEncoding.DecodeString(value)
			}
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("line %d: %s is not base64: copy it whole from fwknop --key-gen or the server's access.conf", line, name)
			}
			*dst = b
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the SPA keys: %w", err)
	}
	if k.Key == nil || k.HMACKey == nil {
		return nil, errors.New("no KEY_BASE64 and HMAC_KEY_BASE64: give both keys as fwknop --key-gen prints them")
	}
	var errs []error
	k.validate(func(_, reason string) { errs = append(errs, errors.New(reason)) })
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return k, nil
}

// QRText is the keys as fwknop's mobile clients read them from a QR code
// (spa.Keys.QRText): one line, "KEY_BASE64:… HMAC_KEY_BASE64:…".
func (k *SPAKeys) QRText() string { return k.Keys().QRText() }

// SPADoorSetup is how an SPA profile's new keys are shown to the person
// who sets up the server (the CLI prints it after --spa new; the app shows
// it beside the keys' QR code): a comment saying where the lines go, then
// an access.conf stanza's lines, keys included. once says this is the one
// time they are shown unasked.
func (p *Profile) SPADoorSetup(once bool) string {
	when := ""
	if once {
		when = ", shown only now"
	}
	s, k := p.SPA, p.Secrets.SPA
	if s == nil || k == nil {
		return ""
	}
	return fmt.Sprintf("# The SPA keys of %s%s. On the server, put these lines in a stanza of fwknopd's access.conf (or of sesamed's Fwknop_Access file):\nSOURCE                  ANY\nOPEN_PORTS              %s\n%s",
		p.Name, when, s.AccessFor(p.SSHPort()), k.AccessLines())
}

// DescribeAllowIP says what SPA.AllowIP asks the server for.
func DescribeAllowIP(allow string) string {
	switch allow {
	case "":
		return "the address this computer sends from"
	case AllowSource:
		return "the address the server sees the packet from (0.0.0.0, fwknop -s)"
	}
	return allow
}

// ClosesBySelf says how an SPA door closes, for where a close knock would
// be reported (the CLI and the app).
func (s *SPA) ClosesBySelf() string {
	if s.Timeout > 0 {
		return fmt.Sprintf("the door closes by itself after %d s (SPA has no close packet)", s.Timeout)
	}
	return "the door closes by itself after the server's FW_ACCESS_TIMEOUT (SPA has no close packet)"
}
