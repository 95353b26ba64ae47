package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"folkevakt/store"
)

// fakeIssuer is a Maskinporten- or Entra-like issuer on loopback: a
// discovery document and a JWKS whose keys the test rotates.
type fakeIssuer struct {
	t   *testing.T
	srv *httptest.Server

	mu              sync.Mutex
	keys            []*rsa.PrivateKey
	down            bool
	claimedIssuer   string // issuer in the discovery document; default the real one
	jwksFetches     int
	issuer, jwksURL string
}

const entraTenant = "3f6b0b1e-5c2d-4e8f-9a7b-6c5d4e3f2a1b"

// newFakeIssuer starts an issuer; kind picks Maskinporten's layout
// (issuer https://host/) or Entra's (https://host/<tenant>/v2.0).
func newFakeIssuer(t *testing.T, kind string) *fakeIssuer {
	fi := &fakeIssuer{t: t}
	fi.keys = []*rsa.PrivateKey{newRSAKey(t)}
	mux := http.NewServeMux()
	discoveryPath, jwksPath := "/.well-known/oauth-authorization-server", "/jwk"
	if kind == kindOIDC {
		discoveryPath, jwksPath = "/"+entraTenant+"/v2.0/.well-known/openid-configuration", "/"+entraTenant+"/discovery/v2.0/keys"
	}
	mux.HandleFunc("GET "+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		fi.mu.Lock()
		defer fi.mu.Unlock()
		if fi.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		iss := fi.issuer
		if fi.claimedIssuer != "" {
			iss = fi.claimedIssuer
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": fi.jwksURL})
	})
	mux.HandleFunc("GET "+jwksPath, func(w http.ResponseWriter, r *http.Request) {
		fi.mu.Lock()
		defer fi.mu.Unlock()
		fi.jwksFetches++
		if fi.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var set jwks
		for _, k := range fi.keys {
			set.Keys = append(set.Keys, (&devKey{priv: k, kid: thumbprint(&k.PublicKey)}).jwks().Keys...)
		}
		// Keys we must skip: an encryption key and a small RSA key.
		small, _ := rsa.GenerateKey(rand.Reader, 1024)
		set.Keys = append(set.Keys,
			jwk{Kty: "RSA", Use: "enc", Kid: "enc", N: b64(fi.keys[0].N.Bytes()), E: "AQAB"},
			jwk{Kty: "RSA", Use: "sig", Kid: "small", N: b64(small.N.Bytes()), E: "AQAB"})
		json.NewEncoder(w).Encode(set)
	})
	fi.srv = httptest.NewServer(mux)
	t.Cleanup(fi.srv.Close)
	fi.issuer, fi.jwksURL = fi.srv.URL+"/", fi.srv.URL+jwksPath
	if kind == kindOIDC {
		fi.issuer = fi.srv.URL + "/" + entraTenant + "/v2.0"
	}
	return fi
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (fi *fakeIssuer) set(edit func(fi *fakeIssuer)) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	edit(fi)
}

func (fi *fakeIssuer) fetches() int {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.jwksFetches
}

func sign(t *testing.T, k *rsa.PrivateKey, claims jwt.MapClaims) string {
	return signRS(t, k, thumbprint(&k.PublicKey), jwt.SigningMethodRS256, claims)
}

// remoteMachineAudience is the audience the remote Maskinporten tests
// configure.
const remoteMachineAudience = "https://folkevakt.storevik.kommune.no/folkeregister"

func (f *fixture) remoteMachineClaims(iss string) jwt.MapClaims {
	c := f.machineClaims()
	c["iss"], c["aud"] = iss, remoteMachineAudience
	return c
}

