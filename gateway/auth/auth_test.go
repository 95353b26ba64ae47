package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

const (
	orgNumber   = "974760673" // Brønnøysundregistrene (valid mod-11)
	otherOrgNum = "971526920" // Statistisk sentralbyrå
	testAddr    = "192.0.2.10:41000"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is a migrated SQLite store with one organisation, one integration
// and two users, plus a dev-issuer Authenticator over it.
type fixture struct {
	t        testing.TB
	ctx      context.Context
	dir      string
	st       *sqlstore.Store
	org      store.Organisation
	integ    store.Integration
	password string
	clock    *clock
	logs     *syncBuffer
	a        *Authenticator
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(t.TempDir(), "folkevakt.db"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func newFixture(t testing.TB, mod ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), dir: t.TempDir(), st: openStore(t), clock: newClock(), logs: &syncBuffer{}}
	var err error
	f.org, err = f.st.CreateOrganisation(f.ctx, store.Organisation{OrgNumber: orgNumber, Name: "Storevik kommune", Kommunenummer: []string{"4627"}})
	if err != nil {
		t.Fatal(err)
	}
	f.password = secret.NewPassword()
	hash, err := secret.Hash(f.password)
	if err != nil {
		t.Fatal(err)
	}
	f.integ, err = f.st.Tenant(f.org.ID).CreateIntegration(f.ctx, store.Integration{Name: "Visma Flyt Skole", OrgNumber: orgNumber, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Store: f.st, DataDir: f.dir, Maskinporten: Dev, OIDCIssuer: Dev,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Now: f.clock.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	f.a, err = New(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) devKey(kind string) *devKey {
	f.t.Helper()
	k, err := loadDevKey(f.dir, kind)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// machineClaims are valid Maskinporten claims at the fixture's clock.
func (f *fixture) machineClaims() jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss":        DevMaskinportenIssuer,
		"aud":        DevMaskinportenAudience,
		"scope":      "ks:fiks",
		"consumer":   map[string]string{"authority": "iso6523-actorid-upis", "ID": "0192:" + orgNumber},
		"client_id":  "test",
		"token_type": "Bearer",
		"jti":        uuid.NewString(),
		"iat":        now.Unix(),
		"exp":        now.Add(10 * time.Minute).Unix(),
	}
}

func signRS(t *testing.T, key *rsa.PrivateKey, kid string, method jwt.SigningMethod, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantReason(t *testing.T, err error, sentinel error, reason string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	if !strings.HasSuffix(err.Error(), ": "+reason) {
		t.Fatalf("err = %q, want reason %q", err, reason)
	}
}

func TestMachineAcceptsMintedToken(t *testing.T) {
	f := newFixture(t)
	tok, err := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	if err != nil {
		t.Fatalf("Machine: %v", err)
	}
	want := Principal{Kind: store.SubjectIntegration, OrgID: f.org.ID, SubjectID: f.integ.ID, Name: "Visma Flyt Skole"}
	if p != want {
		t.Fatalf("principal = %+v, want %+v", p, want)
	}
	// The verified password is cached under its fingerprint and the hash.
	if n := len(f.a.passwords); n != 1 {
		t.Fatalf("password cache holds %d entries, want 1", n)
	}
}

func TestMachineTokenChecks(t *testing.T) {
	f := newFixture(t)
	mk := f.devKey(kindMaskinporten)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := f.machineClaims()
		edit(c)
		return c
	}
	signed := func(c jwt.MapClaims) string { return signRS(t, mk.priv, mk.kid, jwt.SigningMethodRS256, c) }
	noneTok := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.machineClaims())
		tok.Header["kid"] = mk.kid
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// HS256 keyed with the public key: the classic algorithm confusion.
	hsTok := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.machineClaims())
		tok.Header["kid"] = mk.kid
		s, err := tok.SignedString(mk.priv.PublicKey.N.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	employeeTok, err := MintEmployeeToken(f.dir, "kari", "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, reason string // reason "" = accepted
	}{
		{"valid", signed(f.machineClaims()), ""},
		{"scope among others", signed(with(func(c jwt.MapClaims) { c["scope"] = "ks:annet ks:fiks folkeregister:deling/offentligmedhjemmel" })), ""},
		{"nested consumer", signed(with(func(c jwt.MapClaims) {
			c["consumer"] = map[string]any{"Identifier": map[string]string{"Authority": "iso6523-actorid-upis", "ID": "0192:" + orgNumber}}
		})), ""},
		{"issuer with trailing slash", signed(with(func(c jwt.MapClaims) { c["iss"] = DevMaskinportenIssuer + "/" })), "wrong issuer"},
		{"issuer in other case", signed(with(func(c jwt.MapClaims) { c["iss"] = strings.ToUpper(DevMaskinportenIssuer) })), "wrong issuer"},
		{"audience among others", signed(with(func(c jwt.MapClaims) { c["aud"] = []string{"https://other.example/api", DevMaskinportenAudience} })), ""},
		{"wrong audience", signed(with(func(c jwt.MapClaims) { c["aud"] = "https://other.example/api" })), "wrong audience"},
		{"unspecified audience", signed(with(func(c jwt.MapClaims) { c["aud"] = "unspecified" })), "wrong audience"},
		{"no audience", signed(with(func(c jwt.MapClaims) { delete(c, "aud") })), "missing claim"},
		{"nbf within skew", signed(with(func(c jwt.MapClaims) { c["nbf"] = now.Add(20 * time.Second).Unix() })), ""},
		{"iat within skew", signed(with(func(c jwt.MapClaims) { c["iat"] = now.Add(20 * time.Second).Unix() })), ""},
		{"expired just beyond skew", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-skew-2*time.Second).Unix()
		})), "expired token"},
		{"expired within skew", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-10*time.Minute).Unix(), now.Add(-20*time.Second).Unix()
		})), ""},
		{"empty", "", "missing token"},
		{"malformed", "not.a.jwt", "malformed token"},
		{"oversized", strings.Repeat("a", maxTokenLen+1), "malformed token"},
		{"bad signature", signRS(t, other, mk.kid, jwt.SigningMethodRS256, f.machineClaims()), "bad signature"},
		{"tampered payload", tamper(t, signed(f.machineClaims())), "bad signature"},
		{"wrong kid", signRS(t, mk.priv, "another-kid", jwt.SigningMethodRS256, f.machineClaims()), "unknown signing key"},
		{"no kid", signRS(t, mk.priv, "", jwt.SigningMethodRS256, f.machineClaims()), "unknown signing key"},
		{"alg none", noneTok(), "unsupported algorithm"},
		{"alg HS256", hsTok(), "unsupported algorithm"},
		{"alg RS512", signRS(t, mk.priv, mk.kid, jwt.SigningMethodRS512, f.machineClaims()), "unsupported algorithm"},
		{"alg PS256", signRS(t, mk.priv, mk.kid, jwt.SigningMethodPS256, f.machineClaims()), "unsupported algorithm"},
		{"expired", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-15*time.Minute).Unix(), now.Add(-5*time.Minute).Unix()
		})), "expired token"},
		{"iat in the future", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(2*time.Minute).Unix(), now.Add(12*time.Minute).Unix()
		})), "token issued in the future"},
		{"nbf in the future", signed(with(func(c jwt.MapClaims) { c["nbf"] = now.Add(2 * time.Minute).Unix() })), "token not yet valid"},
		{"no exp", signed(with(func(c jwt.MapClaims) { delete(c, "exp") })), "missing claim"},
		{"no iat", signed(with(func(c jwt.MapClaims) { delete(c, "iat") })), "missing iat"},
		{"lifetime too long", signed(with(func(c jwt.MapClaims) { c["exp"] = now.Add(3 * time.Hour).Unix() })), "token lifetime too long"},
		{"old token with long exp", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(time.Hour).Unix()
		})), "token lifetime too long"},
		{"wrong issuer", signed(with(func(c jwt.MapClaims) { c["iss"] = "https://maskinporten.no/" })), "wrong issuer"},
		{"no issuer", signed(with(func(c jwt.MapClaims) { delete(c, "iss") })), "wrong issuer"},
		{"employee token", employeeTok, "wrong issuer"},
		{"no ks:fiks", signed(with(func(c jwt.MapClaims) { c["scope"] = "ks:fiksen folkeregister:deling/offentligmedhjemmel" })), "missing scope ks:fiks"},
		{"scope not space-separated", signed(with(func(c jwt.MapClaims) { c["scope"] = "ks:annet,ks:fiks" })), "missing scope ks:fiks"},
		{"no scope", signed(with(func(c jwt.MapClaims) { delete(c, "scope") })), "missing scope ks:fiks"},
		{"other consumer", signed(with(func(c jwt.MapClaims) {
			c["consumer"] = map[string]string{"authority": "iso6523-actorid-upis", "ID": "0192:" + otherOrgNum}
		})), "wrong consumer"},
		{"consumer wrong authority", signed(with(func(c jwt.MapClaims) {
			c["consumer"] = map[string]string{"authority": "something-else", "ID": "0192:" + orgNumber}
		})), "wrong consumer"},
		{"consumer without ICD", signed(with(func(c jwt.MapClaims) {
			c["consumer"] = map[string]string{"authority": "iso6523-actorid-upis", "ID": orgNumber}
		})), "wrong consumer"},
		{"no consumer", signed(with(func(c jwt.MapClaims) { delete(c, "consumer") })), "wrong consumer"},
		{"supplier only", signed(with(func(c jwt.MapClaims) {
			delete(c, "consumer")
			c["supplier"] = map[string]string{"authority": "iso6523-actorid-upis", "ID": "0192:" + orgNumber}
		})), "wrong consumer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tc.token, testAddr)
			if tc.reason == "" {
				if err != nil || p.SubjectID != f.integ.ID {
					t.Fatalf("Machine = %+v, %v; want accepted", p, err)
				}
				return
			}
			wantReason(t, err, ErrUnauthenticated, tc.reason)
		})
		f.a.throttle = newThrottle() // the cases are many failures in a row
	}
}

