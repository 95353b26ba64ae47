package auth

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// RequiredScope is the Maskinporten scope a machine caller's token must hold.
const RequiredScope = "ks:fiks"

const (
	// skew tolerated between our clock and the issuer's.
	skew = 30 * time.Second
	// Longest accepted token lifetimes (exp − iat): Maskinporten access
	// tokens live minutes, Entra ID tokens about an hour (at most a day).
	maxMachineLifetime  = 2 * time.Hour
	maxEmployeeLifetime = 24 * time.Hour
	// maxTokenLen bounds the work spent on a presented token.
	maxTokenLen = 16 << 10
)

const (
	kindMaskinporten = "maskinporten"
	kindOIDC         = "oidc"
)

// Fixed failure reasons that the keyfunc reports through the parser.
var (
	errWrongIssuer     = errors.New("wrong issuer")
	errAlgorithm       = errors.New("unsupported algorithm")
	errUnknownKey      = errors.New("unknown signing key")
	errKeysUnavailable = errors.New("issuer keys unavailable")
)

const reasonKeysUnavailable = "issuer keys unavailable"

// keySource gives the RSA public key for a kid.
type keySource interface {
	key(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// issuer is one trusted token issuer.
type issuer struct {
	iss         string // expected iss, compared exactly
	maxLifetime time.Duration
	keys        keySource
	dev         *devKey // set for the dev issuer (served by Mount)

	mu     sync.Mutex
	tokens map[[32]byte]cachedToken // verified tokens by SHA-256
}

type cachedToken struct {
	claims timedClaims
	until  time.Time
}

const (
	// tokenCacheTTL bounds how long a verified token is trusted without
	// checking its signature again (a withdrawn issuer key, for instance).
	tokenCacheTTL = 5 * time.Minute
	tokenCacheMax = 10_000
)

// timedClaims are claims whose registered part verify checks.
type timedClaims interface {
	jwt.Claims
	registered() *jwt.RegisteredClaims
	clone() timedClaims
	copyFrom(timedClaims) bool
}

// verify checks raw's signature (RS256 only, key by kid), issuer and times,
// decoding it into claims. It returns "" or a short, fixed failure reason.
// A fagsystem presents the same token for minutes, so a verified token is
// remembered by its SHA-256 until it expires (at most tokenCacheTTL): the
// RSA verification is most of the cost of a request's authentication.
func (is *issuer) verify(ctx context.Context, now func() time.Time, raw string, claims timedClaims, opts ...jwt.ParserOption) string {
	if raw == "" {
		return "missing token"
	}
	if len(raw) > maxTokenLen {
		return "malformed token"
	}
	fp := sha256.Sum256([]byte(raw))
	t := now()
	if is.cached(fp, t, claims) {
		return ""
	}
	if reason := is.verifyUncached(ctx, now, raw, claims, opts...); reason != "" {
		return reason
	}
	until := claims.registered().ExpiresAt.Time
	if limit := t.Add(tokenCacheTTL); limit.Before(until) {
		until = limit
	}
	is.mu.Lock()
	if len(is.tokens) >= tokenCacheMax {
		for k, c := range is.tokens {
			if !t.Before(c.until) {
				delete(is.tokens, k)
			}
		}
		if len(is.tokens) >= tokenCacheMax {
			clear(is.tokens)
		}
	}
	is.tokens[fp] = cachedToken{claims: claims.clone(), until: until}
	is.mu.Unlock()
	return ""
}

// cached copies the claims of a verified, unexpired token into claims.
func (is *issuer) cached(fp [32]byte, now time.Time, claims timedClaims) bool {
	is.mu.Lock()
	c, ok := is.tokens[fp]
	is.mu.Unlock()
	if !ok || !now.Before(c.until) {
		return false
	}
	return claims.copyFrom(c.claims)
}

func (is *issuer) verifyUncached(ctx context.Context, now func() time.Time, raw string, claims timedClaims, opts ...jwt.ParserOption) string {
	p := jwt.NewParser(append([]jwt.ParserOption{
		jwt.WithLeeway(skew), jwt.WithTimeFunc(now), jwt.WithIssuedAt(), jwt.WithExpirationRequired(),
	}, opts...)...)
	_, err := p.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		// The issuer is checked before any key lookup so that foreign tokens
		// never make us fetch keys.
		if iss, _ := t.Claims.GetIssuer(); iss != is.iss {
			return nil, errWrongIssuer
		}
		if t.Method.Alg() != jwt.SigningMethodRS256.Alg() {
			return nil, errAlgorithm
		}
		kid, _ := t.Header["kid"].(string)
		return is.keys.key(ctx, kid)
	})
	if err != nil {
		return parseFailure(err)
	}
	rc := claims.registered()
	if rc.IssuedAt == nil {
		return "missing iat"
	}
	if rc.ExpiresAt.Sub(rc.IssuedAt.Time) > is.maxLifetime {
		return "token lifetime too long"
	}
	return ""
}

