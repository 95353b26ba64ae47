package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"folkevakt/store"
)

// users adds SCIM users to the fixture's organisation and returns them by
// userName.
func (f *fixture) users(us ...store.User) map[string]store.User {
	f.t.Helper()
	out := map[string]store.User{}
	for _, u := range us {
		got, err := f.st.Tenant(f.org.ID).CreateUser(f.ctx, u)
		if err != nil {
			f.t.Fatal(err)
		}
		out[u.UserName] = got
	}
	return out
}

func (f *fixture) employeeClaims() jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss": DevOIDCIssuer, "aud": DevAudience, "sub": "s",
		"preferred_username": "kari@storevik.kommune.no",
		"iat":                now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func TestEmployeeMapping(t *testing.T) {
	f := newFixture(t)
	const oidKari, oidOla = "9f1c0d2e-7a55-4a38-9d6e-1f2a3b4c5d6e", "0b7e6a1d-2c3f-4e5a-8b9c-0d1e2f3a4b5c"
	u := f.users(
		store.User{UserName: "kari@storevik.kommune.no", ExternalID: oidKari, Active: true},
		store.User{UserName: "ola@storevik.kommune.no", ExternalID: "ola", Active: true}, // Entra's default externalId (mailNickname)
		store.User{UserName: "per@storevik.kommune.no", ExternalID: oidOla + "-x", Active: false},
	)
	other, err := f.st.CreateOrganisation(f.ctx, store.Organisation{OrgNumber: otherOrgNum, Name: "Annen kommune", Kommunenummer: []string{"4628"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, org, user, oid string
		want                 string // userName of the principal, "" = rejected
		reason               string
	}{
		{"oid", f.org.ID, "kari@storevik.kommune.no", oidKari, "kari@storevik.kommune.no", ""},
		{"oid wins over preferred_username", f.org.ID, "ola@storevik.kommune.no", oidKari, "kari@storevik.kommune.no", ""},
		{"unknown oid falls back to userName", f.org.ID, "ola@storevik.kommune.no", oidOla, "ola@storevik.kommune.no", ""},
		{"userName without oid", f.org.ID, "ola@storevik.kommune.no", "", "ola@storevik.kommune.no", ""},
		{"userName case-insensitive", f.org.ID, "Ola@Storevik.Kommune.NO", "", "ola@storevik.kommune.no", ""},
		{"unknown user", f.org.ID, "nils@storevik.kommune.no", "", "", "unknown user"},
		{"unknown oid and user", f.org.ID, "nils@storevik.kommune.no", oidOla, "", "unknown user"},
		{"inactive user", f.org.ID, "per@storevik.kommune.no", "", "", "inactive user"},
		{"inactive user by oid", f.org.ID, "kari@storevik.kommune.no", oidOla + "-x", "", "inactive user"},
		{"user of another organisation", other.ID, "kari@storevik.kommune.no", oidKari, "", "unknown user"},
		{"no organisation", "", "kari@storevik.kommune.no", oidKari, "", "unknown organisation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := MintEmployeeToken(f.dir, tc.user, tc.oid, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			p, err := f.a.Employee(f.ctx, tc.org, tok)
			if tc.want == "" {
				wantReason(t, err, ErrUnauthenticated, tc.reason)
				if errors.Is(err, ErrUnknownUser) != (tc.reason == "unknown user") {
					t.Fatalf("errors.Is(%v, ErrUnknownUser) is wrong", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Employee: %v", err)
			}
			want := Principal{Kind: store.SubjectUser, OrgID: f.org.ID, SubjectID: u[tc.want].ID, Name: tc.want}
			if p != want {
				t.Fatalf("principal = %+v, want %+v", p, want)
			}
		})
	}
	// Deactivation by SCIM takes effect on the next request.
	tok, _ := MintEmployeeToken(f.dir, "ola@storevik.kommune.no", "", time.Hour)
	if _, err := f.st.Tenant(f.org.ID).UpdateUser(f.ctx, u["ola@storevik.kommune.no"].ID, func(u store.User) (store.User, error) {
		u.Active = false
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = f.a.Employee(f.ctx, f.org.ID, tok)
	wantReason(t, err, ErrUnauthenticated, "inactive user")
}

func TestEmployeeTokenChecks(t *testing.T) {
	f := newFixture(t)
	f.users(store.User{UserName: "kari@storevik.kommune.no", Active: true})
	ok := f.devKey(kindOIDC)
	mk := f.devKey(kindMaskinporten)
	now := f.clock.Now()
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := f.employeeClaims()
		edit(c)
		return c
	}
	signed := func(c jwt.MapClaims) string { return signRS(t, ok.priv, ok.kid, jwt.SigningMethodRS256, c) }
	machineTok, err := MintMaskinportenToken(f.dir, orgNumber, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, token, reason string }{
		{"valid", signed(f.employeeClaims()), ""},
		{"audience among several", signed(with(func(c jwt.MapClaims) { c["aud"] = []string{"other", DevAudience} })), ""},
		{"wrong audience", signed(with(func(c jwt.MapClaims) { c["aud"] = "some-other-app" })), "wrong audience"},
		{"no audience", signed(with(func(c jwt.MapClaims) { delete(c, "aud") })), "missing claim"},
		{"wrong issuer", signed(with(func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/x/v2.0" })), "wrong issuer"},
		{"maskinporten token", machineTok, "wrong issuer"},
		{"maskinporten key with oidc issuer", signRS(t, mk.priv, mk.kid, jwt.SigningMethodRS256, f.employeeClaims()), "unknown signing key"},
		{"maskinporten key with oidc kid", signRS(t, mk.priv, ok.kid, jwt.SigningMethodRS256, f.employeeClaims()), "bad signature"},
		{"expired", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})), "expired token"},
		{"iat in the future", signed(with(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() })), "token issued in the future"},
		{"iat in the future within skew", signed(with(func(c jwt.MapClaims) {
			c["iat"], c["nbf"] = now.Add(20*time.Second).Unix(), now.Add(20*time.Second).Unix()
		})), ""},
		{"lifetime over a day", signed(with(func(c jwt.MapClaims) { c["exp"] = now.Add(25 * time.Hour).Unix() })), "token lifetime too long"},
		{"alg HS256", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.employeeClaims())
			tok.Header["kid"] = ok.kid
			s, _ := tok.SignedString([]byte("folkevakt"))
			return s
		}(), "unsupported algorithm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.a.Employee(f.ctx, f.org.ID, tc.token)
			if tc.reason == "" {
				if err != nil || p.Name != "kari@storevik.kommune.no" {
					t.Fatalf("Employee = %+v, %v; want accepted", p, err)
				}
				return
			}
			wantReason(t, err, ErrUnauthenticated, tc.reason)
		})
	}
}

func TestEmployeeAudienceConfigured(t *testing.T) {
	// With a configured audience, dev tokens (aud folkevakt) are refused.
	f := newFixture(t, func(c *Config) { c.OIDCAudience = "api://folkevakt-prod" })
	f.users(store.User{UserName: "kari@storevik.kommune.no", Active: true})
	tok, _ := MintEmployeeToken(f.dir, "kari@storevik.kommune.no", "", time.Hour)
	_, err := f.a.Employee(f.ctx, f.org.ID, tok)
	wantReason(t, err, ErrUnauthenticated, "wrong audience")
}