// tamper changes the payload of a signed token without re-signing it.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := jwt.NewParser().DecodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["consumer"] = map[string]string{"authority": "iso6523-actorid-upis", "ID": "0192:" + otherOrgNum}
	b, _ := json.Marshal(m)
	parts[1] = b64(b)
	return strings.Join(parts, ".")
}

func TestMachineCredentialChecks(t *testing.T) {
	f := newFixture(t)
	tok, err := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, password, reason string
	}{
		{"unknown integration", uuid.NewString(), f.password, "unknown integration"},
		{"not a uuid", "visma-flyt", f.password, "invalid integration id"},
		{"uuid in braces", "{" + f.integ.ID + "}", f.password, "invalid integration id"},
		{"empty id", "", f.password, "invalid integration id"},
		{"wrong password", f.integ.ID, secret.NewPassword(), "wrong password"},
		{"password of another case", f.integ.ID, strings.ToUpper(f.password), "wrong password"},
		{"empty password", f.integ.ID, "", "missing password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.Machine(f.ctx, tc.id, tc.password, tok, testAddr)
			wantReason(t, err, ErrUnauthenticated, tc.reason)
		})
	}
}

func TestMachineWrongOrgIntegration(t *testing.T) {
	// A token for the right org but presented with an integration of
	// another organisation number is refused.
	f := newFixture(t)
	hash, _ := secret.Hash("vendor-password")
	vendor, err := f.st.Tenant(f.org.ID).CreateIntegration(f.ctx, store.Integration{Name: "Leverandør", OrgNumber: otherOrgNum, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	_, err = f.a.Machine(f.ctx, vendor.ID, "vendor-password", tok, testAddr)
	wantReason(t, err, ErrUnauthenticated, "wrong consumer")
	vtok, _ := MintMaskinportenToken(f.dir, otherOrgNum, 10*time.Minute)
	if p, err := f.a.Machine(f.ctx, vendor.ID, "vendor-password", vtok, testAddr); err != nil || p.SubjectID != vendor.ID || p.OrgID != f.org.ID {
		t.Fatalf("vendor token: %+v, %v", p, err)
	}
}

func TestPasswordRotation(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("old password before rotation: %v", err)
	}
	newPassword := secret.NewPassword()
	hash, _ := secret.Hash(newPassword)
	if _, err := f.st.Tenant(f.org.ID).UpdateIntegration(f.ctx, f.integ.ID, func(i store.Integration) (store.Integration, error) {
		i.PasswordHash = hash
		return i, nil
	}); err != nil {
		t.Fatal(err)
	}
	// The old password is still in the cache, keyed with the old hash.
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	wantReason(t, err, ErrUnauthenticated, "wrong password")
	for range 2 { // second time from the cache
		if _, err := f.a.Machine(f.ctx, f.integ.ID, newPassword, tok, testAddr); err != nil {
			t.Fatalf("new password: %v", err)
		}
	}
}

func TestRevokedIntegration(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Tenant(f.org.ID).DeleteIntegration(f.ctx, f.integ.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	wantReason(t, err, ErrUnauthenticated, "unknown integration")
}

func TestThrottlePerIntegration(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	// Failures from ten different addresses add up on the integration.
	for i := range maxFailures {
		_, err := f.a.Machine(f.ctx, f.integ.ID, "guess", tok, "203.0.113."+strconv.Itoa(i)+":5000")
		wantReason(t, err, ErrUnauthenticated, "wrong password")
	}
	if !strings.Contains(f.logs.String(), `"throttle":"integration"`) {
		t.Fatalf("no throttling warning logged: %s", f.logs.String())
	}
	// Now even the right password from a fresh address is refused, without
	// any password check.
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	wantReason(t, err, ErrThrottled, "integration")
	f.clock.Advance(ThrottleCooldown - time.Second)
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	wantReason(t, err, ErrThrottled, "integration")
	f.clock.Advance(time.Second)
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("after ThrottleCooldown: %v", err)
	}
	// Another integration was never affected.
	if f.a.throttle.blocked(integrationKey(uuid.NewString()), f.clock.Now()) {
		t.Fatal("unrelated integration blocked")
	}
}

func TestThrottlePerAddress(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	const attacker, good = "203.0.113.7:40000", "198.51.100.20:40000"
	// Guessing integration ids counts against the address only.
	for range maxFailures {
		_, err := f.a.Machine(f.ctx, uuid.NewString(), "guess", tok, attacker)
		wantReason(t, err, ErrUnauthenticated, "unknown integration")
	}
	// Same host, other port: still the same address.
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, "203.0.113.7:40001")
	wantReason(t, err, ErrThrottled, "address")
	// Another address is unaffected, and its success does not reset the
	// attacker's counter.
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, good); err != nil {
		t.Fatalf("other address: %v", err)
	}
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, tok, attacker)
	wantReason(t, err, ErrThrottled, "address")
	if f.a.throttle.blocked(integrationKey(f.integ.ID), f.clock.Now()) {
		t.Fatal("unknown-id guessing must not block a real integration")
	}
}

