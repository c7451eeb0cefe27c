package spa

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Decode reads an SPA packet (the UDP payload as sent) with k. In order,
// as fwknopd does: it checks the payload's shape (ErrNotSPA), the HMAC in
// constant time before any decryption (ErrBadHMAC; skipped when k has no
// HMAC key), decrypts (ErrDecrypt), checks the inner digest in constant
// time (ErrDigest), and parses the fields (ErrMalformed). Every error but
// an unusable k (Keys.Check) wraps one of those. Decode does not judge the time, the user or the access:
// that is the daemon's policy (see MaxAge).
func Decode(packet []byte, k Keys) (Message, error) {
	if err := k.Check(); err != nil {
		return Message{}, err
	}
	if err := checkShape(packet); err != nil {
		return Message{}, err
	}
	data := packet
	if len(k.HMACKey) > 0 {
		n := k.HMAC.b64Len()
		if len(packet)-n < minEncodedLen {
			return Message{}, fmt.Errorf("%w: %d bytes is too short for a packet with a %v HMAC", ErrNotSPA, len(packet), k.HMAC)
		}
		data = packet[:len(packet)-n]
		if !hmacOK(k, data, packet[len(packet)-n:]) {
			return Message{}, ErrBadHMAC
		}
	}
	return decrypted(data, k)
}

// hmacOK compares, in constant time, the packet's HMAC with the one k
// makes over the ciphertext.
func hmacOK(k Keys, data, got []byte) bool {
	return subtle.ConstantTimeCompare(got, hmacB64(k, data)) == 1
}

// hmacB64 is the base64 HMAC of a wire ciphertext: libfko computes it
// before stripping the "U2FsdGVkX1" prefix, so the prefix is put back.
func hmacB64(k Keys, data []byte) []byte {
	hf, _ := k.HMAC.new() // checked by k.Check
	mac := hmac.New(hf, k.HMACKey)
	mac.Write([]byte(saltedPrefix))
	mac.Write(data)
	out := make([]byte, b64.EncodedLen(mac.Size()))
	b64.Encode(out, mac.Sum(nil))
	return out
}

// checkShape applies fwknopd's preprocessing: length, the base64 alphabet,
// and no leading "U2FsdGVkX1" (which the client never sends: a prefixed
// copy of a seen packet would otherwise dodge the replay cache).
func checkShape(p []byte) error {
	if len(p) < minPacketLen || len(p) > maxPacketLen {
		return fmt.Errorf("%w: %d bytes, want %d to %d", ErrNotSPA, len(p), minPacketLen, maxPacketLen)
	}
	if bytes.HasPrefix(p, []byte(saltedPrefix)) {
		return fmt.Errorf("%w: starts with the prefix the client strips", ErrNotSPA)
	}
	for _, c := range p {
		if !isB64(c) {
			return fmt.Errorf("%w: byte %#x is not base64", ErrNotSPA, c)
		}
	}
	return nil
}

// isB64 is the alphabet of a packet on the wire: libfko strips the '='
// padding, and refusing it (with strict decoding) keeps one packet to one
// text, so a resent packet cannot dodge ReplayDigest by a changed tail.
func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

func decrypted(data []byte, k Keys) (Message, error) {
	full := make([]byte, 0, len(saltedPrefix)+len(data))
	full = append(append(full, saltedPrefix...), data...)
	ct := make([]byte, b64.DecodedLen(len(full)))
	n, err := b64.Strict().Decode(ct, full)
	if err != nil {
		return Message{}, fmt.Errorf("%w: the ciphertext is not base64", ErrDecrypt)
	}
	ct = ct[:n]
	if len(ct) < 32 || len(ct)%aes.BlockSize != 0 || !bytes.HasPrefix(ct, []byte("Salted__")) {
		return Message{}, fmt.Errorf("%w: %d bytes of ciphertext is not salted AES blocks", ErrDecrypt, len(ct))
	}
	var salt [8]byte
	copy(salt[:], ct[8:16])
	key, iv := deriveKeyIV(k.Key, k.Mode, salt)
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(ct)-16)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct[16:])
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return Message{}, fmt.Errorf("%w: bad padding (wrong key?)", ErrDecrypt)
	}
	plain = plain[:len(plain)-pad]
	// libfko's test of a good decryption: 16 digits and a colon.
	if len(plain) <= randLen || plain[randLen] != ':' || strings.Trim(string(plain[:randLen]), "0123456789") != "" {
		return Message{}, fmt.Errorf("%w: the plaintext does not start with the random value (wrong key?)", ErrDecrypt)
	}
	return parsePlain(string(plain))
}

