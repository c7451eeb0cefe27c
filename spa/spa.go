// Package spa builds and reads fwknop's Single Packet Authorization (SPA)
// packets, byte-compatible with libfko 2.6 (fwknop's "FKO protocol
// version 3.0.0"), so that a real fwknopd accepts what Encode writes and
// Decode reads what the real fwknop client sends.
//
// The packet, as libfko builds it:
//
//	inner = RAND16:b64(user):unixtime:3.0.0:TYPE:b64(access)[:b64(nat)][:b64(auth)][:timeout]
//	plain = inner ":" b64(DIGEST(inner))                      (SHA-256 by default)
//	ct    = "Salted__" salt8 AES-256-CBC(plain, PKCS#7)       (key and IV: OpenSSL's EVP_BytesToKey, MD5, from key and salt)
//	b     = b64(ct)                                           (starts with the constant "U2FsdGVkX1")
//	wire  = b without "U2FsdGVkX1"  +  b64(HMAC-SHA256(hmacKey, b))
//
// Every base64 field has its trailing '=' stripped. The HMAC covers the
// ciphertext with the constant prefix, and the prefix is not sent.
package spa

import (
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version field libfko 2.6 writes.
const ProtocolVersion = "3.0.0"

// DefaultPort is where fwknopd listens unless told otherwise (UDP).
const DefaultPort = 62201

// MaxAge is how old (or how far in the future) fwknopd lets a packet's
// timestamp be by default (MAX_SPA_PACKET_AGE).
const MaxAge = 120 * time.Second

// Limits of libfko and fwknopd on the wire.
const (
	minPacketLen    = 140  // fwknopd's MIN_SPA_DATA_SIZE
	maxPacketLen    = 1500 // fwknopd's MAX_SPA_PACKET_LEN and libfko's MAX_SPA_ENCODED_MSG_SIZE
	minEncodedLen   = 36   // libfko's MIN_SPA_ENCODED_MSG_SIZE
	randLen         = 16   // FKO_RAND_VAL_SIZE
	maxUserLen      = 64
	maxMessageLen   = 256
	maxVersionLen   = 8
	maxTimestampLen = 12
	maxHMACKeyLen   = 128 // MAX_DIGEST_BLOCK_LEN
	maxKeyLen       = 32  // RIJNDAEL_MAX_KEYSIZE
)

// saltedPrefix is base64("Salted__"...): the first ten characters of every
// Rijndael ciphertext, which the client strips and the server puts back.
const saltedPrefix = "U2FsdGVkX1"

// MessageType is the SPA message type field, numbered as libfko numbers it.
type MessageType int

// The message types of libfko 2.6.
const (
	CommandMsg                     MessageType = 0
	AccessMsg                      MessageType = 1
	NATAccessMsg                   MessageType = 2
	ClientTimeoutAccessMsg         MessageType = 3
	ClientTimeoutNATAccessMsg      MessageType = 4
	LocalNATAccessMsg              MessageType = 5
	ClientTimeoutLocalNATAccessMsg MessageType = 6
)

var messageTypeNames = [...]string{"command", "access", "NAT access", "client-timeout access",
	"client-timeout NAT access", "local NAT access", "client-timeout local NAT access"}

func (t MessageType) String() string {
	if t >= 0 && int(t) < len(messageTypeNames) {
		return messageTypeNames[t]
	}
	return fmt.Sprintf("MessageType(%d)", int(t))
}

// hasTimeout reports whether the type carries a client timeout field.
func (t MessageType) hasTimeout() bool {
	return t == ClientTimeoutAccessMsg || t == ClientTimeoutNATAccessMsg || t == ClientTimeoutLocalNATAccessMsg
}

// hasNAT reports whether the type carries a NAT access field.
func (t MessageType) hasNAT() bool {
	return t == NATAccessMsg || t == LocalNATAccessMsg || t == ClientTimeoutNATAccessMsg || t == ClientTimeoutLocalNATAccessMsg
}

// Message is the plaintext of an SPA packet.
type Message struct {
	// Rand is the 16-digit random value; Encode draws one when empty.
	Rand string
	// User is the user name the client claims (fwknop sends the login
	// name; fwknopd can require one with REQUIRE_USERNAME).
	User string
	// Time is the client's clock, sent in whole seconds.
	Time time.Time
	// Version is the protocol version; Encode writes ProtocolVersion when
	// empty.
	Version string
	// Type is set by Decode. Encode derives it as libfko does: access, or
	// client-timeout access when ClientTimeout > 0 (the NAT kinds when
	// NATAccess is set). Encode does not build command messages.
	Type MessageType
	// Access is the message: "192.0.2.7,tcp/22[,udp/53...]" (see
	// ParseAccess); for a command message, "IP,command".
	Access string
	// NATAccess is "host,port" for the NAT message types, else empty.
	NATAccess string
	// ServerAuth is the optional server_auth field, rarely used.
	ServerAuth string
	// ClientTimeout asks the server to keep the door open this many
	// seconds instead of its FW_ACCESS_TIMEOUT (0: the server's).
	ClientTimeout int
	// Digest is the inner digest's hash: Encode's choice (zero: SHA-256),
	// and what Decode found.
	Digest Hash
}

// Errors a daemon can count. Decode's errors wrap exactly one of them.
var (
	// ErrNotSPA: the payload cannot be an SPA packet (length, alphabet,
	// or a leading "U2FsdGVkX1", which fwknopd refuses as a replay trick).
	ErrNotSPA = errors.New("not an SPA packet")
	// ErrBadHMAC: the HMAC does not match (wrong HMAC key, or tampered).
	ErrBadHMAC = errors.New("SPA HMAC does not match")
	// ErrDecrypt: the ciphertext does not decrypt to an SPA message
	// (wrong key, or not HMAC-protected and tampered).
	ErrDecrypt = errors.New("SPA packet does not decrypt")
	// ErrDigest: the inner digest does not match the message.
	ErrDigest = errors.New("SPA digest does not match")
	// ErrMalformed: a field of the decrypted message is invalid.
	ErrMalformed = errors.New("malformed SPA message")
	// ErrUnsupported: an encryption mode or digest this package does not
	// implement.
	ErrUnsupported = errors.New("unsupported SPA setting")
)
