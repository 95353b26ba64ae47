package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"folkevakt/gateway/freg/ident"
)

// Dev issuer identifiers. The server's address is unknown to the CLI that
// mints dev tokens, so the issuers are fixed names rather than URLs.
const (
	DevMaskinportenIssuer = "folkevakt-dev-maskinporten"
	DevOIDCIssuer         = "folkevakt-dev-oidc"
	// DevAudience is the aud of dev employee tokens and the default expected
	// audience with the dev OIDC issuer.
	DevAudience = "folkevakt"
	// DevMaskinportenAudience is the aud of dev Maskinporten tokens and the
	// expected audience with the dev Maskinporten issuer.
	DevMaskinportenAudience = "folkevakt-dev-gateway"
	// DevTenantID is the tid claim of dev employee tokens.
	DevTenantID = "00000000-0000-4000-8000-00000000f01c"
)

// Dev issuer routes served by Mount.
const (
	devMaskinportenPath = "/dev/maskinporten"
	devOIDCPath         = "/dev/oidc"
)

// DevTenantPrefix starts an issuer setting "dev:<name>": a further local dev
// OIDC issuer (its own key, iss "folkevakt-dev-oidc-<name>"), so that
// several organisations' tenants can be tried side by side on one instance.
const DevTenantPrefix = "dev:"

var reDevTenant = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// devOIDCSetting returns the iss and key kind of a dev OIDC issuer setting.
func devOIDCSetting(setting string) (iss, keyKind string, ok bool) {
	if setting == Dev {
		return DevOIDCIssuer, kindOIDC, true
	}
	name, found := strings.CutPrefix(setting, DevTenantPrefix)
	if !found || !reDevTenant.MatchString(name) {
		return "", "", false
	}
	return DevOIDCIssuer + "-" + name, kindOIDC + "-" + name, true
}

func devIssuer(kind string) string {
	if kind == kindMaskinporten {
		return DevMaskinportenIssuer
	}
	return DevOIDCIssuer
}

// devKeyFile is the PEM file of a dev issuer's private key in the data dir.
func devKeyFile(dataDir, kind string) string {
	return filepath.Join(dataDir, "dev-"+kind+"-key.pem")
}

// devKey is a dev issuer's signing key with its stable kid.
type devKey struct {
	priv *rsa.PrivateKey
	kid  string
}

func (d *devKey) key(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if kid != d.kid {
		return nil, errUnknownKey
	}
	return &d.priv.PublicKey, nil
}

// loadDevKey reads the dev issuer's key, creating it on first use. Creation
// is atomic (link of a complete temporary file), so a CLI and a server
// starting together end up with the same key.
func loadDevKey(dataDir, kind string) (*devKey, error) {
	if strings.TrimSpace(dataDir) == "" {
		return nil, errors.New("auth: dev issuer needs a data directory")
	}
	path := devKeyFile(dataDir, kind)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, err = createDevKey(dataDir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: dev %s key: %w", kind, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("auth: dev %s key %s: not a PEM private key", kind, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: dev %s key %s: %w", kind, path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("auth: dev %s key %s: want an RSA key of at least %d bits", kind, path, minRSABits)
	}
	return &devKey{priv: rk, kid: thumbprint(&rk.PublicKey)}, nil
}

func createDevKey(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := os.CreateTemp(dataDir, ".dev-key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return os.ReadFile(path) // someone else won the race; use theirs
	} else if err != nil {
		return nil, err
	}
	return b, nil
}

