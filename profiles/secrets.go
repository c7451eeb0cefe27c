package profiles

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"sesame/knocker"
	"sesame/rotate"
	"sesame/spa"
)

// MaxSecretBytes is the largest keyring entry every platform stores: Windows'
// Credential Manager holds at most 2560 bytes (macOS about 3000 after
// go-keyring's encoding, the Secret Service more). Secrets are checked
// against it everywhere, so a profile saved on Linux also fits on Windows.
const MaxSecretBytes = 2560

// secretsVersion is the newest version of the keyring document this code
// reads. Every new field raises it: an older Sesame refuses a newer
// document rather than rewriting it without the fields it does not know.
// A document is written with the lowest version that holds its fields, so
// that a profile without a seed stays readable by a Sesame from before
// seeds.
//
//	1: open, close, password, passphrase, onetime, used
//	2: rot (a rotating sequence)
//	3: spa (SPA keys)
const secretsVersion = 3

// secretsDoc is the keyring document, one per profile, as JSON:
//
//	{"v":1,"open":"7000,8000,9000","close":"9000,8000,7000",
//	 "password":"…","passphrase":"…","onetime":["1,2,3","4,5,6"],"used":2}
//	{"v":2,"rot":{"seed":"BASE32…","len":4,"ports":"10000-60000","proto":"tcp","win":30,"last":57000001}}
//	{"v":3,"spa":{"key":"BASE64…","hmac":"BASE64…"}}
//
// Sequences are in the form knocker.ParseSequence reads. Field names are
// short because the whole document must fit in MaxSecretBytes. Empty fields
// are left out.
type secretsDoc struct {
	V          int      `json:"v"`
	Open       string   `json:"open,omitempty"`
	Close      string   `json:"close,omitempty"`
	Password   string   `json:"password,omitempty"`
	Passphrase string   `json:"passphrase,omitempty"`
	OneTime    []string `json:"onetime,omitempty"`
	Used       int      `json:"used,omitempty"`
	Rot        *rotDoc  `json:"rot,omitempty"`
	SPA        *spaDoc  `json:"spa,omitempty"`
}

// spaDoc is SPAKeys, in base64 as fwknop writes them (KEY_BASE64 and
// HMAC_KEY_BASE64).
type spaDoc struct {
	Key  []byte `json:"key"`
	HMAC []byte `json:"hmac"`
	// Digest and Mode are HMAC_DIGEST_TYPE and ENCRYPTION_MODE, as fwknop
	// spells them, when not the defaults (SHA256, CBC).
	Digest string `json:"hd,omitempty"`
	Mode   string `json:"mode,omitempty"`
}

// rotDoc is a Rotation: the seed in base32, the door's parameters as its
// Rotating_ keys write them (the window in seconds), and the last window
// used.
type rotDoc struct {
	Seed  string `json:"seed"`
	Len   int    `json:"len"`
	Ports string `json:"ports"`
	Proto string `json:"proto"`
	Win   int64  `json:"win"`
	Last  int64  `json:"last,omitempty"`
}

// encodeSecrets makes the keyring document for s, or a *TooBigError when it
// would not fit in a keyring entry.
func encodeSecrets(s Secrets) (string, error) {
	doc := newSecretsDoc(s)
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode secrets: %w", err)
	}
	if len(b) > MaxSecretBytes {
		return "", tooBig(doc, len(b))
	}
	return string(b), nil
}

func newSecretsDoc(s Secrets) secretsDoc {
	doc := secretsDoc{V: 1, Password: s.Password, Passphrase: s.Passphrase, Used: s.OneTimeUsed}
	if len(s.Open) > 0 {
		doc.Open = s.Open.String()
	}
	if len(s.Close) > 0 {
		doc.Close = s.Close.String()
	}
	for _, seq := range s.OneTime {
		doc.OneTime = append(doc.OneTime, seq.String())
	}
	if r := s.Rotation; r != nil {
		doc.V = 2
		doc.Rot = &rotDoc{Seed: r.Seed.String(), Len: r.Params.Length,
			Ports: fmt.Sprintf("%d-%d", r.Params.PortMin, r.Params.PortMax), Proto: r.Params.Protocols.String(),
			Win: int64(r.Params.Window / time.Second), Last: r.LastWindow}
	}
	if k := s.SPA; k != nil {
		doc.V = 3
		doc.SPA = &spaDoc{Key: k.Key, HMAC: k.HMACKey}
		if k.HMAC != spa.HashDefault && k.HMAC != spa.SHA256 {
			doc.SPA.Digest = k.HMAC.String()
		}
		if k.Mode != spa.CBC {
			doc.SPA.Mode = k.Mode.String()
		}
	}
	return doc
}

// decodeSecrets reads a keyring document. Its errors never quote the
// document.
func decodeSecrets(data string) (Secrets, error) {
	var doc secretsDoc
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		return Secrets{}, errors.New("the keyring entry is not a Sesame secrets document (changed outside Sesame?)")
	}
	return doc.secrets("the keyring entry")
}