// parseFailure maps a parser error to a fixed reason; the first match wins,
// so the keyfunc's own reasons come first.
func parseFailure(err error) string {
	for _, m := range []struct {
		err    error
		reason string
	}{
		{errKeysUnavailable, reasonKeysUnavailable},
		{errWrongIssuer, "wrong issuer"},
		{errAlgorithm, "unsupported algorithm"},
		{errUnknownKey, "unknown signing key"},
		{jwt.ErrTokenMalformed, "malformed token"},
		{jwt.ErrTokenUnverifiable, "unsupported algorithm"}, // alg not known to the parser
		{jwt.ErrTokenSignatureInvalid, "bad signature"},
		{jwt.ErrTokenExpired, "expired token"},
		{jwt.ErrTokenUsedBeforeIssued, "token issued in the future"},
		{jwt.ErrTokenNotValidYet, "token not yet valid"},
		{jwt.ErrTokenInvalidAudience, "wrong audience"},
		{jwt.ErrTokenRequiredClaimMissing, "missing claim"},
	} {
		if errors.Is(err, m.err) {
			return m.reason
		}
	}
	return "invalid token"
}

func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }

// maskinportenClaims are the claims of a Maskinporten access token that the
// gateway checks.
type maskinportenClaims struct {
	jwt.RegisteredClaims
	Scope     string          `json:"scope"`
	Consumer  json.RawMessage `json:"consumer"`
	ClientID  string          `json:"client_id,omitempty"`
	TokenType string          `json:"token_type,omitempty"`
}

func (c *maskinportenClaims) registered() *jwt.RegisteredClaims { return &c.RegisteredClaims }
func (c *maskinportenClaims) clone() timedClaims                { d := *c; return &d }
func (c *maskinportenClaims) copyFrom(o timedClaims) bool {
	src, ok := o.(*maskinportenClaims)
	if ok {
		*c = *src
	}
	return ok
}

// orgIdentifier is Maskinporten's organisation claim. Digdir documents both
// the flat form and one nested under Identifier; encoding/json matches
// field names case-insensitively, which covers the capitalised variant.
type orgIdentifier struct {
	Authority  string `json:"authority"`
	ID         string `json:"ID"`
	Identifier *struct {
		Authority string `json:"authority"`
		ID        string `json:"ID"`
	} `json:"Identifier"`
}

const (
	orgAuthority = "iso6523-actorid-upis"
	orgPrefix    = "0192:" // ISO 6523 ICD of Norwegian organisation numbers
)

// consumerOrg returns the organisation number of the consumer claim.
func (c *maskinportenClaims) consumerOrg() (string, bool) {
	var o orgIdentifier
	if len(c.Consumer) == 0 || json.Unmarshal(c.Consumer, &o) != nil {
		return "", false
	}
	auth, id := o.Authority, o.ID
	if o.Identifier != nil && auth == "" && id == "" {
		auth, id = o.Identifier.Authority, o.Identifier.ID
	}
	if auth != orgAuthority || !strings.HasPrefix(id, orgPrefix) {
		return "", false
	}
	return strings.TrimPrefix(id, orgPrefix), true
}

func hasScope(scopes, want string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == want {
			return true
		}
	}
	return false
}

// employeeClaims are the claims of an employee ID token (Entra ID v2 names).
type employeeClaims struct {
	jwt.RegisteredClaims
	OID               string `json:"oid,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Name              string `json:"name,omitempty"`
	TenantID          string `json:"tid,omitempty"`
}

func (c *employeeClaims) registered() *jwt.RegisteredClaims { return &c.RegisteredClaims }
func (c *employeeClaims) clone() timedClaims                { d := *c; return &d }
func (c *employeeClaims) copyFrom(o timedClaims) bool {
	src, ok := o.(*employeeClaims)
	if ok {
		*c = *src
	}
	return ok
}

// newIssuer builds the issuer for setting ("dev" or an issuer URL).
func newIssuer(ctx context.Context, c Config, kind, setting string) (*issuer, error) {
	maxLifetime := maxMachineLifetime
	if kind == kindOIDC {
		maxLifetime = maxEmployeeLifetime
	}
	if setting == Dev {
		k, err := loadDevKey(c.DataDir, kind)
		if err != nil {
			return nil, err
		}
		return &issuer{iss: devIssuer(kind), maxLifetime: maxLifetime, keys: k, dev: k, tokens: map[[32]byte]cachedToken{}}, nil
	}
	if iss, keyKind, ok := devOIDCSetting(setting); ok && kind == kindOIDC {
		k, err := loadDevKey(c.DataDir, keyKind)
		if err != nil {
			return nil, err
		}
		return &issuer{iss: iss, maxLifetime: maxLifetime, keys: k, dev: k, tokens: map[[32]byte]cachedToken{}}, nil
	}
	r, err := newRemoteKeys(c, kind, setting)
	if err != nil {
		return nil, fmt.Errorf("auth: %s issuer: %w", kind, err)
	}
	r.prime(ctx)
	return &issuer{iss: setting, maxLifetime: maxLifetime, keys: r, tokens: map[[32]byte]cachedToken{}}, nil
}