func TestThrottleWindow(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	fail := func() {
		t.Helper()
		_, err := f.a.Machine(f.ctx, f.integ.ID, "guess", tok, testAddr)
		wantReason(t, err, ErrUnauthenticated, "wrong password")
	}
	for range maxFailures - 1 {
		fail()
	}
	f.clock.Advance(failureWindow) // the old failures fall out of the window
	for range maxFailures - 1 {
		fail()
	}
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("9 + 9 failures in separate windows: %v", err)
	}
	// The success reset this address but not the integration: one more
	// failure from elsewhere blocks the integration, for every address but
	// the one that logged in.
	_, err := f.a.Machine(f.ctx, f.integ.ID, "guess", tok, "192.0.2.99:1")
	wantReason(t, err, ErrUnauthenticated, "wrong password")
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, tok, "192.0.2.100:1")
	wantReason(t, err, ErrThrottled, "integration")
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("the address that logged in is locked out: %v", err)
	}
}

// TestThrottleCannotLockOutTheFagsystem: anyone who knows an integration id
// can run the integration into its block, but the fagsystem keeps working
// from the address it logged in from, while the trust lasts; the attacker's
// addresses and any new address are refused.
func TestThrottleCannotLockOutTheFagsystem(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	const fagsystem = "198.51.100.20:40000"
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, fagsystem); err != nil {
		t.Fatal(err)
	}
	for i := range maxFailures {
		_, err := f.a.Machine(f.ctx, f.integ.ID, "guess", tok, "203.0.113."+strconv.Itoa(i)+":5000")
		wantReason(t, err, ErrUnauthenticated, "wrong password")
	}
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, fagsystem); err != nil {
		t.Fatalf("fagsystem locked out by someone else's failures: %v", err)
	}
	// Its wrong passwords still count against its own address.
	_, err := f.a.Machine(f.ctx, f.integ.ID, "guess", tok, fagsystem)
	wantReason(t, err, ErrUnauthenticated, "wrong password")
	// Others, the right password included, stay refused unchecked.
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, tok, "192.0.2.1:1")
	wantReason(t, err, ErrThrottled, "integration")
	// Trust lapses without a new login; the block has lapsed by then too.
	f.clock.Advance(trustTTL)
	if f.a.throttle.isTrusted(integrationKey(f.integ.ID), addressKey(fagsystem), f.clock.Now()) {
		t.Fatal("trust outlived trustTTL")
	}
}

