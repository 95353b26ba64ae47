package auth

import (
	"testing"
	"time"

	"folkevakt/store"
)

// Two organisations with two different (dev) tenants and one on the
// instance's issuer, with the same user name in each: a token of one
// tenant grants nothing in another organisation.
func TestOrganisationTenantsAreIsolated(t *testing.T) {
	f := newFixture(t)
	mkOrg := func(number, name string, si store.SignIn) string {
		o, err := f.st.CreateOrganisation(f.ctx, store.Organisation{OrgNumber: number, Name: name, Kommunenummer: []string{"4627"}, SignIn: si})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Tenant(o.ID).CreateUser(f.ctx, store.User{UserName: "kari@iks.no", Active: true}); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	orgA := mkOrg("964338531", "Nordvik kommune", store.SignIn{Issuer: "dev:nordvik", ClientID: "app-nordvik"})
	orgB := mkOrg("971526920", "Sørvik kommune", store.SignIn{Issuer: "dev:sorvik", ClientID: "app-sorvik", Audience: "api://sorvik"})
	orgC := f.org.ID // the instance's dev issuer
	if _, err := f.st.Tenant(orgC).CreateUser(f.ctx, store.User{UserName: "kari@iks.no", Active: true}); err != nil {
		t.Fatal(err)
	}
	mint := func(issuer, aud string) string {
		tok, err := MintTenantEmployeeToken(f.dir, issuer, aud, "kari@iks.no", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tokA, tokB, tokC := mint("dev:nordvik", "app-nordvik"), mint("dev:sorvik", "api://sorvik"), mint(Dev, DevAudience)
	for _, tc := range []struct {
		name, org, token, reason string // reason "" = accepted
	}{
		{"A in A", orgA, tokA, ""},
		{"B in B", orgB, tokB, ""},
		{"instance in C", orgC, tokC, ""},
		{"A in B", orgB, tokA, "wrong issuer"},
		{"A in C", orgC, tokA, "wrong issuer"},
		{"B in A", orgA, tokB, "wrong issuer"},
		{"instance in A", orgA, tokC, "wrong issuer"},
		{"A's tenant, B's audience, in A", orgA, mint("dev:nordvik", "api://sorvik"), "wrong audience"},
		{"B's tenant, client id as audience, in B", orgB, mint("dev:sorvik", "app-sorvik"), "wrong audience"},
	} {
		p, err := f.a.Employee(f.ctx, tc.org, tc.token)
		if tc.reason == "" {
			if err != nil || p.OrgID != tc.org {
				t.Errorf("%s: %+v %v, want accepted", tc.name, p, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted, want %q", tc.name, tc.reason)
			continue
		}
		wantReason(t, err, ErrUnauthenticated, tc.reason)
	}
}
