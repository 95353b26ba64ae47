package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"folkevakt/store"
)

func testServiceAreas(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	a, err := tn.CreateServiceArea(ctx, store.ServiceArea{ID: "parkering", Name: "Parkering", Builtin: true,
		LegalBasis: []string{"Forskrift om parkering"}})
	noErr(t, "CreateServiceArea", err)
	if a.Builtin {
		t.Fatal("CreateServiceArea kept Builtin = true")
	}
	_, err = tn.CreateServiceArea(ctx, store.ServiceArea{ID: "parkering", Name: "Again"})
	wantErr(t, "CreateServiceArea duplicate id", err, store.ErrConflict)
	_, err = tn.CreateServiceArea(ctx, store.ServiceArea{ID: "x"})
	wantErr(t, "CreateServiceArea without name", err, store.ErrInvalid)
	got, err := tn.GetServiceArea(ctx, "parkering")
	noErr(t, "GetServiceArea", err)
	if got.Name != "Parkering" || !slices.Equal(got.LegalBasis, a.LegalBasis) {
		t.Fatalf("GetServiceArea = %+v", got)
	}
	skole, err := tn.GetServiceArea(ctx, "skole")
	noErr(t, "GetServiceArea builtin", err)
	if !skole.Builtin || !skole.ConfidentialAllowed || len(skole.LegalBasis) == 0 {
		t.Fatalf("builtin skole = %+v", skole)
	}
	_, err = tn.GetServiceArea(ctx, "nope")
	wantErr(t, "GetServiceArea unknown", err, store.ErrNotFound)
	list, err := tn.ListServiceAreas(ctx)
	noErr(t, "ListServiceAreas", err)
	if len(list) != len(store.BuiltinServiceAreas())+1 {
		t.Fatalf("ListServiceAreas: %d", len(list))
	}
}

func testRolesAndGrants(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	r := newRole(t, tn, "Skolesekretær")
	if r.ID == "" || r.OrgID != tn.OrgID() || r.CreatedAt.IsZero() {
		t.Fatalf("CreateRole = %+v", r)
	}
	for name, bad := range map[string]store.Role{
		"unknown service area": {Name: "x", ServiceAreaID: "nope", Usage: store.UsageM2M},
		"bad usage":            {Name: "x", ServiceAreaID: "skole", Usage: "web"},
		"bad purpose":          {Name: "x", ServiceAreaID: "skole", Usage: store.UsageM2M, Purposes: []string{"fun"}},
		"bad graded":           {Name: "x", ServiceAreaID: "skole", Usage: store.UsageM2M, GradedAddresses: "maybe"},
		"no name":              {ServiceAreaID: "skole", Usage: store.UsageM2M},
	} {
		_, err := tn.CreateRole(ctx, bad)
		wantErr(t, "CreateRole "+name, err, store.ErrInvalid)
	}
	got, err := tn.GetRole(ctx, r.ID)
	noErr(t, "GetRole", err)
	if !slices.Equal(got.Elements, r.Elements) || !slices.Equal(got.Purposes, r.Purposes) || got.Usage != r.Usage ||
		got.ServiceAreaID != "skole" || got.GradedAddresses != store.GradedHide {
		t.Fatalf("GetRole = %+v, want %+v", got, r)
	}
	org, err := s.ResolveRoleOrg(ctx, r.ID)
	noErr(t, "ResolveRoleOrg", err)
	if org != tn.OrgID() {
		t.Fatalf("ResolveRoleOrg = %s", org)
	}
	_, err = s.ResolveRoleOrg(ctx, "nope")
	wantErr(t, "ResolveRoleOrg unknown", err, store.ErrNotFound)
	up, err := tn.UpdateRole(ctx, r.ID, func(x store.Role) (store.Role, error) {
		x.Elements = append(x.Elements, "bostedsadresse")
		x.GradedAddresses = store.GradedShow
		return x, nil
	})
	noErr(t, "UpdateRole", err)
	if len(up.Elements) != 3 || up.GradedAddresses != store.GradedShow {
		t.Fatalf("UpdateRole = %+v", up)
	}
	_, err = tn.UpdateRole(ctx, r.ID, func(x store.Role) (store.Role, error) {
		x.ServiceAreaID = "nope"
		return x, nil
	})
	wantErr(t, "UpdateRole unknown service area", err, store.ErrInvalid)
	roles, err := tn.ListRoles(ctx)
	noErr(t, "ListRoles", err)
	if len(roles) != 1 {
		t.Fatalf("ListRoles: %d", len(roles))
	}

	u := newUser(t, tn, "u")
	g := newGroup(t, tn, "g")
	i := newIntegration(t, tn, "i")
	exp := time.Now().Add(time.Hour)
	gu, err := tn.CreateGrant(ctx, store.Grant{RoleID: r.ID, Kind: store.SubjectUser, SubjectID: u.ID, ExpiresAt: &exp})
	noErr(t, "CreateGrant user", err)
	if gu.CreatedBy != "test:conformance" || gu.ExpiresAt == nil {
		t.Fatalf("CreateGrant = %+v", gu)
	}
	gg := newGrant(t, tn, r.ID, store.SubjectGroup, g.ID)
	gi := newGrant(t, tn, r.ID, store.SubjectIntegration, i.ID)
	_, err = tn.CreateGrant(ctx, store.Grant{RoleID: r.ID, Kind: store.SubjectGroup, SubjectID: g.ID})
	wantErr(t, "CreateGrant duplicate", err, store.ErrConflict)
	_, err = tn.CreateGrant(ctx, store.Grant{RoleID: "nope", Kind: store.SubjectGroup, SubjectID: g.ID})
	wantErr(t, "CreateGrant unknown role", err, store.ErrNotFound)
	_, err = tn.CreateGrant(ctx, store.Grant{RoleID: r.ID, Kind: store.SubjectGroup, SubjectID: u.ID})
	wantErr(t, "CreateGrant subject of the wrong kind", err, store.ErrInvalid)
	_, err = tn.CreateGrant(ctx, store.Grant{RoleID: r.ID, Kind: "team", SubjectID: g.ID})
	wantErr(t, "CreateGrant bad kind", err, store.ErrInvalid)

	got2, err := tn.GetGrant(ctx, gu.ID)
	noErr(t, "GetGrant", err)
	if got2.ExpiresAt == nil || !got2.ExpiresAt.Equal(*gu.ExpiresAt) || got2.SubjectID != u.ID {
		t.Fatalf("GetGrant = %+v, want %+v", got2, gu)
	}
	for _, q := range []struct {
		q    store.GrantQuery
		want []string
	}{
		{store.GrantQuery{}, []string{gu.ID, gg.ID, gi.ID}},
		{store.GrantQuery{RoleID: r.ID}, []string{gu.ID, gg.ID, gi.ID}},
		{store.GrantQuery{Kind: store.SubjectGroup}, []string{gg.ID}},
		{store.GrantQuery{SubjectID: i.ID}, []string{gi.ID}},
		{store.GrantQuery{RoleID: "nope"}, nil},
	} {
		list, err := tn.ListGrants(ctx, q.q)
		noErr(t, "ListGrants", err)
		var ids []string
		for _, g := range list {
			ids = append(ids, g.ID)
		}
		sameSet(t, "ListGrants", ids, q.want)
	}
	noErr(t, "DeleteGrant", tn.DeleteGrant(ctx, gg.ID))
	wantErr(t, "DeleteGrant twice", tn.DeleteGrant(ctx, gg.ID), store.ErrNotFound)
	_, err = tn.GetGrant(ctx, gg.ID)
	wantErr(t, "GetGrant deleted", err, store.ErrNotFound)
}