func TestThrottleBoundedMemory(t *testing.T) {
	th := newThrottle()
	th.limit = 50
	now := time.Now()
	// Ten blocked attackers, then a spray of single failures.
	for i := range 10 {
		for range maxFailures {
			th.fail(addressKey("203.0.113."+strconv.Itoa(i)), now)
		}
	}
	for i := range 10_000 {
		th.fail(addressKey(fmt.Sprintf("2001:db8:%x:%x::1", i%1000, i/1000)), now)
	}
	if n := len(th.entries); n > th.limit {
		t.Fatalf("%d entries, limit %d", n, th.limit)
	}
	for i := range 10 {
		if !th.blocked(addressKey("203.0.113."+strconv.Itoa(i)), now) {
			t.Fatalf("blocked attacker %d evicted by spraying", i)
		}
	}
	// Expired entries make room again.
	later := now.Add(ThrottleCooldown + failureWindow)
	th.fail("a:new", later)
	if len(th.entries) != 1 {
		t.Fatalf("after expiry %d entries, want 1", len(th.entries))
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1:1234", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"[2001:db8:1:2::1]:443", "2001:db8:1:2:ffff::9"},
	} {
		if addressKey(tc.a) != addressKey(tc.b) {
			t.Errorf("addressKey(%q) = %q, addressKey(%q) = %q; want equal", tc.a, addressKey(tc.a), tc.b, addressKey(tc.b))
		}
	}
	if addressKey("2001:db8:1:2::1") == addressKey("2001:db8:1:3::1") {
		t.Error("different /64s share a key")
	}
}

