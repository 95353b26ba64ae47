// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a constructor for a fresh, migrated
// store:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, newTestStore) }
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/store"
)

// Run runs every conformance test, each on a store of its own.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Organisations", testOrganisations},
		{"Tokens", testTokens},
		{"Users", testUsers},
		{"Updaters", testUpdaters},
		{"UserFilters", testUserFilters},
		{"GroupFilters", testGroupFilters},
		{"InvalidFilters", testInvalidFilters},
		{"FilterSize", testFilterSize},
		{"Pagination", testPagination},
		{"Groups", testGroups},
		{"Memberships", testMemberships},
		{"PatchGroup", testPatchGroup},
		{"ConcurrentAddMembers", testConcurrentAddMembers},
		{"ServiceAreas", testServiceAreas},
		{"RolesAndGrants", testRolesAndGrants},
		{"Integrations", testIntegrations},
		{"CascadeDeletes", testCascadeDeletes},
		{"PolicySnapshot", testPolicySnapshot},
		{"ChangeHistory", testChangeHistory},
		{"OnChange", testOnChange},
		{"Audit", testAudit},
		{"ListOrders", testListOrders},
		{"ExtractJobs", testExtractJobs},
		{"TenantIsolation", testTenantIsolation},
		{"ApplyPolicyPlan", testApplyPolicyPlan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(t, s)
		})
	}
}

// ctx carries the actor every change in the suite is recorded with.
var ctx = store.WithActor(context.Background(), "test:conformance")

var orgCounter atomic.Int64

// newOrg creates an organisation with a fresh number and returns its tenant.
func newOrg(t *testing.T, s store.Store) store.Tenant {
	t.Helper()
	o, err := s.CreateOrganisation(ctx, store.Organisation{
		OrgNumber: fmt.Sprintf("9%08d", orgCounter.Add(1)), Name: "Testkommune", Kommunenummer: []string{"0301"}})
	if err != nil {
		t.Fatalf("CreateOrganisation: %v", err)
	}
	return s.Tenant(o.ID)
}

func newUser(t *testing.T, tn store.Tenant, userName string) store.User {
	t.Helper()
	u, err := tn.CreateUser(ctx, store.User{UserName: userName, Active: true})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", userName, err)
	}
	return u
}

func newGroup(t *testing.T, tn store.Tenant, name string, members ...string) store.Group {
	t.Helper()
	g, err := tn.CreateGroup(ctx, store.Group{DisplayName: name}, members)
	if err != nil {
		t.Fatalf("CreateGroup(%s): %v", name, err)
	}
	return g
}

func newRole(t *testing.T, tn store.Tenant, name string) store.Role {
	t.Helper()
	r, err := tn.CreateRole(ctx, store.Role{Name: name, ServiceAreaID: "skole", Usage: store.UsageWebAndM2M,
		Purposes: []string{store.PurposeSearch}, Elements: []string{"identifikasjonsnummer", "navn"},
		GradedAddresses: store.GradedHide})
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return r
}

func newIntegration(t *testing.T, tn store.Tenant, name string) store.Integration {
	t.Helper()
	i, err := tn.CreateIntegration(ctx, store.Integration{Name: name, OrgNumber: "910000000", PasswordHash: "argon2id$x"})
	if err != nil {
		t.Fatalf("CreateIntegration(%s): %v", name, err)
	}
	return i
}