func TestRemoteMaskinporten(t *testing.T) {
	fi := newFakeIssuer(t, kindMaskinporten)
	f := newFixture(t, func(c *Config) { c.Maskinporten, c.MaskinportenAudience = fi.issuer, remoteMachineAudience })
	if fi.fetches() != 1 {
		t.Fatalf("New fetched the keys %d times, want 1", fi.fetches())
	}
	keyA := fi.keys[0]
	machine := func(tok string) error {
		_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
		return err
	}
	if err := machine(sign(t, keyA, f.remoteMachineClaims(fi.issuer))); err != nil {
		t.Fatalf("token of key A: %v", err)
	}
	// Maskinporten's issuer has a trailing slash; iss is compared exactly.
	wantReason(t, machine(sign(t, keyA, f.remoteMachineClaims(strings.TrimSuffix(fi.issuer, "/")))), ErrUnauthenticated, "wrong issuer")
	// A Maskinporten token for another resource is not for us.
	other := f.remoteMachineClaims(fi.issuer)
	other["aud"] = "https://api.other.example/"
	wantReason(t, machine(sign(t, keyA, other)), ErrUnauthenticated, "wrong audience")
	other["aud"] = DevMaskinportenAudience
	wantReason(t, machine(sign(t, keyA, other)), ErrUnauthenticated, "wrong audience")
	wantReason(t, machine(sign(t, keyA, f.remoteMachineClaims(DevMaskinportenIssuer))), ErrUnauthenticated, "wrong issuer")
	// Dev tokens are not trusted by a remote configuration.
	devTok, _ := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	wantReason(t, machine(devTok), ErrUnauthenticated, "wrong issuer")
	wantReason(t, machine(signRS(t, keyA, "small", jwt.SigningMethodRS256, f.remoteMachineClaims(fi.issuer))), ErrUnauthenticated, "unknown signing key")

	// Rotation: the issuer swaps A for B. The first token of B is an
	// unknown kid, which refetches the keys.
	keyB := newRSAKey(t)
	fi.set(func(fi *fakeIssuer) { fi.keys = []*rsa.PrivateKey{keyB} })
	f.clock.Advance(minFetchInterval)
	if err := machine(sign(t, keyB, f.remoteMachineClaims(fi.issuer))); err != nil {
		t.Fatalf("token of key B after rotation: %v", err)
	}
	fetched := fi.fetches()
	// A is gone from the set, so its tokens fail, and unknown kids do not
	// refetch within the interval.
	wantReason(t, machine(sign(t, keyA, f.remoteMachineClaims(fi.issuer))), ErrUnauthenticated, "unknown signing key")
	wantReason(t, machine(sign(t, newRSAKey(t), f.remoteMachineClaims(fi.issuer))), ErrUnauthenticated, "unknown signing key")
	if fi.fetches() != fetched {
		t.Fatalf("unknown kids fetched %d more times within the interval", fi.fetches()-fetched)
	}
	f.clock.Advance(minFetchInterval)
	wantReason(t, machine(sign(t, newRSAKey(t), f.remoteMachineClaims(fi.issuer))), ErrUnauthenticated, "unknown signing key")
	if fi.fetches() != fetched+1 {
		t.Fatalf("after the interval: %d fetches, want %d", fi.fetches(), fetched+1)
	}

	// Periodic refresh: after refreshInterval a known key still works at
	// once, and the set is refetched behind the request.
	keyC := newRSAKey(t)
	fi.set(func(fi *fakeIssuer) { fi.keys = []*rsa.PrivateKey{keyC} })
	f.clock.Advance(refreshInterval)
	if err := machine(sign(t, keyB, f.remoteMachineClaims(fi.issuer))); err != nil {
		t.Fatalf("stale known key: %v", err)
	}
	f.a.machine.keys.(*remoteKeys).background.Wait()
	if fi.fetches() != fetched+2 {
		t.Fatalf("periodic refresh: %d fetches, want %d", fi.fetches(), fetched+2)
	}
	wantReason(t, machine(sign(t, keyB, f.remoteMachineClaims(fi.issuer))), ErrUnauthenticated, "unknown signing key")
}

