package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

func TestDevKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created on first use
	// A CLI and a server racing to create the key end up with one key.
	kids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range kids {
		wg.Go(func() {
			k, err := loadDevKey(dir, kindMaskinporten)
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = k.kid
		})
	}
	wg.Wait()
	for _, kid := range kids[1:] {
		if kid != kids[0] || kid == "" {
			t.Fatalf("kids differ: %q", kids)
		}
	}
	fi, err := os.Stat(devKeyFile(dir, kindMaskinporten))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("data dir holds %d files, want only the key", len(entries))
	}
	o, err := loadDevKey(dir, kindOIDC)
	if err != nil {
		t.Fatal(err)
	}
	if o.kid == kids[0] {
		t.Fatal("the two dev issuers share a key")
	}
	if err := os.WriteFile(devKeyFile(dir, kindOIDC), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadDevKey(dir, kindOIDC); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
}

func TestMintRejects(t *testing.T) {
	dir := t.TempDir()
	if _, err := MintMaskinportenToken(dir, "974760672", time.Minute); err == nil {
		t.Error("bad check digit accepted")
	}
	if _, err := MintMaskinportenToken(dir, orgNumber, 3*time.Hour); err == nil {
		t.Error("ttl over the maximum accepted")
	}
	if _, err := MintEmployeeToken(dir, " ", "", time.Hour); err == nil {
		t.Error("empty user name accepted")
	}
	if _, err := MintEmployeeToken(dir, "kari", "", 0); err == nil {
		t.Error("zero ttl accepted")
	}
}

// TestMount checks that an outside verifier can check dev tokens with only
// the published documents.
func TestMount(t *testing.T) {
	f := newFixture(t)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	f.a.Mount(r)
	srv := httptest.NewServer(r)
	defer srv.Close()

	for _, tc := range []struct {
		discovery, iss, token string
	}{
		{"/dev/maskinporten/.well-known/oauth-authorization-server", DevMaskinportenIssuer, must(MintMaskinportenToken(f.dir, orgNumber, time.Minute))},
		{"/dev/oidc/.well-known/openid-configuration", DevOIDCIssuer, must(MintEmployeeToken(f.dir, "kari", "", time.Minute))},
	} {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		getJSON(t, srv.URL+tc.discovery, &doc)
		if doc.Issuer != tc.iss || doc.JWKSURI == "" {
			t.Fatalf("%s: %+v", tc.discovery, doc)
		}
		var set jwks
		getJSON(t, doc.JWKSURI, &set)
		if len(set.Keys) != 1 {
			t.Fatalf("%s: %d keys", doc.JWKSURI, len(set.Keys))
		}
		pub, err := rsaKey(set.Keys[0])
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.Parse(tc.token, func(tok *jwt.Token) (any, error) {
			if tok.Header["kid"] != set.Keys[0].Kid {
				t.Errorf("kid %v, published %s", tok.Header["kid"], set.Keys[0].Kid)
			}
			return pub, nil
		}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(tc.iss))
		if err != nil || !tok.Valid {
			t.Fatalf("verifying with the published key: %v", err)
		}
	}
}

func TestMountRemoteServesNothing(t *testing.T) {
	fi := newFakeIssuer(t, kindMaskinporten)
	f := newFixture(t, func(c *Config) { c.Maskinporten, c.MaskinportenAudience = fi.issuer, remoteMachineAudience })
	r := gin.New()
	f.a.Mount(r)
	for path, want := range map[string]int{
		"/dev/maskinporten/jwks": http.StatusNotFound,
		"/dev/oidc/jwks":         http.StatusOK,
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
