// Package secret generates and verifies folkevakt's secrets: admin and SCIM
// bearer tokens and integration passwords. Only argon2id hashes are stored;
// verification is constant-time.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106 second recommended option, lowered memory
// because secrets here are high-entropy random strings, not passwords chosen
// by people; the hash guards against a leaked database, not weak secrets).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Hash returns an encoded argon2id hash of s (PHC string format).
func Hash(s string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secret: salt: %w", err)
	}
	key := argon2.IDKey([]byte(s), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// ErrMalformedHash is returned for a stored hash that is not argon2id PHC.
var ErrMalformedHash = errors.New("secret: malformed hash")

// Verify reports whether s matches the encoded hash, in constant time.
func Verify(encoded, s string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformedHash
	}
	var version int
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil {
		return false, ErrMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformedHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformedHash
	}
	got := argon2.IDKey([]byte(s), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NewToken returns a new bearer token: 256 bits of randomness with a prefix
// naming its kind so that a leaked token is recognisable in secret scanners.
func NewToken(kind string) string {
	return "fv" + kind + "_" + randomString(32)
}

// NewPassword returns a new integration password (256 bits of randomness).
func NewPassword() string { return randomString(32) }

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ crashes instead).
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Lookup returns the short fingerprint under which a token is stored so that
// it can be found without scanning; it is not enough to recover or verify it.
func Lookup(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// Fingerprint is the full SHA-256 of a secret, used only as an in-memory
// cache key after a successful argon2id verification.
func Fingerprint(s string) [32]byte { return sha256.Sum256([]byte(s)) }
