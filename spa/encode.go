package spa

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// Encode builds the SPA packet for m: the exact text that goes in the UDP
// (or TCP) payload. r supplies the random value (when m.Rand is empty) and
// the salt; nil means crypto/rand. m.Time must be set: Encode does not read
// the clock.
func Encode(m Message, k Keys, r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	if err := k.Check(); err != nil {
		return "", err
	}
	inner, err := encodeInner(&m, r)
	if err != nil {
		return "", err
	}
	dh, err := m.Digest.new()
	if err != nil {
		return "", err
	}
	plain := inner + ":" + b64.EncodeToString(sum(dh(), []byte(inner)))
	if len(plain) > maxPacketLen {
		return "", fmt.Errorf("the SPA message is %d bytes, over fwknop's %d: send fewer ports", len(plain), maxPacketLen)
	}

	var salt [8]byte
	if _, err := io.ReadFull(r, salt[:]); err != nil {
		return "", fmt.Errorf("drawing the salt: %w", err)
	}
	ct := encrypt([]byte(plain), k, salt)
	full := b64.EncodeToString(ct)
	wire := full[len(saltedPrefix):]
	if len(k.HMACKey) > 0 {
		wire += string(hmacB64(k, []byte(wire)))
	}
	if len(wire) > maxPacketLen {
		return "", fmt.Errorf("the SPA packet is %d bytes, over fwknop's %d: send fewer ports", len(wire), maxPacketLen)
	}
	return wire, nil
}

// encodeInner validates m, fills in its defaults and derived type, and
// writes the fields before the digest.
func encodeInner(m *Message, r io.Reader) (string, error) {
	if m.Rand == "" {
		v, err := randValue(r)
		if err != nil {
			return "", err
		}
		m.Rand = v
	}
	if err := checkRand(m.Rand); err != nil {
		return "", err
	}
	if err := checkUser(m.User); err != nil {
		return "", err
	}
	if m.Time.IsZero() {
		return "", fmt.Errorf("the message has no time: set Message.Time to the client's clock")
	}
	ts := m.Time.Unix()
	if ts < 0 || ts > 1<<32-1 {
		return "", fmt.Errorf("time %v is outside fwknop's 32-bit timestamps", m.Time)
	}
	if m.Version == "" {
		m.Version = ProtocolVersion
	}
	if len(m.Version) > maxVersionLen || strings.ContainsAny(m.Version, ":") {
		return "", fmt.Errorf("version %q: want at most %d characters without ':'", m.Version, maxVersionLen)
	}
	if _, err := ParseAccess(m.Access); err != nil {
		return "", err
	}
	if len(m.Access) >= maxMessageLen {
		return "", fmt.Errorf("access %q is longer than fwknop's %d characters: send fewer ports", m.Access, maxMessageLen-1)
	}
	if m.ClientTimeout < 0 || m.ClientTimeout > 1<<16 {
		return "", fmt.Errorf("client timeout %d: use 0 (the server's) to 65536 seconds", m.ClientTimeout)
	}
	switch {
	case m.NATAccess != "" && m.ClientTimeout > 0:
		m.Type = ClientTimeoutNATAccessMsg
	case m.NATAccess != "":
		m.Type = NATAccessMsg
	case m.ClientTimeout > 0:
		m.Type = ClientTimeoutAccessMsg
	default:
		m.Type = AccessMsg
	}
	var b strings.Builder
	b.WriteString(m.Rand)
	b.WriteByte(':')
	b.WriteString(b64.EncodeToString([]byte(m.User)))
	b.WriteByte(':')
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte(':')
	b.WriteString(m.Version)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(int(m.Type)))
	b.WriteByte(':')
	b.WriteString(b64.EncodeToString([]byte(m.Access)))
	if m.NATAccess != "" {
		b.WriteByte(':')
		b.WriteString(b64.EncodeToString([]byte(m.NATAccess)))
	}
	if m.ServerAuth != "" {
		b.WriteByte(':')
		b.WriteString(b64.EncodeToString([]byte(m.ServerAuth)))
	}
	if m.ClientTimeout > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(m.ClientTimeout))
	}
	return b.String(), nil
}

// randValue draws 16 decimal digits, the first not zero, as libfko's
// (which concatenates rand() outputs) always starts.
func randValue(r io.Reader) (string, error) {
	var buf [randLen]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("drawing the random value: %w", err)
	}
	// Rejection-free mapping is biased by at most 6/256 per digit, which
	// does not matter: the value only makes equal messages differ.
	buf[0] = '1' + buf[0]%9
	for i := 1; i < randLen; i++ {
		buf[i] = '0' + buf[i]%10
	}
	return string(buf[:]), nil
}

func checkRand(s string) error {
	if len(s) != randLen || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("random value %q: want %d decimal digits", s, randLen)
	}
	return nil
}

// checkUser applies libfko's validate_username: 1 to 64 printable ASCII
// characters, none of " / \ [ ] : ; | = , + * ? < >.
func checkUser(u string) error {
	if u == "" {
		return fmt.Errorf("no user name: set one (fwknop sends the login name; -U sets another)")
	}
	if len(u) > maxUserLen {
		return fmt.Errorf("user name %q is longer than fwknop's %d characters", u, maxUserLen)
	}
	for _, c := range []byte(u) {
		if c < 0x20 || c > 0x7e || strings.IndexByte(`"/\[]:;|=,+*?<>`, c) >= 0 {
			return fmt.Errorf("user name %q: %q is not allowed (fwknop refuses control characters and \"/\\[]:;|=,+*?<>)", u, c)
		}
	}
	return nil
}

// deriveKeyIV is OpenSSL's EVP_BytesToKey with MD5 and one round, which
// libfko uses: D1 = MD5(key salt), Di = MD5(Di-1 key salt); the AES-256 key
// is D1 D2 and the IV is D3.
func deriveKeyIV(key []byte, mode EncryptionMode, salt [8]byte) (aesKey, iv []byte) {
	if mode == Legacy && len(key) < 16 {
		key = append(bytes.Clone(key), bytes.Repeat([]byte{'0'}, 16-len(key))...)
	}
	var out []byte
	var prev []byte
	for len(out) < 48 {
		h := md5.New()
		h.Write(prev)
		h.Write(key)
		h.Write(salt[:])
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:32], out[32:48]
}

// encrypt returns "Salted__" salt AES-256-CBC(plain with PKCS#7 padding).
func encrypt(plain []byte, k Keys, salt [8]byte) []byte {
	key, iv := deriveKeyIV(k.Key, k.Mode, salt)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := make([]byte, 16+len(plain)+pad)
	copy(buf, "Salted__")
	copy(buf[8:], salt[:])
	body := buf[16:]
	copy(body, plain)
	for i := len(plain); i < len(body); i++ {
		body[i] = byte(pad)
	}
	block, _ := aes.NewCipher(key) // a 32-byte key cannot fail
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	return buf
}

// sum is h's digest of b.
func sum(h hash.Hash, b []byte) []byte {
	h.Write(b)
	return h.Sum(nil)
}