func TestRemoteIssuerDown(t *testing.T) {
	fi := newFakeIssuer(t, kindMaskinporten)
	fi.set(func(fi *fakeIssuer) { fi.down = true })
	f := newFixture(t, func(c *Config) { c.Maskinporten, c.MaskinportenAudience = fi.issuer, remoteMachineAudience })
	tok := sign(t, fi.keys[0], f.remoteMachineClaims(fi.issuer))
	// Our issuer problem is never counted against the caller.
	for range 2 * maxFailures {
		_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr)
		wantReason(t, err, ErrUnauthenticated, "issuer keys unavailable")
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"msg":"issuer keys unavailable"`) || !strings.Contains(logs, `"level":"WARN"`) {
		t.Fatalf("no warning logged: %s", logs)
	}
	if strings.Contains(logs, tok) || strings.Contains(logs, f.password) {
		t.Fatal("a secret was logged")
	}
	// The issuer comes back: after the retry interval tokens work.
	fi.set(func(fi *fakeIssuer) { fi.down = false })
	f.clock.Advance(minFetchInterval)
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
	// Down again with keys cached: known keys keep working past the
	// refresh interval; unknown ones report the outage.
	fi.set(func(fi *fakeIssuer) { fi.down = true })
	f.clock.Advance(refreshInterval)
	tok = sign(t, fi.keys[0], f.remoteMachineClaims(fi.issuer))
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		t.Fatalf("cached key while down: %v", err)
	}
	f.a.machine.keys.(*remoteKeys).background.Wait()
	f.clock.Advance(minFetchInterval)
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, sign(t, newRSAKey(t), f.remoteMachineClaims(fi.issuer)), testAddr)
	wantReason(t, err, ErrUnauthenticated, "issuer keys unavailable")
	// A closed port (connection refused) behaves the same.
	fi.srv.Close()
	f.clock.Advance(minFetchInterval)
	_, err = f.a.Machine(f.ctx, f.integ.ID, f.password, sign(t, newRSAKey(t), f.remoteMachineClaims(fi.issuer)), testAddr)
	wantReason(t, err, ErrUnauthenticated, "issuer keys unavailable")
}

func TestRemoteDiscoveryIssuerMismatch(t *testing.T) {
	fi := newFakeIssuer(t, kindMaskinporten)
	fi.set(func(fi *fakeIssuer) { fi.claimedIssuer = "https://maskinporten.no/" })
	f := newFixture(t, func(c *Config) { c.Maskinporten, c.MaskinportenAudience = fi.issuer, remoteMachineAudience })
	_, err := f.a.Machine(f.ctx, f.integ.ID, f.password, sign(t, fi.keys[0], f.remoteMachineClaims(fi.issuer)), testAddr)
	wantReason(t, err, ErrUnauthenticated, "issuer keys unavailable")
}

func TestRemoteEntraEmployee(t *testing.T) {
	fi := newFakeIssuer(t, kindOIDC)
	const clientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
	f := newFixture(t, func(c *Config) { c.OIDCIssuer, c.OIDCAudience = fi.issuer, clientID })
	oid := uuid.NewString()
	u := f.users(store.User{UserName: "kari@storevik.kommune.no", ExternalID: oid, Active: true})["kari@storevik.kommune.no"]
	now := f.clock.Now()
	claims := func(aud string) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": fi.issuer, "aud": aud, "sub": "pairwise-sub", "oid": oid, "tid": entraTenant,
			"preferred_username": "KARI@storevik.kommune.no", "name": "Kari Nordmann", "ver": "2.0",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	p, err := f.a.Employee(f.ctx, f.org.ID, sign(t, fi.keys[0], claims(clientID)))
	if err != nil || p.SubjectID != u.ID {
		t.Fatalf("Entra token: %+v, %v", p, err)
	}
	_, err = f.a.Employee(f.ctx, f.org.ID, sign(t, fi.keys[0], claims("00000003-0000-0000-c000-000000000000")))
	wantReason(t, err, ErrUnauthenticated, "wrong audience")
	// A v1 issuer of the same tenant is another issuer.
	c := claims(clientID)
	c["iss"] = "https://sts.windows.net/" + entraTenant + "/"
	_, err = f.a.Employee(f.ctx, f.org.ID, sign(t, fi.keys[0], c))
	wantReason(t, err, ErrUnauthenticated, "wrong issuer")
}

func TestNewRejectsConfig(t *testing.T) {
	st := openStore(t)
	for _, tc := range []struct {
		name string
		c    Config
	}{
		{"no store", Config{DataDir: t.TempDir(), Maskinporten: Dev, OIDCIssuer: Dev}},
		{"plain http issuer", Config{Store: st, DataDir: t.TempDir(), Maskinporten: "http://maskinporten.example/", OIDCIssuer: Dev}},
		{"not a URL", Config{Store: st, DataDir: t.TempDir(), Maskinporten: "maskinporten", OIDCIssuer: Dev}},
		{"remote Maskinporten without audience", Config{Store: st, DataDir: t.TempDir(), Maskinporten: "https://maskinporten.no/", OIDCIssuer: Dev}},
		{"dev Maskinporten with a foreign audience", Config{Store: st, DataDir: t.TempDir(), Maskinporten: Dev, MaskinportenAudience: "https://x.example/", OIDCIssuer: Dev}},
		{"remote OIDC without audience", Config{Store: st, DataDir: t.TempDir(), Maskinporten: Dev, OIDCIssuer: "https://login.microsoftonline.com/" + entraTenant + "/v2.0"}},
		{"dev without data dir", Config{Store: st, Maskinporten: Dev, OIDCIssuer: Dev}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a, err := New(t.Context(), tc.c); err == nil {
				t.Fatalf("New = %v, want error", a)
			}
		})
	}
}