func testIntegrations(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	i := newIntegration(t, tn, "Visma Flyt Skole")
	if i.PasswordChangedAt.IsZero() || i.OrgID != tn.OrgID() {
		t.Fatalf("CreateIntegration = %+v", i)
	}
	_, err := tn.CreateIntegration(ctx, store.Integration{OrgNumber: "910000000"})
	wantErr(t, "CreateIntegration without name", err, store.ErrInvalid)
	res, err := s.ResolveIntegration(ctx, i.ID)
	noErr(t, "ResolveIntegration", err)
	if res.OrgID != tn.OrgID() || res.PasswordHash != "argon2id$x" || res.OrgNumber != "910000000" {
		t.Fatalf("ResolveIntegration = %+v", res)
	}
	_, err = s.ResolveIntegration(ctx, "nope")
	wantErr(t, "ResolveIntegration unknown", err, store.ErrNotFound)
	up, err := tn.UpdateIntegration(ctx, i.ID, func(x store.Integration) (store.Integration, error) {
		x.PasswordHash = "argon2id$y"
		return x, nil
	})
	noErr(t, "UpdateIntegration", err)
	if up.PasswordHash != "argon2id$y" || up.PasswordChangedAt.Before(i.PasswordChangedAt) {
		t.Fatalf("UpdateIntegration = %+v", up)
	}
	got, err := tn.GetIntegration(ctx, i.ID)
	noErr(t, "GetIntegration", err)
	if got.PasswordHash != "argon2id$y" || !got.PasswordChangedAt.Equal(up.PasswordChangedAt) {
		t.Fatalf("GetIntegration = %+v", got)
	}
	list, err := tn.ListIntegrations(ctx)
	noErr(t, "ListIntegrations", err)
	if len(list) != 1 {
		t.Fatalf("ListIntegrations: %d", len(list))
	}
	for _, c := range changesOf(t, tn, store.ChangeQuery{Entity: store.EntityIntegration}) {
		if slices.Contains([]string{string(c.Before), string(c.After)}, "argon2id$y") {
			t.Fatalf("change leaks password hash")
		}
	}
	noErr(t, "DeleteIntegration", tn.DeleteIntegration(ctx, i.ID))
	wantErr(t, "DeleteIntegration twice", tn.DeleteIntegration(ctx, i.ID), store.ErrNotFound)
	_, err = tn.GetIntegration(ctx, i.ID)
	wantErr(t, "GetIntegration deleted", err, store.ErrNotFound)
}

