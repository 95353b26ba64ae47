// Package auth authenticates gateway callers: machine callers (integration
// id + password and a Maskinporten access token) and employees (an ID token
// from the configured OIDC issuer, mapped to a SCIM user). The `dev` issuers
// keep their signing keys in the data directory.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"folkevakt/policy/secret"
	"folkevakt/store"
)

// Principal is an authenticated caller.
type Principal struct {
	Kind      string // store.SubjectIntegration or store.SubjectUser
	OrgID     string
	SubjectID string // integration id or SCIM user id
	Name      string // integration name or userName: for audit records, never for logs
}

// Errors. Failure is wrapped with a short reason that is safe to log and to
// show ("expired token", "wrong consumer", …) and never contains a secret.
// Any other error (the store failing) is internal and not the caller's fault.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrThrottled: too many failed attempts for this integration or address.
	ErrThrottled = errors.New("too many failed attempts")
	// ErrUnknownUser (an ErrUnauthenticated) is a valid employee token of
	// someone who is no user of the organisation, for callers that answer
	// it differently from a bad token.
	ErrUnknownUser = fmt.Errorf("%w: unknown user", ErrUnauthenticated)
)

// Issuer setting that selects the local dev issuer.
const Dev = "dev"

// Config holds the Authenticator's dependencies and settings.
type Config struct {
	Store   store.Store
	DataDir string // where the dev issuers keep their keys
	// Maskinporten is "dev" or the Maskinporten issuer exactly as its
	// discovery document and tokens name it, e.g. https://maskinporten.no/
	// or https://test.maskinporten.no/.
	Maskinporten string
	// MaskinportenAudience is the expected aud of Maskinporten access tokens
	// (the resource the fagsystem asks Maskinporten a token for); required
	// with a real issuer, DevMaskinportenAudience with the dev issuer.
	MaskinportenAudience string
	// OIDCIssuer is "dev" or the employees' OIDC issuer URL, e.g.
	// https://login.microsoftonline.com/<tenant-id>/v2.0.
	OIDCIssuer string
	// OIDCAudience is the expected aud of employee ID tokens (the Entra
	// application's client id); for the dev issuer it defaults to DevAudience.
	OIDCAudience string
	HTTPClient   *http.Client // for remote discovery and JWKS; default has a timeout
	Logger       *slog.Logger
	Now          func() time.Time
}

// Authenticator verifies callers. It is safe for concurrent use.
type Authenticator struct {
	store    store.Store
	logger   *slog.Logger
	now      func() time.Time
	machine  *issuer
	employee *issuer
	audience string
	// machineAudience is the expected aud of Maskinporten tokens.
	machineAudience string

	// tenants are the OIDC issuers of organisations that bring their own
	// (store.SignIn), built on first use, by issuer and audience: a token
	// verified (and cached) for one audience never passes for another.
	cfg       Config
	tenantsMu sync.Mutex
	tenants   map[[2]string]*issuer
	throttle  *throttle

	// passwords remembers verified integration passwords: argon2id costs tens
	// of milliseconds per request otherwise. The key holds the password's
	// SHA-256 and the stored hash it matched, so a rotated password (new
	// hash) is never served from the cache.
	pwMu      sync.Mutex
	passwords map[passwordKey]time.Time // value: expiry
	verifying map[passwordKey]*verification
}

type passwordKey struct {
	fingerprint [32]byte
	hash        string
}

const (
	passwordCacheTTL = 5 * time.Minute
	passwordCacheMax = 4096
)

