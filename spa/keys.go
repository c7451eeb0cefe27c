package spa

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Hash names a digest as fwknop does (DIGEST_TYPE, HMAC_DIGEST_TYPE),
// numbered as libfko numbers them. The zero value means SHA-256, libfko's
// default for both the inner digest and the HMAC.
type Hash int

// The hashes of libfko 2.6.
const (
	HashDefault Hash = iota
	MD5
	SHA1
	SHA256
	SHA384
	SHA512
	SHA3_256
	SHA3_512
)

var hashNames = [...]string{"", "MD5", "SHA1", "SHA256", "SHA384", "SHA512", "SHA3_256", "SHA3_512"}

func (h Hash) resolve() Hash {
	if h == HashDefault {
		return SHA256
	}
	return h
}

// String is the name fwknop's configuration files use ("SHA256").
func (h Hash) String() string {
	h = h.resolve()
	if h > 0 && int(h) < len(hashNames) {
		return hashNames[h]
	}
	return fmt.Sprintf("Hash(%d)", int(h))
}

// ParseHash reads a digest name as fwknop's rc and access.conf files spell
// it (case-insensitive; "SHA3-256" too).
func ParseHash(s string) (Hash, error) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	for i, name := range hashNames {
		if i > 0 && n == name {
			return Hash(i), nil
		}
	}
	return 0, fmt.Errorf("%w: digest %q: use one of MD5, SHA1, SHA256, SHA384, SHA512, SHA3_256, SHA3_512", ErrUnsupported, s)
}

func (h Hash) new() (func() hash.Hash, error) {
	switch h.resolve() {
	case MD5:
		return md5.New, nil
	case SHA1:
		return sha1.New, nil
	case SHA256:
		return sha256.New, nil
	case SHA384:
		return sha512.New384, nil
	case SHA512:
		return sha512.New, nil
	case SHA3_256:
		return func() hash.Hash { return sha3.New256() }, nil
	case SHA3_512:
		return func() hash.Hash { return sha3.New512() }, nil
	}
	return nil, fmt.Errorf("%w: digest number %d", ErrUnsupported, int(h))
}

// b64Len is the length of the hash's digest in base64 without padding.
func (h Hash) b64Len() int {
	f, err := h.new()
	if err != nil {
		return 0
	}
	return b64.EncodedLen(f().Size())
}

// b64 is libfko's base64: the standard alphabet with the '=' padding
// stripped.
var b64 = base64.RawStdEncoding

// EncryptionMode is fwknop's ENCRYPTION_MODE for Rijndael keys.
type EncryptionMode int

// The modes this package implements. The zero value is CBC, fwknop's
// default; Legacy is fwknop's "legacy" mode (CBC with the key padded with
// '0' characters to 16 bytes), for old clients with short passphrases.
const (
	CBC EncryptionMode = iota
	Legacy
)

// ParseEncryptionMode reads ENCRYPTION_MODE ("CBC", "legacy").
func ParseEncryptionMode(s string) (EncryptionMode, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CBC":
		return CBC, nil
	case "LEGACY":
		return Legacy, nil
	}
	return 0, fmt.Errorf("%w: encryption mode %q: Sesame speaks CBC (the default) and legacy", ErrUnsupported, s)
}

func (m EncryptionMode) String() string {
	if m == Legacy {
		return "legacy"
	}
	return "CBC"
}

// Keys are the secrets and settings both ends share. Their String and
// GoString never show the keys, so a Keys printed by mistake leaks
// nothing.
type Keys struct {
	// Key is the Rijndael key: KEY_BASE64 decoded, or KEY's passphrase
	// bytes; 1 to 32 bytes.
	Key []byte
	// HMACKey is the HMAC key: HMAC_KEY_BASE64 decoded, or HMAC_KEY's
	// bytes; up to 128 bytes. Empty means no HMAC (fwknop without
	// --use-hmac), which fwknopd accepts only when configured to.
	HMACKey []byte
	// HMAC is the HMAC's hash (HMAC_DIGEST_TYPE); zero means SHA-256.
	HMAC Hash
	// Mode is ENCRYPTION_MODE; zero means CBC.
	Mode EncryptionMode
}

// String shows the settings, never the keys.
func (k Keys) String() string {
	return fmt.Sprintf("spa.Keys{Key: %d bytes, HMACKey: %d bytes, HMAC: %v, Mode: %v}", len(k.Key), len(k.HMACKey), k.HMAC, k.Mode)
}

// GoString is String, so that %#v does not print the keys either.
func (k Keys) GoString() string { return k.String() }

// Check reports whether the keys can be used, naming the problem and the
// fix without showing a key.
func (k Keys) Check() error {
	if len(k.Key) == 0 {
		return fmt.Errorf("no encryption key: give KEY_BASE64 (fwknop --key-gen makes one) or a KEY passphrase")
	}
	if len(k.Key) > maxKeyLen {
		return fmt.Errorf("the encryption key is %d bytes; fwknop takes at most %d (KEY_BASE64 of fwknop --key-gen is 32)", len(k.Key), maxKeyLen)
	}
	if len(k.HMACKey) > maxHMACKeyLen {
		return fmt.Errorf("the HMAC key is %d bytes; fwknop takes at most %d (HMAC_KEY_BASE64 of fwknop --key-gen is 64)", len(k.HMACKey), maxHMACKeyLen)
	}
	if _, err := k.HMAC.new(); err != nil {
		return err
	}
	if k.Mode != CBC && k.Mode != Legacy {
		return fmt.Errorf("%w: encryption mode %d", ErrUnsupported, int(k.Mode))
	}
	return nil
}