func testCascadeDeletes(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	u, v := newUser(t, tn, "u"), newUser(t, tn, "v")
	g := newGroup(t, tn, "g", u.ID, v.ID)
	h := newGroup(t, tn, "h", u.ID)
	r, r2 := newRole(t, tn, "r"), newRole(t, tn, "r2")
	i := newIntegration(t, tn, "i")
	gu := newGrant(t, tn, r.ID, store.SubjectUser, u.ID)
	gg := newGrant(t, tn, r.ID, store.SubjectGroup, g.ID)
	gi := newGrant(t, tn, r.ID, store.SubjectIntegration, i.ID)
	keep := newGrant(t, tn, r2.ID, store.SubjectGroup, h.ID)
	gone := newGrant(t, tn, r2.ID, store.SubjectUser, v.ID)

	noErr(t, "DeleteUser", tn.DeleteUser(ctx, u.ID))
	members, err := tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members of g after DeleteUser", members, []string{v.ID})
	members, err = tn.ListMembers(ctx, h.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members of h after DeleteUser", members, nil)
	_, err = tn.GetGrant(ctx, gu.ID)
	wantErr(t, "user grant after DeleteUser", err, store.ErrNotFound)

	noErr(t, "DeleteGroup", tn.DeleteGroup(ctx, g.ID))
	groups, err := tn.ListUserGroups(ctx, v.ID)
	noErr(t, "ListUserGroups", err)
	sameSet(t, "groups of v after DeleteGroup", groups, nil)
	_, err = tn.GetGrant(ctx, gg.ID)
	wantErr(t, "group grant after DeleteGroup", err, store.ErrNotFound)

	noErr(t, "DeleteIntegration", tn.DeleteIntegration(ctx, i.ID))
	_, err = tn.GetGrant(ctx, gi.ID)
	wantErr(t, "integration grant after DeleteIntegration", err, store.ErrNotFound)

	noErr(t, "DeleteRole", tn.DeleteRole(ctx, r2.ID))
	for _, id := range []string{keep.ID, gone.ID} {
		_, err = tn.GetGrant(ctx, id)
		wantErr(t, "grant after DeleteRole", err, store.ErrNotFound)
	}
	wantErr(t, "DeleteRole twice", tn.DeleteRole(ctx, r2.ID), store.ErrNotFound)
	list, err := tn.ListGrants(ctx, store.GrantQuery{})
	noErr(t, "ListGrants", err)
	if len(list) != 0 {
		t.Fatalf("grants left after cascades: %+v", list)
	}
}

func testPolicySnapshot(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	a := newUser(t, tn, "a")
	b, err := tn.CreateUser(ctx, store.User{UserName: "inactive"})
	noErr(t, "CreateUser", err)
	g := newGroup(t, tn, "g", a.ID, b.ID)
	r := newRole(t, tn, "r")
	i := newIntegration(t, tn, "i")
	newGrant(t, tn, r.ID, store.SubjectGroup, g.ID)
	other := newOrg(t, s)
	newUser(t, other, "elsewhere")

	p, err := tn.PolicySnapshot(ctx)
	noErr(t, "PolicySnapshot", err)
	sameSet(t, "active users", p.ActiveUsers, []string{a.ID})
	if len(p.Memberships) != 2 || len(p.Roles) != 1 || len(p.Grants) != 1 ||
		len(p.ServiceAreas) != len(store.BuiltinServiceAreas()) {
		t.Fatalf("PolicySnapshot = %+v", p)
	}
	sameSet(t, "integrations", p.Integrations, []string{i.ID})
	for _, m := range p.Memberships {
		if m.GroupID != g.ID {
			t.Fatalf("membership %+v", m)
		}
	}
	// LastSeq covers every change so far, of any organisation.
	cs, err := s.ChangesSince(ctx, p.LastSeq, 10)
	noErr(t, "ChangesSince", err)
	if len(cs) != 0 {
		t.Fatalf("changes after LastSeq %d: %+v", p.LastSeq, cs)
	}
	newUser(t, tn, "later")
	cs, err = s.ChangesSince(ctx, p.LastSeq, 10)
	noErr(t, "ChangesSince", err)
	if len(cs) != 1 || cs[0].Entity != store.EntityUser {
		t.Fatalf("ChangesSince after snapshot = %+v", cs)
	}
}

var errStop = errors.New("stop")
