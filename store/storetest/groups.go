package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"folkevakt/store"
)

func testGroups(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	u := newUser(t, tn, "member")
	g, err := tn.CreateGroup(ctx, store.Group{DisplayName: "Rektorer", ExternalID: "oid-g",
		Attributes: json.RawMessage(`{"displayName":"Rektorer"}`)}, []string{u.ID})
	noErr(t, "CreateGroup", err)
	if g.ID == "" || g.Version != 1 || g.OrgID != tn.OrgID() {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err = tn.CreateGroup(ctx, store.Group{DisplayName: "Ghosts"}, []string{"no-such-user"})
	wantErr(t, "CreateGroup unknown member", err, store.ErrNotFound)
	p, err := tn.ListGroups(ctx, store.ListQuery{Filter: eq("displayName", "Ghosts")})
	noErr(t, "ListGroups", err)
	if p.Total != 0 {
		t.Fatal("CreateGroup with an unknown member left the group behind")
	}
	_, err = tn.CreateGroup(ctx, store.Group{DisplayName: "Dup", ExternalID: "oid-g"}, nil)
	wantErr(t, "CreateGroup duplicate externalId", err, store.ErrConflict)
	_, err = tn.CreateGroup(ctx, store.Group{}, nil)
	wantErr(t, "CreateGroup without displayName", err, store.ErrInvalid)

	got, err := tn.GetGroup(ctx, g.ID)
	noErr(t, "GetGroup", err)
	if got.DisplayName != "Rektorer" || got.ExternalID != "oid-g" || string(got.Attributes) != `{"displayName":"Rektorer"}` {
		t.Fatalf("GetGroup = %+v", got)
	}
	_, err = tn.GetGroup(ctx, "nope")
	wantErr(t, "GetGroup unknown", err, store.ErrNotFound)
	up, err := tn.UpdateGroup(ctx, g.ID, func(x store.Group) (store.Group, error) {
		x.DisplayName = "Rektorer Vest"
		return x, nil
	})
	noErr(t, "UpdateGroup", err)
	if up.Version != got.Version+1 || up.DisplayName != "Rektorer Vest" {
		t.Fatalf("UpdateGroup = %+v", up)
	}
	members, err := tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members after UpdateGroup", members, []string{u.ID})
	noErr(t, "DeleteGroup", tn.DeleteGroup(ctx, g.ID))
	_, err = tn.GetGroup(ctx, g.ID)
	wantErr(t, "GetGroup after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteGroup twice", tn.DeleteGroup(ctx, g.ID), store.ErrNotFound)
	_, err = tn.ListMembers(ctx, g.ID)
	wantErr(t, "ListMembers of deleted group", err, store.ErrNotFound)
}

func testMemberships(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	a, b, c := newUser(t, tn, "a"), newUser(t, tn, "b"), newUser(t, tn, "c")
	g := newGroup(t, tn, "g", a.ID)

	added, err := tn.AddMembers(ctx, g.ID, []string{a.ID, b.ID, b.ID})
	noErr(t, "AddMembers", err)
	sameSet(t, "added", added, []string{b.ID})
	added, err = tn.AddMembers(ctx, g.ID, []string{a.ID, b.ID})
	noErr(t, "AddMembers again", err)
	sameSet(t, "added again", added, nil)

	before, err := tn.GetGroup(ctx, g.ID)
	noErr(t, "GetGroup", err)
	_, err = tn.AddMembers(ctx, g.ID, []string{c.ID, "no-such-user"})
	wantErr(t, "AddMembers unknown user", err, store.ErrNotFound)
	members, err := tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members after failed add", members, []string{a.ID, b.ID})
	_, err = tn.AddMembers(ctx, "no-such-group", []string{a.ID})
	wantErr(t, "AddMembers unknown group", err, store.ErrNotFound)

	removed, err := tn.RemoveMembers(ctx, g.ID, []string{b.ID, c.ID, "no-such-user"})
	noErr(t, "RemoveMembers", err)
	sameSet(t, "removed", removed, []string{b.ID})
	_, err = tn.RemoveMembers(ctx, "no-such-group", []string{a.ID})
	wantErr(t, "RemoveMembers unknown group", err, store.ErrNotFound)

	added, removed, err = tn.ReplaceMembers(ctx, g.ID, []string{b.ID, c.ID})
	noErr(t, "ReplaceMembers", err)
	sameSet(t, "replace added", added, []string{b.ID, c.ID})
	sameSet(t, "replace removed", removed, []string{a.ID})
	members, err = tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members after replace", members, []string{b.ID, c.ID})
	_, _, err = tn.ReplaceMembers(ctx, g.ID, []string{a.ID, "no-such-user"})
	wantErr(t, "ReplaceMembers unknown user", err, store.ErrNotFound)
	members, err = tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	sameSet(t, "members after failed replace", members, []string{b.ID, c.ID})

	after, err := tn.GetGroup(ctx, g.ID)
	noErr(t, "GetGroup", err)
	if after.Version <= before.Version {
		t.Fatalf("membership changes did not bump the group version (%d → %d)", before.Version, after.Version)
	}
	groups, err := tn.ListUserGroups(ctx, c.ID)
	noErr(t, "ListUserGroups", err)
	sameSet(t, "groups of c", groups, []string{g.ID})
	groups, err = tn.ListUserGroups(ctx, a.ID)
	noErr(t, "ListUserGroups", err)
	sameSet(t, "groups of a", groups, nil)
	_, err = tn.ListUserGroups(ctx, "no-such-user")
	wantErr(t, "ListUserGroups unknown user", err, store.ErrNotFound)

	// Deltas name only what changed; a no-op writes no change row.
	cs := changesOf(t, tn, store.ChangeQuery{Entity: store.EntityMembership, EntityID: g.ID})
	var got []string
	for _, ch := range cs {
		var d store.MembershipDelta
		noErr(t, "decode delta", json.Unmarshal(ch.After, &d))
		if d.GroupID != g.ID {
			t.Fatalf("delta for group %s", d.GroupID)
		}
		got = append(got, fmt.Sprintf("%s%v", ch.Action, sorted(d.UserIDs)))
	}
	want := []string{
		fmt.Sprintf("%s%v", store.ActionAddMembers, []string{a.ID}), // CreateGroup
		fmt.Sprintf("%s%v", store.ActionAddMembers, []string{b.ID}),
		fmt.Sprintf("%s%v", store.ActionRemoveMembers, []string{b.ID}),
		fmt.Sprintf("%s%v", store.ActionAddMembers, sorted([]string{b.ID, c.ID})),
		fmt.Sprintf("%s%v", store.ActionRemoveMembers, []string{a.ID}),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("membership changes:\n got %v\nwant %v", got, want)
	}
}

// testConcurrentAddMembers adds members to one group from many goroutines;
// none may be lost.
func testConcurrentAddMembers(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	g := newGroup(t, tn, "big")
	const workers, per = 8, 12
	ids := make([][]string, workers)
	for w := range workers {
		for i := range per {
			ids[w] = append(ids[w], newUser(t, tn, fmt.Sprintf("u%d-%d", w, i)).ID)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*per)
	for w := range workers {
		wg.Go(func() {
			for _, id := range ids[w] {
				// Every add also re-adds the worker's first user, which must
				// stay idempotent under contention.
				if _, err := tn.AddMembers(ctx, g.ID, []string{id, ids[w][0]}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AddMembers: %v", err)
	}
	members, err := tn.ListMembers(ctx, g.ID)
	noErr(t, "ListMembers", err)
	var want []string
	for _, w := range ids {
		want = append(want, w...)
	}
	sameSet(t, "members", members, want)
}
