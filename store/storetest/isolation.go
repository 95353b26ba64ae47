package storetest

import (
	"testing"

	"folkevakt/store"
)

// testTenantIsolation creates one of everything in org B and checks that
// org A's Tenant can neither see, change nor delete any of it.
func testTenantIsolation(t *testing.T, s store.Store) {
	a, b := newOrg(t, s), newOrg(t, s)
	bu := newUser(t, b, "shared@kommune.no")
	bg := newGroup(t, b, "B-group", bu.ID)
	br := newRole(t, b, "B-role")
	bi := newIntegration(t, b, "B-integration")
	bgr := newGrant(t, b, br.ID, store.SubjectGroup, bg.ID)
	bt, err := b.CreateToken(ctx, store.Token{Kind: store.TokenSCIM, Name: "b", Lookup: "b-lookup", Hash: "h"})
	noErr(t, "CreateToken", err)
	bo, err := b.CreateListOrder(ctx, store.ListOrder{RoleID: br.ID, SubjectKind: store.SubjectUser, SubjectID: bu.ID})
	noErr(t, "CreateListOrder", err)
	_, err = s.AppendAudit(ctx, []store.AuditRecord{{OrgID: b.OrgID(), SubjectID: bu.ID, Persons: []string{"01010112345"},
		Decision: store.DecisionAllow}})
	noErr(t, "AppendAudit", err)
	_, err = b.CreateServiceArea(ctx, store.ServiceArea{ID: "b-only", Name: "B only"})
	noErr(t, "CreateServiceArea", err)

	// The same userName is free in another organisation.
	au := newUser(t, a, "SHARED@kommune.no")
	ag := newGroup(t, a, "A-group")
	ar := newRole(t, a, "A-role")

	notFound := func(what string, err error) {
		t.Helper()
		wantErr(t, what, err, store.ErrNotFound)
	}
	_, err = a.GetUser(ctx, bu.ID)
	notFound("GetUser", err)
	got, err := a.GetUserByUserName(ctx, "shared@kommune.no")
	noErr(t, "GetUserByUserName", err)
	if got.ID != au.ID {
		t.Fatal("GetUserByUserName returned the other organisation's user")
	}
	_, err = a.UpdateUser(ctx, bu.ID, func(u store.User) (store.User, error) { return u, nil })
	notFound("UpdateUser", err)
	notFound("DeleteUser", a.DeleteUser(ctx, bu.ID))
	_, err = a.GetGroup(ctx, bg.ID)
	notFound("GetGroup", err)
	_, err = a.UpdateGroup(ctx, bg.ID, func(g store.Group) (store.Group, error) { return g, nil })
	notFound("UpdateGroup", err)
	_, err = a.ListMembers(ctx, bg.ID)
	notFound("ListMembers", err)
	_, err = a.AddMembers(ctx, bg.ID, []string{au.ID})
	notFound("AddMembers to B's group", err)
	// Another organisation's user is unknown here, so it is a bad member
	// value, exactly like an id that exists nowhere.
	_, err = a.AddMembers(ctx, ag.ID, []string{bu.ID})
	wantMembersInvalid(t, "AddMembers of B's user", err)
	_, _, _, err = a.PatchGroup(ctx, bg.ID, store.GroupPatch{Remove: []string{bu.ID}})
	notFound("PatchGroup", err)
	_, err = a.RemoveMembers(ctx, bg.ID, []string{bu.ID})
	notFound("RemoveMembers", err)
	_, _, err = a.ReplaceMembers(ctx, bg.ID, nil)
	notFound("ReplaceMembers", err)
	_, err = a.ListUserGroups(ctx, bu.ID)
	notFound("ListUserGroups", err)
	notFound("DeleteGroup", a.DeleteGroup(ctx, bg.ID))
	_, err = a.GetRole(ctx, br.ID)
	notFound("GetRole", err)
	_, err = a.UpdateRole(ctx, br.ID, func(r store.Role) (store.Role, error) { return r, nil })
	notFound("UpdateRole", err)
	notFound("DeleteRole", a.DeleteRole(ctx, br.ID))
	_, err = a.GetIntegration(ctx, bi.ID)
	notFound("GetIntegration", err)
	_, err = a.UpdateIntegration(ctx, bi.ID, func(i store.Integration) (store.Integration, error) { return i, nil })
	notFound("UpdateIntegration", err)
	notFound("DeleteIntegration", a.DeleteIntegration(ctx, bi.ID))
	_, err = a.GetGrant(ctx, bgr.ID)
	notFound("GetGrant", err)
	notFound("DeleteGrant", a.DeleteGrant(ctx, bgr.ID))
	_, err = a.CreateGrant(ctx, store.Grant{RoleID: br.ID, Kind: store.SubjectUser, SubjectID: au.ID})
	notFound("CreateGrant on B's role", err)
	_, err = a.CreateGrant(ctx, store.Grant{RoleID: ar.ID, Kind: store.SubjectGroup, SubjectID: bg.ID})
	wantErr(t, "CreateGrant to B's group", err, store.ErrInvalid)
	notFound("DeleteToken", a.DeleteToken(ctx, bt.ID))
	_, err = a.GetListOrder(ctx, bo.ID)
	notFound("GetListOrder", err)
	_, err = a.UpdateListOrder(ctx, bo.ID, func(o store.ListOrder) (store.ListOrder, error) { return o, nil })
	notFound("UpdateListOrder", err)
	_, err = a.GetServiceArea(ctx, "b-only")
	notFound("GetServiceArea", err)
	_, err = a.CreateRole(ctx, store.Role{Name: "x", ServiceAreaID: "b-only", Usage: store.UsageM2M})
	wantErr(t, "CreateRole in B's service area", err, store.ErrInvalid)

	// Listings hold only A's rows.
	users, err := a.ListUsers(ctx, store.ListQuery{})
	noErr(t, "ListUsers", err)
	sameSet(t, "ListUsers", userIDs(users.Items), []string{au.ID})
	groups, err := a.ListGroups(ctx, store.ListQuery{Filter: eq("members.value", bu.ID)})
	noErr(t, "ListGroups", err)
	if groups.Total != 0 {
		t.Fatal("ListGroups matched B's membership")
	}
	roles, err := a.ListRoles(ctx)
	noErr(t, "ListRoles", err)
	if len(roles) != 1 || roles[0].ID != ar.ID {
		t.Fatalf("ListRoles = %+v", roles)
	}
	for what, n := range map[string]func() (int, error){
		"ListIntegrations": func() (int, error) { l, err := a.ListIntegrations(ctx); return len(l), err },
		"ListGrants":       func() (int, error) { l, err := a.ListGrants(ctx, store.GrantQuery{}); return len(l), err },
		"ListTokens":       func() (int, error) { l, err := a.ListTokens(ctx); return len(l), err },
		"ListListOrders":   func() (int, error) { l, err := a.ListListOrders(ctx, store.ListOrderQuery{}); return len(l), err },
		"ListAudit": func() (int, error) {
			p, err := a.ListAudit(ctx, store.AuditQuery{Person: "01010112345"})
			return p.Total, err
		},
		"ScanAudit": func() (n int, err error) {
			return n, a.ScanAudit(ctx, 0, func(store.AuditRecord) error { n++; return nil })
		},
		"ListServiceAreas": func() (int, error) {
			l, err := a.ListServiceAreas(ctx)
			return len(l) - len(store.BuiltinServiceAreas()), err
		},
	} {
		got, err := n()
		noErr(t, what, err)
		if got != 0 {
			t.Fatalf("%s shows %d rows of another organisation", what, got)
		}
	}
	snap, err := a.PolicySnapshot(ctx)
	noErr(t, "PolicySnapshot", err)
	if len(snap.Memberships) != 0 || len(snap.Grants) != 0 || len(snap.Integrations) != 0 || len(snap.Roles) != 1 {
		t.Fatalf("PolicySnapshot shows another organisation: %+v", snap)
	}
	for _, c := range changesOf(t, a, store.ChangeQuery{}) {
		if c.OrgID != a.OrgID() {
			t.Fatalf("ListChanges shows change %+v", c)
		}
		for _, id := range []string{bu.ID, bg.ID, br.ID, bi.ID, bgr.ID, bt.ID} {
			if c.EntityID == id {
				t.Fatalf("ListChanges shows B's entity %s", id)
			}
		}
	}
	// B's data is untouched by A's attempts.
	members, err := b.ListMembers(ctx, bg.ID)
	noErr(t, "B ListMembers", err)
	sameSet(t, "B members", members, []string{bu.ID})
}