func newGrant(t *testing.T, tn store.Tenant, roleID, kind, subject string) store.Grant {
	t.Helper()
	g, err := tn.CreateGrant(ctx, store.Grant{RoleID: roleID, Kind: kind, SubjectID: subject})
	if err != nil {
		t.Fatalf("CreateGrant(%s %s): %v", kind, subject, err)
	}
	return g
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sorted returns a sorted copy, for comparing id sets.
func sorted(ids []string) []string {
	out := slices.Clone(ids)
	if out == nil {
		out = []string{}
	}
	sort.Strings(out)
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if g, w := sorted(got), sorted(want); !slices.Equal(g, w) {
		t.Fatalf("%s: got %v, want %v", what, g, w)
	}
}

func userIDs(us []store.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

// changesOf returns the organisation's change history oldest first.
func changesOf(t *testing.T, tn store.Tenant, q store.ChangeQuery) []store.Change {
	t.Helper()
	q.Count = 10000
	p, err := tn.ListChanges(ctx, q)
	noErr(t, "ListChanges", err)
	slices.Reverse(p.Items)
	return p.Items
}

func testOrganisations(t *testing.T, s store.Store) {
	o, err := s.CreateOrganisation(ctx, store.Organisation{OrgNumber: "921234567", Name: "Oslo kommune", Kommunenummer: []string{"0301"}})
	noErr(t, "CreateOrganisation", err)
	if o.ID == "" || o.CreatedAt.IsZero() {
		t.Fatalf("CreateOrganisation did not set id/createdAt: %+v", o)
	}
	_, err = s.CreateOrganisation(ctx, store.Organisation{OrgNumber: "921234567", Name: "Duplicate"})
	wantErr(t, "duplicate orgNumber", err, store.ErrConflict)
	_, err = s.CreateOrganisation(ctx, store.Organisation{Name: "No number"})
	wantErr(t, "missing orgNumber", err, store.ErrInvalid)

	got, err := s.GetOrganisation(ctx, o.ID)
	noErr(t, "GetOrganisation", err)
	if got.Name != o.Name || !slices.Equal(got.Kommunenummer, o.Kommunenummer) || !got.CreatedAt.Equal(o.CreatedAt) {
		t.Fatalf("GetOrganisation = %+v, want %+v", got, o)
	}
	got, err = s.GetOrganisationByNumber(ctx, "921234567")
	noErr(t, "GetOrganisationByNumber", err)
	if got.ID != o.ID {
		t.Fatalf("GetOrganisationByNumber returned %s", got.ID)
	}
	_, err = s.GetOrganisation(ctx, "nope")
	wantErr(t, "GetOrganisation unknown", err, store.ErrNotFound)
	_, err = s.GetOrganisationByNumber(ctx, "999999999")
	wantErr(t, "GetOrganisationByNumber unknown", err, store.ErrNotFound)

	o2, err := s.CreateOrganisation(ctx, store.Organisation{OrgNumber: "921234568", Name: "Bærum kommune"})
	noErr(t, "CreateOrganisation 2", err)
	_, err = s.UpdateOrganisation(ctx, o2.ID, func(x store.Organisation) (store.Organisation, error) {
		x.OrgNumber = "921234567"
		return x, nil
	})
	wantErr(t, "UpdateOrganisation to taken number", err, store.ErrConflict)
	up, err := s.UpdateOrganisation(ctx, o2.ID, func(x store.Organisation) (store.Organisation, error) {
		x.Name, x.Kommunenummer, x.ID = "Bærum", []string{"3201", "3203"}, "hijack"
		return x, nil
	})
	noErr(t, "UpdateOrganisation", err)
	if up.ID != o2.ID || up.Name != "Bærum" || len(up.Kommunenummer) != 2 {
		t.Fatalf("UpdateOrganisation = %+v", up)
	}
	_, err = s.UpdateOrganisation(ctx, "nope", func(x store.Organisation) (store.Organisation, error) { return x, nil })
	wantErr(t, "UpdateOrganisation unknown", err, store.ErrNotFound)

	all, err := s.ListOrganisations(ctx)
	noErr(t, "ListOrganisations", err)
	if len(all) != 2 {
		t.Fatalf("ListOrganisations: %d organisations, want 2", len(all))
	}
	// Built-in service areas are seeded with the organisation.
	areas, err := s.Tenant(o.ID).ListServiceAreas(ctx)
	noErr(t, "ListServiceAreas", err)
	if len(areas) != len(store.BuiltinServiceAreas()) {
		t.Fatalf("seeded %d service areas, want %d", len(areas), len(store.BuiltinServiceAreas()))
	}
	for _, a := range areas {
		if !a.Builtin {
			t.Fatalf("seeded service area %s not marked builtin", a.ID)
		}
	}
	cs := changesOf(t, s.Tenant(o2.ID), store.ChangeQuery{Entity: store.EntityOrganisation})
	if len(cs) != 2 || cs[0].Action != store.ActionCreate || cs[1].Action != store.ActionUpdate || cs[1].Before == nil {
		t.Fatalf("organisation changes = %+v", cs)
	}
	noErr(t, "Ping", s.Ping(ctx))
}

func testTokens(t *testing.T, s store.Store) {
	a, b := newOrg(t, s), newOrg(t, s)
	tok, err := a.CreateToken(ctx, store.Token{Kind: store.TokenSCIM, Name: "entra", Lookup: "lk1", Hash: "secret-hash"})
	noErr(t, "CreateToken", err)
	if tok.OrgID != a.OrgID() || tok.ID == "" {
		t.Fatalf("CreateToken = %+v", tok)
	}
	_, err = b.CreateToken(ctx, store.Token{Kind: store.TokenAdmin, Name: "admin", Lookup: "lk1", Hash: "h2"})
	noErr(t, "CreateToken b", err)
	_, err = a.CreateToken(ctx, store.Token{Kind: "root", Lookup: "x", Hash: "y"})
	wantErr(t, "CreateToken bad kind", err, store.ErrInvalid)

	found, err := s.FindTokens(ctx, "lk1")
	noErr(t, "FindTokens", err)
	if len(found) != 2 || found[0].Hash == "" {
		t.Fatalf("FindTokens = %+v", found)
	}
	found, err = s.FindTokens(ctx, "none")
	noErr(t, "FindTokens none", err)
	if len(found) != 0 {
		t.Fatalf("FindTokens(none) = %+v", found)
	}
	list, err := a.ListTokens(ctx)
	noErr(t, "ListTokens", err)
	if len(list) != 1 || list[0].ID != tok.ID {
		t.Fatalf("ListTokens = %+v", list)
	}
	noErr(t, "DeleteToken", a.DeleteToken(ctx, tok.ID))
	wantErr(t, "DeleteToken twice", a.DeleteToken(ctx, tok.ID), store.ErrNotFound)
	// The change history never holds the token hash.
	for _, c := range changesOf(t, a, store.ChangeQuery{Entity: store.EntityToken}) {
		if strings.Contains(string(c.Before)+string(c.After), "secret-hash") {
			t.Fatalf("change %d leaks the token hash: %s %s", c.Seq, c.Before, c.After)
		}
	}
}

func testUsers(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	attrs := json.RawMessage(`{"userName":"Kari.Nordmann@Kommune.no","name":{"givenName":"Kari"}}`)
	u, err := tn.CreateUser(ctx, store.User{UserName: "Kari.Nordmann@Kommune.no", ExternalID: "oid-1",
		DisplayName: "Kari Nordmann", Active: true, Attributes: attrs})
	noErr(t, "CreateUser", err)
	if u.ID == "" || u.OrgID != tn.OrgID() || u.Version != 1 || u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Fatalf("CreateUser = %+v", u)
	}
	_, err = tn.CreateUser(ctx, store.User{UserName: "KARI.NORDMANN@kommune.no"})
	wantErr(t, "userName unique case-insensitively", err, store.ErrConflict)
	// externalId is stored as sent, without uniqueness (RFC 7643 §3.1).
	twin, err := tn.CreateUser(ctx, store.User{UserName: "other", ExternalID: "oid-1"})
	noErr(t, "a second user with the same externalId", err)
	_, err = tn.GetUserByExternalID(ctx, "oid-1")
	wantErr(t, "GetUserByExternalID of two users", err, store.ErrNotFound)
	twins, err := tn.ListUsers(ctx, store.ListQuery{Filter: &store.Filter{Op: store.OpEq, Attr: "externalId", Value: "oid-1"}})
	noErr(t, "ListUsers externalId eq", err)
	if twins.Total != 2 {
		t.Fatalf("externalId eq found %d users, want 2", twins.Total)
	}
	noErr(t, "DeleteUser twin", tn.DeleteUser(ctx, twin.ID))
	newUser(t, tn, "no-external-1")
	newUser(t, tn, "no-external-2") // empty externalIds never collide
	_, err = tn.CreateUser(ctx, store.User{})
	wantErr(t, "empty userName", err, store.ErrInvalid)
	_, err = tn.CreateUser(ctx, store.User{UserName: "bad-json", Attributes: json.RawMessage(`{`)})
	wantErr(t, "malformed attributes", err, store.ErrInvalid)

	for _, get := range []func() (store.User, error){
		func() (store.User, error) { return tn.GetUser(ctx, u.ID) },
		func() (store.User, error) { return tn.GetUserByUserName(ctx, "kari.nordmann@KOMMUNE.NO") },
		func() (store.User, error) { return tn.GetUserByExternalID(ctx, "oid-1") },
	} {
		got, err := get()
		noErr(t, "get user", err)
		if got.ID != u.ID || got.UserName != u.UserName || !got.CreatedAt.Equal(u.CreatedAt) || !got.Active ||
			got.DisplayName != "Kari Nordmann" || got.ExternalID != "oid-1" {
			t.Fatalf("get user = %+v, want %+v", got, u)
		}
		var a map[string]any
		if err := json.Unmarshal(got.Attributes, &a); err != nil || a["userName"] != "Kari.Nordmann@Kommune.no" {
			t.Fatalf("attributes did not round-trip: %s", got.Attributes)
		}
	}
	_, err = tn.GetUser(ctx, "nope")
	wantErr(t, "GetUser unknown", err, store.ErrNotFound)
	_, err = tn.GetUserByUserName(ctx, "nope")
	wantErr(t, "GetUserByUserName unknown", err, store.ErrNotFound)
	_, err = tn.GetUserByExternalID(ctx, "")
	wantErr(t, "GetUserByExternalID empty", err, store.ErrNotFound)

	up, err := tn.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) {
		x.Active, x.DisplayName = false, "Kari N."
		return x, nil
	})
	noErr(t, "UpdateUser", err)
	if up.Version != 2 || up.Active || up.DisplayName != "Kari N." || up.UpdatedAt.Before(u.UpdatedAt) {
		t.Fatalf("UpdateUser = %+v", up)
	}
	_, err = tn.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) {
		x.UserName = "NO-EXTERNAL-1"
		return x, nil
	})
	wantErr(t, "UpdateUser to taken userName", err, store.ErrConflict)
	noErr(t, "DeleteUser", tn.DeleteUser(ctx, u.ID))
	_, err = tn.GetUser(ctx, u.ID)
	wantErr(t, "GetUser after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteUser twice", tn.DeleteUser(ctx, u.ID), store.ErrNotFound)
	_, err = tn.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) { return x, nil })
	wantErr(t, "UpdateUser deleted", err, store.ErrNotFound)
}

