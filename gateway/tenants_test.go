package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/store"
)

// Two organisations on one instance, each with its own (dev) tenant and an
// employee of the same name: each employee reads through their own
// organisation's role, and neither tenant's token opens the other's.
func TestTwoOrganisationsTwoTenants(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	ex := register(t).Examples()
	setSignIn := func(orgID string, si store.SignIn) {
		if _, err := f.st.UpdateOrganisation(ctx, orgID, func(o store.Organisation) (store.Organisation, error) {
			o.SignIn = si
			return o, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	setSignIn(f.org.ID, store.SignIn{Issuer: "dev:storevik", ClientID: "app-storevik"})
	other, err := f.st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "964338531", Name: "Nordvik kommune", Kommunenummer: []string{kommunenr},
		SignIn: store.SignIn{Issuer: "dev:nordvik", ClientID: "app-nordvik"}})
	if err != nil {
		t.Fatal(err)
	}
	roleIn := func(orgID string) string {
		tn := f.st.Tenant(orgID)
		r, err := tn.CreateRole(ctx, store.Role{Name: "Servicetorget", ServiceAreaID: "stotte", Usage: store.UsageWebAndM2M,
			Purposes: searchOnly, Elements: []string{"identifikasjonsnummer", "navn"}, GradedAddresses: store.GradedHide})
		if err != nil {
			t.Fatal(err)
		}
		u, err := tn.CreateUser(ctx, store.User{UserName: "kari@iks.no", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tn.CreateGrant(ctx, store.Grant{RoleID: r.ID, Kind: store.SubjectUser, SubjectID: u.ID}); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	storevikRole, nordvikRole := roleIn(f.org.ID), roleIn(other.ID)
	token := func(issuer, aud string) caller {
		tok, err := auth.MintTenantEmployeeToken(f.dir, issuer, aud, "kari@iks.no", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return caller{headers: http.Header{"Authorization": {"Bearer " + tok}}}
	}
	storevik, nordvik, instance := token("dev:storevik", "app-storevik"), token("dev:nordvik", "app-nordvik"), token(auth.Dev, auth.DevAudience)
	for _, tc := range []struct {
		name   string
		who    caller
		role   string
		status int
	}{
		{"Storevik's tenant in Storevik", storevik, storevikRole, http.StatusOK},
		{"Nordvik's tenant in Nordvik", nordvik, nordvikRole, http.StatusOK},
		{"Nordvik's tenant in Storevik", nordvik, storevikRole, http.StatusUnauthorized},
		{"Storevik's tenant in Nordvik", storevik, nordvikRole, http.StatusUnauthorized},
		{"the instance's issuer in Storevik", instance, storevikRole, http.StatusUnauthorized},
	} {
		r := f.do(tc.who, "GET", personPath(tc.role, ex.Ordinary, "part=navn"), nil)
		if r.status != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, r.status, tc.status, r.body)
		}
	}
}