// parsePlain checks the digest and reads the fields, as libfko's
// fko_decode_spa_data does.
func parsePlain(s string) (Message, error) {
	if len(s) < minEncodedLen {
		return Message{}, fmt.Errorf("%w: %d bytes is too short", ErrMalformed, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return Message{}, fmt.Errorf("%w: byte %#x is not printable", ErrMalformed, s[i])
		}
	}
	if strings.Count(s, ":") < 6 {
		return Message{}, fmt.Errorf("%w: %d fields, want at least 7", ErrMalformed, strings.Count(s, ":")+1)
	}
	cut := strings.LastIndexByte(s, ':')
	inner, digest := s[:cut], s[cut+1:]
	var m Message
	if err := checkDigest(&m, inner, digest); err != nil {
		return Message{}, err
	}
	f := strings.Split(inner, ":")
	bad := func(field, format string, args ...any) (Message, error) {
		return Message{}, fmt.Errorf("%w: %s: %s", ErrMalformed, field, fmt.Sprintf(format, args...))
	}
	m.Rand = f[0]
	if err := checkRand(m.Rand); err != nil {
		return bad("random value", "%v", err)
	}
	user, err := b64Field(f[1], maxUserLen)
	if err != nil {
		return bad("user", "%v", err)
	}
	if err := checkUser(user); err != nil {
		return bad("user", "%v", err)
	}
	m.User = user
	if len(f[2]) > maxTimestampLen || f[2] == "" {
		return bad("timestamp", "%q", f[2])
	}
	ts, err := strconv.ParseUint(f[2], 10, 32)
	if err != nil {
		return bad("timestamp", "%q is not a 32-bit number", f[2])
	}
	m.Time = time.Unix(int64(ts), 0)
	if f[3] == "" || len(f[3]) > maxVersionLen {
		return bad("version", "%q", f[3])
	}
	m.Version = f[3]
	t, err := strconv.Atoi(f[4])
	if err != nil || len(f[4]) > 2 || t < 0 || t > int(ClientTimeoutLocalNATAccessMsg) {
		return bad("message type", "%q", f[4])
	}
	m.Type = MessageType(t)
	rest := f[5:]
	max := 2 // message, server_auth
	if m.Type.hasNAT() {
		max++
	}
	if m.Type.hasTimeout() {
		max++
	}
	if len(rest) > max {
		return bad("fields", "%d fields after the type, at most %d for a %v message", len(rest), max, m.Type)
	}
	if m.Access, err = b64Field(rest[0], maxMessageLen); err != nil {
		return bad("message", "%v", err)
	}
	if m.Type == CommandMsg {
		ip, cmd, ok := strings.Cut(m.Access, ",")
		if !ok || cmd == "" || !isIPv4(ip) {
			return bad("message", "command message %q: want IP,command", m.Access)
		}
	} else if _, err := ParseAccess(m.Access); err != nil {
		return bad("message", "%v", err)
	}
	rest = rest[1:]
	if m.Type.hasNAT() {
		if len(rest) == 0 {
			return bad("NAT access", "missing")
		}
		if m.NATAccess, err = b64Field(rest[0], maxMessageLen); err != nil {
			return bad("NAT access", "%v", err)
		}
		rest = rest[1:]
	}
	if m.Type.hasTimeout() {
		if len(rest) == 0 {
			return bad("client timeout", "missing")
		}
		to := rest[len(rest)-1]
		n, err := strconv.Atoi(to)
		if err != nil || strings.Trim(to, "0123456789") != "" || n > 1<<16 {
			return bad("client timeout", "%q", to)
		}
		m.ClientTimeout = n
		rest = rest[:len(rest)-1]
	}
	if len(rest) == 1 {
		if m.ServerAuth, err = b64Field(rest[0], maxMessageLen); err != nil {
			return bad("server auth", "%v", err)
		}
	}
	return m, nil
}

// checkDigest finds the digest's hash by its length (SHA3 shares lengths
// with SHA-2; libfko tries SHA-2 first) and compares in constant time.
func checkDigest(m *Message, inner, digest string) error {
	var cands []Hash
	switch len(digest) {
	case MD5.b64Len():
		cands = []Hash{MD5}
	case SHA1.b64Len():
		cands = []Hash{SHA1}
	case SHA256.b64Len():
		cands = []Hash{SHA256, SHA3_256}
	case SHA384.b64Len():
		cands = []Hash{SHA384}
	case SHA512.b64Len():
		cands = []Hash{SHA512, SHA3_512}
	default:
		return fmt.Errorf("%w: a %d-character digest matches no digest type", ErrMalformed, len(digest))
	}
	for _, h := range cands {
		f, _ := h.new()
		if subtle.ConstantTimeCompare([]byte(b64.EncodeToString(sum(f(), []byte(inner)))), []byte(digest)) == 1 {
			m.Digest = h
			return nil
		}
	}
	return ErrDigest
}

// b64Field decodes one base64 field (with or without '=' padding).
func b64Field(s string, max int) (string, error) {
	if s == "" {
		return "", fmt.Errorf("empty")
	}
	if len(s) > max {
		return "", fmt.Errorf("longer than %d characters", max)
	}
	b, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", fmt.Errorf("not base64")
	}
	return string(b), nil
}

// ReplayDigest is the key fwknopd's replay cache stores for a packet: the
// base64 SHA-256 of the payload as received, HMAC included ('=' stripped).
func ReplayDigest(packet []byte) string {
	s := sha256.Sum256(packet)
	return b64.EncodeToString(s[:])
}