// KeysFromBase64 builds Keys from KEY_BASE64 and HMAC_KEY_BASE64 (hmacKey
// may be empty: no HMAC). Errors name the setting, never its value.
func KeysFromBase64(key, hmacKey string) (Keys, error) {
	var k Keys
	var err error
	if k.Key, err = decodeKey(key); err != nil {
		return Keys{}, fmt.Errorf("KEY_BASE64: %w", err)
	}
	if hmacKey != "" {
		if k.HMACKey, err = decodeKey(hmacKey); err != nil {
			return Keys{}, fmt.Errorf("HMAC_KEY_BASE64: %w", err)
		}
	}
	return k, k.Check()
}

// KeysFromPassphrases builds Keys from fwknop's KEY and HMAC_KEY
// passphrases (hmacKey may be empty: no HMAC), used as their bytes.
func KeysFromPassphrases(key, hmacKey string) (Keys, error) {
	k := Keys{Key: []byte(key)}
	if hmacKey != "" {
		k.HMACKey = []byte(hmacKey)
	}
	return k, k.Check()
}

// decodeKey reads a base64 key with or without its '=' padding.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if s == "" {
		return nil, fmt.Errorf("empty: paste the value fwknop --key-gen printed")
	}
	k, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64 (a character outside A-Z a-z 0-9 + / or a truncated value): paste the value fwknop --key-gen printed")
	}
	return k, nil
}

// GenerateKeys makes a new key pair as `fwknop --key-gen` does: a 32-byte
// Rijndael key and a 64-byte HMAC-SHA256 key. rand nil means crypto/rand.
func GenerateKeys(r io.Reader) (Keys, error) {
	if r == nil {
		r = rand.Reader
	}
	k := Keys{Key: make([]byte, 32), HMACKey: make([]byte, 64)}
	if _, err := io.ReadFull(r, k.Key); err != nil {
		return Keys{}, fmt.Errorf("generating the key: %w", err)
	}
	if _, err := io.ReadFull(r, k.HMACKey); err != nil {
		return Keys{}, fmt.Errorf("generating the HMAC key: %w", err)
	}
	return k, nil
}

// KeyBase64 is KEY_BASE64 for these keys (padded, as fwknop prints it).
func (k Keys) KeyBase64() string { return base64.StdEncoding.EncodeToString(k.Key) }

// HMACKeyBase64 is HMAC_KEY_BASE64 (padded), or "" without an HMAC key.
func (k Keys) HMACKeyBase64() string {
	if len(k.HMACKey) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(k.HMACKey)
}

// KeyGenText is the text `fwknop --key-gen` prints, which fwknop's tools
// and mobile clients read (also from a QR code):
//
//	KEY_BASE64: ...
//	HMAC_KEY_BASE64: ...
//
// It holds the secrets: show it only where the user asked for them.
func (k Keys) KeyGenText() string {
	s := "KEY_BASE64: " + k.KeyBase64() + "\n"
	if len(k.HMACKey) > 0 {
		s += "HMAC_KEY_BASE64: " + k.HMACKeyBase64() + "\n"
	}
	return s
}

// QRText is the one line fwknop's Android client (Fwknop2) reads from a
// QR code: "KEY_BASE64:... HMAC_KEY_BASE64:...", split at spaces and
// then at the colon, so without the space KeyGenText has after it.
// ParseKeyGenText reads it back. It holds the secrets, as KeyGenText does.
func (k Keys) QRText() string {
	s := "KEY_BASE64:" + k.KeyBase64()
	if len(k.HMACKey) > 0 {
		s += " HMAC_KEY_BASE64:" + k.HMACKeyBase64()
	}
	return s
}

// ParseKeyGenText reads KeyGenText's format, and the other spellings
// fwknop's tools use: "NAME value" as in an rc file, and the one line
// "KEY_BASE64:... HMAC_KEY_BASE64:..." of fwknop's mobile clients' QR
// codes. Other words are ignored.
func ParseKeyGenText(s string) (Keys, error) {
	vals := map[string]string{}
	words := strings.Fields(s)
	for i := 0; i < len(words); i++ {
		name, val, _ := strings.Cut(words[i], ":")
		if name != "KEY_BASE64" && name != "HMAC_KEY_BASE64" {
			continue
		}
		if val == "" && i+1 < len(words) {
			i++
			val = words[i]
		}
		vals[name] = val
	}
	if vals["KEY_BASE64"] == "" {
		return Keys{}, fmt.Errorf("no KEY_BASE64: expected the text fwknop --key-gen prints")
	}
	return KeysFromBase64(vals["KEY_BASE64"], vals["HMAC_KEY_BASE64"])
}
