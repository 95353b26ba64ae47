package secret_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"folkevakt/policy/secret"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

func TestHashVerify(t *testing.T) {
	s := secret.NewPassword()
	h, err := secret.Hash(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, s) {
		t.Fatalf("hash %q is not an argon2id PHC string without the secret", h)
	}
	h2, _ := secret.Hash(s)
	if h == h2 {
		t.Fatal("two hashes of one secret are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name, hash, secret string
		ok                 bool
		err                bool
	}{
		{"right secret", h, s, true, false},
		{"wrong secret", h, s + "x", false, false},
		{"empty secret", h, "", false, false},
		{"not PHC", "plain", s, false, true},
		{"other algorithm", strings.Replace(h, "argon2id", "argon2i", 1), s, false, true},
		{"bad parameters", strings.Replace(h, "m=19456", "m=x", 1), s, false, true},
		{"bad salt", strings.Replace(h, "$"+strings.Split(h, "$")[4]+"$", "$!!$", 1), s, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := secret.Verify(tc.hash, tc.secret)
			if ok != tc.ok || (err != nil) != tc.err {
				t.Fatalf("Verify = %t, %v; want %t, error %t", ok, err, tc.ok, tc.err)
			}
		})
	}
}

func TestNewSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := secret.NewPassword()
		tok := secret.NewToken("scim")
		if len(p) < 43 || !strings.HasPrefix(tok, "fvscim_") || len(tok) < 50 || seen[p] || seen[tok] {
			t.Fatalf("weak or repeated secret: %q %q", p, tok)
		}
		seen[p], seen[tok] = true, true
	}
	if secret.Lookup("a") == secret.Lookup("b") || len(secret.Lookup("a")) != 16 {
		t.Fatal("lookup fingerprints collide or have the wrong length")
	}
}

// The authenticator finds a token by its fingerprint, checks its kind, and
// forgets a deleted token at once despite its cache.
func TestTokenAuthenticator(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "921000006", Name: "Storevik kommune", Kommunenummer: []string{"4627"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := secret.NewTokenAuthenticator(st)
	tok := secret.NewToken("admin")
	h, _ := secret.Hash(tok)
	created, err := st.Tenant(org.ID).CreateToken(ctx, store.Token{Kind: store.TokenAdmin, Name: "ops", Lookup: secret.Lookup(tok), Hash: h})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second answer comes from the cache
		got, err := auth.Authenticate(ctx, store.TokenAdmin, tok)
		if err != nil || got.OrgID != org.ID || got.Name != "ops" {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
	}
	for _, tc := range []struct{ kind, bearer string }{
		{store.TokenSCIM, tok}, {store.TokenAdmin, tok + "x"}, {store.TokenAdmin, ""},
	} {
		if _, err := auth.Authenticate(ctx, tc.kind, tc.bearer); err != secret.ErrUnauthenticated {
			t.Fatalf("Authenticate(%s, …) = %v, want ErrUnauthenticated", tc.kind, err)
		}
	}
	if err := st.Tenant(org.ID).DeleteToken(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, store.TokenAdmin, tok); err != secret.ErrUnauthenticated {
		t.Fatalf("a deleted token still authenticates: %v", err)
	}
}