// testUpdaters checks the read-modify-write contract shared by all Update*
// calls: the updater's error aborts with nothing written, and id, OrgID and
// CreatedAt cannot be changed.
func testUpdaters(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	u := newUser(t, tn, "updater")
	before := len(changesOf(t, tn, store.ChangeQuery{}))
	boom := errors.New("boom")
	_, err := tn.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) {
		x.UserName = "changed"
		return x, boom
	})
	wantErr(t, "UpdateUser updater error", err, boom)
	got, err := tn.GetUser(ctx, u.ID)
	noErr(t, "GetUser", err)
	if got.UserName != "updater" || got.Version != 1 {
		t.Fatalf("aborted update was written: %+v", got)
	}
	if n := len(changesOf(t, tn, store.ChangeQuery{})); n != before {
		t.Fatalf("aborted update recorded a change (%d → %d)", before, n)
	}
	up, err := tn.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) {
		x.ID, x.OrgID, x.CreatedAt = "other", "other-org", time.Unix(0, 0)
		return x, nil
	})
	noErr(t, "UpdateUser", err)
	if up.ID != u.ID || up.OrgID != tn.OrgID() || !up.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("updater changed identity fields: %+v", up)
	}
	r := newRole(t, tn, "r")
	_, err = tn.UpdateRole(ctx, r.ID, func(x store.Role) (store.Role, error) { return x, boom })
	wantErr(t, "UpdateRole updater error", err, boom)
	i := newIntegration(t, tn, "i")
	_, err = tn.UpdateIntegration(ctx, i.ID, func(x store.Integration) (store.Integration, error) { return x, boom })
	wantErr(t, "UpdateIntegration updater error", err, boom)
	g := newGroup(t, tn, "g")
	_, err = tn.UpdateGroup(ctx, g.ID, func(x store.Group) (store.Group, error) { return x, boom })
	wantErr(t, "UpdateGroup updater error", err, boom)
}