// secrets checks the document and returns what it holds; where names it
// in errors ("the keyring entry"), which never quote a secret.
func (doc *secretsDoc) secrets(where string) (Secrets, error) {
	switch {
	case doc.V > secretsVersion:
		return Secrets{}, fmt.Errorf("%s was written by a newer Sesame (format %d, this one reads %d): upgrade Sesame", where, doc.V, secretsVersion)
	case doc.V < 1:
		return Secrets{}, fmt.Errorf("%s has no format version (\"v\")", where)
	}
	s := Secrets{Password: doc.Password, Passphrase: doc.Passphrase, OneTimeUsed: doc.Used}
	var err error
	if doc.Open != "" {
		if s.Open, err = knocker.ParseSequence(doc.Open); err != nil {
			return Secrets{}, fmt.Errorf("the open sequence in %s %s", where, redactSequenceError(err))
		}
	}
	if doc.Close != "" {
		if s.Close, err = knocker.ParseSequence(doc.Close); err != nil {
			return Secrets{}, fmt.Errorf("the close sequence in %s %s", where, redactSequenceError(err))
		}
	}
	for i, text := range doc.OneTime {
		seq, err := knocker.ParseSequence(text)
		if err != nil {
			return Secrets{}, fmt.Errorf("one-time sequence %d in %s %s", i+1, where, redactSequenceError(err))
		}
		s.OneTime = append(s.OneTime, seq)
	}
	if doc.Rot != nil {
		if s.Rotation, err = doc.Rot.rotation(); err != nil {
			return Secrets{}, fmt.Errorf("the rotating sequence in %s: %v", where, err)
		}
	}
	if d := doc.SPA; d != nil {
		s.SPA = &SPAKeys{Key: d.Key, HMACKey: d.HMAC}
		if d.Digest != "" {
			if s.SPA.HMAC, err = spa.ParseHash(d.Digest); err != nil {
				return Secrets{}, fmt.Errorf("the SPA keys in %s: %v", where, err)
			}
		}
		if d.Mode != "" {
			if s.SPA.Mode, err = spa.ParseEncryptionMode(d.Mode); err != nil {
				return Secrets{}, fmt.Errorf("the SPA keys in %s: %v", where, err)
			}
		}
	}
	return s, nil
}

// rotation reads the document's rotating sequence; errors never quote the
// seed.
func (r *rotDoc) rotation() (*Rotation, error) {
	seed, err := rotate.ParseSeed(r.Seed)
	if err != nil {
		return nil, err
	}
	p := rotate.Params{Length: r.Len, Window: time.Duration(r.Win) * time.Second}
	if p.PortMin, p.PortMax, err = rotate.ParsePortRange(r.Ports); err != nil {
		return nil, err
	}
	if p.Protocols, err = rotate.ParseProtocols(r.Proto); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Rotation{Seed: seed, Params: p, LastWindow: r.Last}, nil
}

// TooBigError says a profile's secrets do not fit in one keyring entry, and
// which of them take the room.
type TooBigError struct {
	Size int
	// Parts are the secrets by size, largest first, as "the password
	// (600 bytes)"; never their values.
	Parts []string
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("the secrets take %d bytes, more than the %d a keyring entry holds on every platform: shorten %s",
		e.Size, MaxSecretBytes, strings.Join(e.Parts, ", "))
}

func tooBig(doc secretsDoc, size int) *TooBigError {
	type part struct {
		what string
		n    int
	}
	oneTime := 0
	for _, s := range doc.OneTime {
		oneTime += len(s) + 3 // quotes and comma
	}
	parts := []part{
		{fmt.Sprintf("the %d one-time sequences (%%d bytes: import fewer)", len(doc.OneTime)), oneTime},
		{"the password (%d bytes)", len(doc.Password)},
		{"the key passphrase (%d bytes)", len(doc.Passphrase)},
		{"the open sequence (%d bytes)", len(doc.Open)},
		{"the close sequence (%d bytes)", len(doc.Close)},
	}
	if doc.Rot != nil {
		parts = append(parts, part{"the seed (%d bytes)", len(doc.Rot.Seed)})
	}
	if doc.SPA != nil {
		parts = append(parts, part{"the SPA keys (%d bytes)", (len(doc.SPA.Key) + len(doc.SPA.HMAC)) * 4 / 3})
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].n > parts[j].n })
	e := &TooBigError{Size: size}
	for _, p := range parts {
		if p.n > 0 {
			e.Parts = append(e.Parts, fmt.Sprintf(p.what, p.n))
		}
	}
	return e
}

// OneTimeFit returns how many of the one-time sequences seqs fit in a
// keyring entry next to the other secrets in s (whose OneTime is ignored).
func OneTimeFit(s Secrets, seqs []knocker.Sequence) int {
	// Binary search on the count: the document grows with each sequence.
	lo, hi := 0, len(seqs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		s.OneTime = seqs[:mid]
		if _, err := encodeSecrets(s); err == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