func TestMachineConcurrent(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			pw := f.password
			if i%8 == 0 {
				pw = "wrong"
			}
			_, err := f.a.Machine(f.ctx, f.integ.ID, pw, tok, "192.0.2."+strconv.Itoa(i%4)+":1")
			if (err == nil) == (i%8 == 0) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected outcome: %v", err)
	}
}

func TestVerifiedTokenCacheExpires(t *testing.T) {
	f := newFixture(t)
	tok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	for range 2 {
		if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.a.machine.tokens); n != 1 {
		t.Fatalf("%d cached tokens, want 1", n)
	}
	// The cache never outlives the token. The token was minted with the
	// real clock, possibly seconds after the fixture's clock started on a
	// loaded machine, so the step is measured from the token's own time.
	f.clock.Advance(time.Since(f.clock.Now()) + 10*time.Minute + skew + time.Second)
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
	wantReason(t, err, ErrUnauthenticated, "expired token")
	// A cached token is still checked against the integration presenting it.
	hash, _ := secret.Hash("other")
	other, err := f.st.Tenant(f.org.ID).CreateIntegration(f.ctx, store.Integration{Name: "Annen", OrgNumber: otherOrgNum, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ = MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	f.clock = newClock()
	f.a.now = f.clock.Now
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatal(err)
	}
	_, err = f.a.Machine(f.ctx, other.ID, "other", tok, testAddr)
	wantReason(t, err, ErrUnauthenticated, "wrong consumer")
}