// New builds an Authenticator. Dev issuers create their key in DataDir on
// first use; remote issuers get a first, best-effort key fetch here (a down
// issuer is logged and retried on demand, it does not stop the server).
func New(ctx context.Context, c Config) (*Authenticator, error) {
	if c.Store == nil {
		return nil, errors.New("auth: no store")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	a := &Authenticator{
		store:     c.Store,
		logger:    c.Logger,
		now:       c.Now,
		throttle:  newThrottle(),
		passwords: map[passwordKey]time.Time{},
		verifying: map[passwordKey]*verification{},
		cfg:       c,
		tenants:   map[[2]string]*issuer{},
	}
	a.audience = c.OIDCAudience
	if a.audience == "" {
		if c.OIDCIssuer != Dev {
			return nil, errors.New("auth: an OIDC issuer URL needs the expected audience (the application's client id)")
		}
		a.audience = DevAudience
	}
	a.machineAudience = c.MaskinportenAudience
	switch {
	case c.Maskinporten == Dev && a.machineAudience == "":
		a.machineAudience = DevMaskinportenAudience
	case c.Maskinporten == Dev && a.machineAudience != DevMaskinportenAudience:
		return nil, fmt.Errorf("auth: the dev Maskinporten issuer mints tokens for audience %q only", DevMaskinportenAudience)
	case a.machineAudience == "":
		return nil, errors.New("auth: a Maskinporten issuer URL needs the expected audience (--maskinporten-audience)")
	}
	var err error
	if a.machine, err = newIssuer(ctx, c, kindMaskinporten, c.Maskinporten); err != nil {
		return nil, err
	}
	if a.employee, err = newIssuer(ctx, c, kindOIDC, c.OIDCIssuer); err != nil {
		return nil, err
	}
	return a, nil
}

func unauthenticated(reason string) error {
	return fmt.Errorf("%w: %s", ErrUnauthenticated, reason)
}

// ThrottledError is ErrThrottled with the time left of the block, for
// Retry-After.
type ThrottledError struct {
	Scope      string // "address", "integration" or "integration and address"
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string        { return ErrThrottled.Error() + ": " + e.Scope }
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Machine authenticates a fagsystem by its integration id and password and a
// Maskinporten access token whose consumer is the integration's organisation.
// remoteAddr is the caller's address ("ip" or "ip:port") for throttling.
//
// Failures naming a real integration count against that integration from
// that address and against the integration as a whole; failures naming none
// count against the address. So a fagsystem's stale password blocks only
// itself, and a block of the integration or of the address spares the
// addresses the integration logged in from (see throttle.trust).
func (a *Authenticator) Machine(ctx context.Context, integrationID, password, bearer, remoteAddr string) (Principal, error) {
	now := a.now()
	addr := addressKey(remoteAddr)
	// Only canonical UUIDs reach the store, and an unknown id never creates
	// a per-integration counter (that would let anyone grow the table).
	if len(integrationID) != 36 || uuid.Validate(integrationID) != nil {
		if left := a.throttle.blockedFor(addr, now); left > 0 {
			return Principal{}, &ThrottledError{Scope: "address", RetryAfter: left}
		}
		return Principal{}, a.failed(now, addr, "", "invalid integration id")
	}
	integ := integrationKey(integrationID)
	pair := pairKey(integ, addr)
	trusted := a.throttle.isTrusted(integ, addr, now)
	if left := a.throttle.blockedFor(pair, now); left > 0 {
		return Principal{}, &ThrottledError{Scope: "integration and address", RetryAfter: left}
	}
	if !trusted {
		if left := a.throttle.blockedFor(addr, now); left > 0 {
			return Principal{}, &ThrottledError{Scope: "address", RetryAfter: left}
		}
		if left := a.throttle.blockedFor(integ, now); left > 0 {
			return Principal{}, &ThrottledError{Scope: "integration", RetryAfter: left}
		}
	}
	i, err := a.store.ResolveIntegration(ctx, integrationID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, a.failed(now, addr, "", "unknown integration")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: resolve integration: %w", err)
	}
	if password == "" {
		return Principal{}, a.failed(now, addr, integ, "missing password")
	}
	// The token goes first: an RSA verification is far cheaper than argon2id,
	// so garbage never costs a password hash.
	var claims maskinportenClaims
	if reason := a.machine.verify(ctx, a.now, bearer, &claims, jwt.WithAudience(a.machineAudience)); reason != "" {
		if reason == reasonKeysUnavailable {
			return Principal{}, unauthenticated(reason) // our problem, not the caller's
		}
		return Principal{}, a.failed(now, addr, integ, reason)
	}
	if reason := a.machineClaimsFailure(&claims, i.OrgNumber); reason != "" {
		return Principal{}, a.failed(now, addr, integ, reason)
	}
	if !a.passwordOK(i.PasswordHash, password, now) {
		return Principal{}, a.failed(now, addr, integ, "wrong password")
	}
	// Only this integration's record at this address is cleared: an attacker
	// elsewhere keeps both its own and the integration's count. The address
	// is trusted for this integration from now on, so that a block run up
	// from elsewhere does not lock the fagsystem out.
	a.throttle.reset(pair, now)
	a.throttle.trust(integ, addr, now)
	return Principal{Kind: store.SubjectIntegration, OrgID: i.OrgID, SubjectID: i.ID, Name: i.Name}, nil
}

// failed counts a failed attempt and returns the error for reason: against
// the address when integ is "" (no real integration named), else against the
// integration at this address and the integration as a whole.
func (a *Authenticator) failed(now time.Time, addr, integ, reason string) error {
	if integ == "" {
		if a.throttle.fail(addr, now) {
			a.logger.Warn("authentication throttled", "throttle", "address", "client", addr[len("a:"):])
		}
		return unauthenticated(reason)
	}
	if a.throttle.fail(pairKey(integ, addr), now) {
		a.logger.Warn("authentication throttled", "throttle", "integration and address", "integration_id", integ[len("i:"):], "client", addr[len("a:"):])
	}
	if a.throttle.fail(integ, now) {
		a.logger.Warn("authentication throttled", "throttle", "integration", "integration_id", integ[len("i:"):])
	}
	return unauthenticated(reason)
}

// machineClaimsFailure checks the claims of a verified Maskinporten token
// against the integration: the scope and the consumer organisation.
func (a *Authenticator) machineClaimsFailure(c *maskinportenClaims, orgNumber string) string {
	if !hasScope(c.Scope, RequiredScope) {
		return "missing scope " + RequiredScope
	}
	if org, ok := c.consumerOrg(); !ok || org != orgNumber {
		return "wrong consumer"
	}
	return ""
}

func (a *Authenticator) passwordOK(hash, password string, now time.Time) bool {
	if hash == "" {
		return false
	}
	k := passwordKey{secret.Fingerprint(password), hash}
	a.pwMu.Lock()
	if exp, ok := a.passwords[k]; ok && now.Before(exp) {
		a.pwMu.Unlock()
		return true
	}
	// Concurrent requests with the same password (a fagsystem's burst after
	// a restart) share one argon2id run instead of each paying for it.
	c, running := a.verifying[k]
	if !running {
		c = &verification{done: make(chan struct{})}
		a.verifying[k] = c
	}
	a.pwMu.Unlock()
	if running {
		<-c.done
		return c.ok
	}
	good, err := secret.Verify(hash, password)
	c.ok = err == nil && good
	a.pwMu.Lock()
	delete(a.verifying, k)
	if c.ok {
		if len(a.passwords) >= passwordCacheMax {
			clear(a.passwords) // rare; the next requests pay argon2id once more
		}
		a.passwords[k] = now.Add(passwordCacheTTL)
	}
	a.pwMu.Unlock()
	close(c.done)
	return c.ok
}

// verification is an argon2id check in progress.
type verification struct {
	done chan struct{}
	ok   bool // set before done is closed
}

// Employee authenticates an employee of orgID by an ID token from the
// configured OIDC issuer. The token's oid is looked up as the SCIM
// externalId; when no user has it, preferred_username as the SCIM userName.
func (a *Authenticator) Employee(ctx context.Context, orgID, bearer string) (Principal, error) {
	if orgID == "" {
		return Principal{}, unauthenticated("unknown organisation")
	}
	org, err := a.store.GetOrganisation(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, unauthenticated("unknown organisation")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: look up organisation: %w", err)
	}
	// An organisation with its own tenant trusts that tenant only; the
	// others trust the instance's issuer. So an ID token of tenant X is
	// refused (wrong issuer or audience) in every organisation but X's.
	iss, aud := a.employee, a.audience
	if org.SignIn.Issuer != "" {
		aud = org.SignIn.ExpectedAudience()
		if iss, err = a.tenantIssuer(ctx, org.SignIn.Issuer, aud); err != nil {
			return Principal{}, err
		}
	}
	var claims employeeClaims
	if reason := iss.verify(ctx, a.now, bearer, &claims, jwt.WithAudience(aud)); reason != "" {
		return Principal{}, unauthenticated(reason)
	}
	t := a.store.Tenant(orgID)
	var u store.User
	err = store.ErrNotFound
	if claims.OID != "" {
		u, err = t.GetUserByExternalID(ctx, claims.OID)
	}
	if errors.Is(err, store.ErrNotFound) && strings.TrimSpace(claims.PreferredUsername) != "" {
		u, err = t.GetUserByUserName(ctx, claims.PreferredUsername)
	}
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrUnknownUser
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: look up user: %w", err)
	}
	if !u.Active {
		return Principal{}, unauthenticated("inactive user")
	}
	return Principal{Kind: store.SubjectUser, OrgID: orgID, SubjectID: u.ID, Name: u.UserName}, nil
}

// tenantIssuer returns the issuer of an organisation's own tenant (setting
// "dev", "dev:<name>" or an issuer URL) for audience, building it once.
func (a *Authenticator) tenantIssuer(ctx context.Context, setting, audience string) (*issuer, error) {
	if audience == "" {
		return nil, unauthenticated("organisation sign-in has no audience")
	}
	k := [2]string{setting, audience}
	a.tenantsMu.Lock()
	defer a.tenantsMu.Unlock()
	if is, ok := a.tenants[k]; ok {
		return is, nil
	}
	is, err := newIssuer(ctx, a.cfg, kindOIDC, setting)
	if err != nil {
		return nil, fmt.Errorf("auth: organisation sign-in: %w", err)
	}
	a.tenants[k] = is
	return is, nil
}