// thumbprint is the RFC 7638 JWK SHA-256 thumbprint, used as the kid so
// that it is stable for a key and changes with it.
func thumbprint(k *rsa.PublicKey) string {
	j := fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
	sum := sha256.Sum256([]byte(j))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwks is a JSON Web Key Set of RSA signing keys.
type jwks struct {
	Keys []jwk `json:"keys"`
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (d *devKey) jwks() jwks {
	pub := &d.priv.PublicKey
	return jwks{Keys: []jwk{{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: d.kid,
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())}}}
}

func (d *devKey) sign(claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = d.kid
	return t.SignedString(d.priv)
}

// MintMaskinportenToken returns an access token of the dev Maskinporten
// issuer for orgNumber, shaped like Maskinporten's: scope ks:fiks, consumer
// 0192:<orgNumber>, aud "unspecified".
func MintMaskinportenToken(dataDir, orgNumber string, ttl time.Duration) (string, error) {
	if err := ident.ValidOrgNumber(orgNumber); err != nil {
		return "", fmt.Errorf("organisation number: %w", err)
	}
	if ttl <= 0 || ttl > maxMachineLifetime {
		return "", fmt.Errorf("ttl %s is outside (0, %s]", ttl, maxMachineLifetime)
	}
	k, err := loadDevKey(dataDir, kindMaskinporten)
	if err != nil {
		return "", err
	}
	now := time.Now().Truncate(time.Second)
	consumer, _ := json.Marshal(map[string]string{"authority": orgAuthority, "ID": orgPrefix + orgNumber})
	return k.sign(&maskinportenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    DevMaskinportenIssuer,
			Audience:  jwt.ClaimStrings{DevMaskinportenAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        uuid.NewString(),
		},
		Scope:     RequiredScope,
		Consumer:  consumer,
		ClientID:  "folkevakt-dev-" + orgNumber,
		TokenType: "Bearer",
	})
}

// MintEmployeeToken returns an ID token of the dev OIDC issuer for userName
// (preferred_username), with oid when given, shaped like an Entra ID v2 ID
// token with aud DevAudience.
func MintEmployeeToken(dataDir, userName, oid string, ttl time.Duration) (string, error) {
	return MintTenantEmployeeToken(dataDir, Dev, DevAudience, userName, oid, ttl)
}

// MintTenantEmployeeToken is MintEmployeeToken for the dev issuer setting
// issuer ("dev" or "dev:<name>", see DevTenantPrefix) and audience.
func MintTenantEmployeeToken(dataDir, issuer, audience, userName, oid string, ttl time.Duration) (string, error) {
	iss, keyKind, ok := devOIDCSetting(issuer)
	if !ok {
		return "", fmt.Errorf("%q is not a dev issuer", issuer)
	}
	if strings.TrimSpace(userName) == "" {
		return "", errors.New("user name is empty")
	}
	if ttl <= 0 || ttl > maxEmployeeLifetime {
		return "", fmt.Errorf("ttl %s is outside (0, %s]", ttl, maxEmployeeLifetime)
	}
	k, err := loadDevKey(dataDir, keyKind)
	if err != nil {
		return "", err
	}
	now := time.Now().Truncate(time.Second)
	// sub is pairwise in Entra; here a stable value derived from the user.
	sub := oid
	if sub == "" {
		sum := sha256.Sum256([]byte("folkevakt-dev-sub:" + strings.ToLower(userName)))
		sub = b64(sum[:])
	}
	return k.sign(&employeeClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    iss,
			Subject:   sub,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		OID:               oid,
		PreferredUsername: userName,
		Name:              userName,
		TenantID:          DevTenantID,
	})
}

// Mount serves the dev issuers' discovery documents and key sets, so that
// other tools can verify dev tokens too. Remote issuers publish their own.
// It fits gateway.Options.Mounts.
func (a *Authenticator) Mount(r *gin.Engine) {
	if k := a.machine.dev; k != nil {
		r.GET(devMaskinportenPath+"/.well-known/oauth-authorization-server", discovery(DevMaskinportenIssuer, devMaskinportenPath, false))
		r.GET(devMaskinportenPath+"/jwks", serveJWKS(k))
	}
	if k := a.employee.dev; k != nil {
		r.GET(devOIDCPath+"/.well-known/openid-configuration", discovery(DevOIDCIssuer, devOIDCPath, true))
		r.GET(devOIDCPath+"/jwks", serveJWKS(k))
	}
}

func discovery(iss, path string, oidc bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		doc := gin.H{
			"issuer":   iss,
			"jwks_uri": scheme + "://" + c.Request.Host + path + "/jwks",
		}
		if oidc {
			doc["id_token_signing_alg_values_supported"] = []string{"RS256"}
			doc["subject_types_supported"] = []string{"pairwise"}
			doc["response_types_supported"] = []string{"id_token"}
		} else {
			doc["token_endpoint_auth_signing_alg_values_supported"] = []string{"RS256"}
		}
		c.JSON(http.StatusOK, doc)
	}
}

func serveJWKS(k *devKey) gin.HandlerFunc {
	set := k.jwks()
	return func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.JSON(http.StatusOK, set)
	}
}
