package storetest

import (
	"slices"
	"testing"
	"time"

	"folkevakt/store"
)

// testApplyPolicyPlan checks that a policy plan is applied in order, records
// every change with the actor, and is all-or-nothing.
func testApplyPolicyPlan(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	keep := newRole(t, tn, "Keep")
	gone := newRole(t, tn, "Gone")
	grp := newGroup(t, tn, "Skole")
	u := newUser(t, tn, "kari")
	oldGrant := newGrant(t, tn, keep.ID, store.SubjectGroup, grp.ID)
	goneGrant := newGrant(t, tn, gone.ID, store.SubjectUser, u.ID)
	before := len(changesOf(t, tn, store.ChangeQuery{}))

	noErr(t, "ApplyPolicyPlan empty", tn.ApplyPolicyPlan(ctx, store.PolicyPlan{}))
	if !(store.PolicyPlan{}).Empty() {
		t.Fatal("empty plan not Empty")
	}

	// A failing plan (the last grant names an unknown user) changes nothing.
	bad := store.PolicyPlan{
		DeleteGrants: []string{oldGrant.ID},
		DeleteRoles:  []string{gone.ID},
		CreateRoles:  []store.Role{{ID: "11111111-2222-4333-8444-555555555555", Name: "New", ServiceAreaID: "skole", Usage: store.UsageM2M, Purposes: []string{store.PurposeSearch}}},
		CreateGrants: []store.Grant{{RoleID: "11111111-2222-4333-8444-555555555555", Kind: store.SubjectUser, SubjectID: "no-such-user"}},
	}
	wantErr(t, "ApplyPolicyPlan bad subject", tn.ApplyPolicyPlan(ctx, bad), store.ErrInvalid)
	if _, err := tn.GetRole(ctx, gone.ID); err != nil {
		t.Fatalf("failed plan deleted a role: %v", err)
	}
	if _, err := tn.GetGrant(ctx, oldGrant.ID); err != nil {
		t.Fatalf("failed plan deleted a grant: %v", err)
	}
	if _, err := tn.GetRole(ctx, bad.CreateRoles[0].ID); err == nil {
		t.Fatal("failed plan created a role")
	}
	if n := len(changesOf(t, tn, store.ChangeQuery{})); n != before {
		t.Fatalf("failed plan recorded %d changes", n-before)
	}
	// An invalid role update fails the whole plan too.
	badUpdate := keep
	badUpdate.ServiceAreaID = "nope"
	wantErr(t, "ApplyPolicyPlan bad update", tn.ApplyPolicyPlan(ctx, store.PolicyPlan{
		DeleteRoles: []string{gone.ID}, UpdateRoles: []store.Role{badUpdate}}), store.ErrInvalid)
	if _, err := tn.GetRole(ctx, gone.ID); err != nil {
		t.Fatalf("failed plan deleted a role: %v", err)
	}

	// A good plan: everything lands, in one go, with the actor.
	exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	updated := keep
	updated.Elements = []string{"identifikasjonsnummer", "navn", "kjoenn"}
	newID := "11111111-2222-4333-8444-666666666666"
	good := store.PolicyPlan{
		DeleteGrants: []string{oldGrant.ID},
		DeleteRoles:  []string{gone.ID},
		UpdateRoles:  []store.Role{updated},
		CreateRoles:  []store.Role{{ID: newID, Name: "New", ServiceAreaID: "skole", Usage: store.UsageM2M, Purposes: []string{store.PurposeSearch}, Elements: []string{"identifikasjonsnummer"}}},
		CreateGrants: []store.Grant{
			{RoleID: keep.ID, Kind: store.SubjectGroup, SubjectID: grp.ID, ExpiresAt: &exp},
			{RoleID: newID, Kind: store.SubjectUser, SubjectID: u.ID},
		},
	}
	noErr(t, "ApplyPolicyPlan", tn.ApplyPolicyPlan(store.WithActor(ctx, "import:test"), good))
	if _, err := tn.GetRole(ctx, gone.ID); err == nil {
		t.Fatal("deleted role still there")
	}
	if _, err := tn.GetGrant(ctx, goneGrant.ID); err == nil {
		t.Fatal("grant of deleted role still there")
	}
	got, err := tn.GetRole(ctx, keep.ID)
	noErr(t, "GetRole updated", err)
	if !slices.Equal(got.Elements, updated.Elements) || !got.CreatedAt.Equal(keep.CreatedAt) {
		t.Fatalf("updated role = %+v", got)
	}
	if _, err := tn.GetRole(ctx, newID); err != nil {
		t.Fatalf("created role: %v", err)
	}
	grants, err := tn.ListGrants(ctx, store.GrantQuery{RoleID: keep.ID})
	noErr(t, "ListGrants", err)
	if len(grants) != 1 || grants[0].ExpiresAt == nil || !grants[0].ExpiresAt.Equal(exp) || grants[0].CreatedBy != "import:test" {
		t.Fatalf("grants of kept role = %+v", grants)
	}
	changes := changesOf(t, tn, store.ChangeQuery{Actor: "import:test"})
	// 1 grant delete + 1 role delete + 1 update + 1 create + 2 grant creates.
	if len(changes) != 6 {
		t.Fatalf("plan recorded %d changes with its actor, want 6", len(changes))
	}
}
