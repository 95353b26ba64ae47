package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	wantMembersInvalid(t, "CreateGroup unknown member", err)
	p, err := tn.ListGroups(ctx, store.ListQuery{Filter: eq("displayName", "Ghosts")})
	noErr(t, "ListGroups", err)
	if p.Total != 0 {
		t.Fatal("CreateGroup with an unknown member left the group behind")
	}
	dup, err := tn.CreateGroup(ctx, store.Group{DisplayName: "Dup", ExternalID: "oid-g"}, nil)
	noErr(t, "CreateGroup with another group's externalId", err)
	noErr(t, "DeleteGroup", tn.DeleteGroup(ctx, dup.ID))
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
	wantMembersInvalid(t, "AddMembers unknown user", err)
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
	wantMembersInvalid(t, "ReplaceMembers unknown user", err)
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

// wantMembersInvalid checks that err names the members as the bad value:
// an unknown user is the client's mistake, not a missing group.
func wantMembersInvalid(t *testing.T, what string, err error) {
	t.Helper()
	var ve *store.ValidationError
	if !errors.As(err, &ve) || ve.Field != "members" || !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("%s: got error %v, want a ValidationError on members", what, err)
	}
}

// testPatchGroup checks that a group patch (attributes and members) is one
// transaction: all of it or nothing, with the change rows of what changed.
func testPatchGroup(t *testing.T, s store.Store) {
	var mu sync.Mutex
	var hooked []store.Change
	s.OnChange(func(c store.Change) {
		mu.Lock()
		hooked = append(hooked, c)
		mu.Unlock()
	})
	hookCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(hooked)
	}
	tn := newOrg(t, s)
	a, b, c := newUser(t, tn, "a"), newUser(t, tn, "b"), newUser(t, tn, "c")
	g, err := tn.CreateGroup(ctx, store.Group{DisplayName: "Barnevern", Attributes: json.RawMessage(`{"displayName":"Barnevern"}`)},
		[]string{a.ID})
	noErr(t, "CreateGroup", err)
	rename := func(name string) func(store.Group) (store.Group, error) {
		return func(x store.Group) (store.Group, error) {
			x.DisplayName = name
			x.Attributes = json.RawMessage(`{"displayName":"` + name + `"}`)
			return x, nil
		}
	}
	history := func() []store.Change {
		t.Helper()
		return changesOf(t, tn, store.ChangeQuery{EntityID: g.ID})
	}
	unchanged := func(what string, wantVersion int64, wantName string, wantMembers []string, wantRows int) {
		t.Helper()
		got, err := tn.GetGroup(ctx, g.ID)
		noErr(t, "GetGroup", err)
		if got.DisplayName != wantName || got.Version != wantVersion {
			t.Fatalf("%s: group %q version %d, want %q version %d", what, got.DisplayName, got.Version, wantName, wantVersion)
		}
		members, err := tn.ListMembers(ctx, g.ID)
		noErr(t, "ListMembers", err)
		sameSet(t, what+": members", members, wantMembers)
		if n := len(history()); n != wantRows {
			t.Fatalf("%s: %d change rows, want %d", what, n, wantRows)
		}
	}
	rows, hooks := len(history()), hookCount()

	// Atomicity: Entra's rename plus an add naming an unknown user changes
	// neither the name nor the members, and records and announces nothing.
	_, _, _, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Update: rename("Barnevern Oslo"),
		Add: []string{b.ID, "no-such-user"}, Remove: []string{a.ID}})
	wantMembersInvalid(t, "PatchGroup unknown member", err)
	unchanged("after unknown member", g.Version, "Barnevern", []string{a.ID}, rows)
	// An update that fails, or yields an invalid group, aborts the members too.
	_, _, _, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Add: []string{b.ID},
		Update: func(x store.Group) (store.Group, error) { return x, store.Invalid("displayName", "no") }})
	wantErr(t, "PatchGroup failing update", err, store.ErrInvalid)
	_, _, _, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Update: rename(""), Add: []string{b.ID}})
	wantErr(t, "PatchGroup empty displayName", err, store.ErrInvalid)
	// Contradictions are refused before anything is read.
	_, _, _, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Add: []string{b.ID}, Remove: []string{b.ID}})
	wantMembersInvalid(t, "PatchGroup add and remove of one user", err)
	_, _, _, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Replace: true, Remove: []string{a.ID}})
	wantMembersInvalid(t, "PatchGroup replace with removals", err)
	unchanged("after refused patches", g.Version, "Barnevern", []string{a.ID}, rows)
	if n := hookCount(); n != hooks {
		t.Fatalf("failed patches fired %d hooks", n-hooks)
	}
	// A missing group is ErrNotFound, even when a member is unknown too.
	_, _, _, err = tn.PatchGroup(ctx, "no-such-group", store.GroupPatch{Add: []string{"no-such-user"}})
	wantErr(t, "PatchGroup unknown group", err, store.ErrNotFound)

	// Rename, an idempotent add and a remove of an absent member in one
	// call: one update row, one add row with only the new member, no remove
	// row, Version moved once, hooks fired after commit in Seq order.
	got, added, removed, err := tn.PatchGroup(ctx, g.ID, store.GroupPatch{Update: rename("Barnevern Oslo"),
		Add: []string{a.ID, b.ID, b.ID}, Remove: []string{c.ID, "no-such-user"}})
	noErr(t, "PatchGroup", err)
	sameSet(t, "added", added, []string{b.ID})
	sameSet(t, "removed", removed, nil)
	if got.ID != g.ID || got.DisplayName != "Barnevern Oslo" || got.Version != g.Version+1 || !got.CreatedAt.Equal(g.CreatedAt) {
		t.Fatalf("PatchGroup = %+v", got)
	}
	unchanged("after patch", g.Version+1, "Barnevern Oslo", []string{a.ID, b.ID}, rows+2)
	cs := history()[rows:]
	var before, after store.Group
	noErr(t, "decode before", json.Unmarshal(cs[0].Before, &before))
	noErr(t, "decode after", json.Unmarshal(cs[0].After, &after))
	if cs[0].Action != store.ActionUpdate || cs[0].Entity != store.EntityGroup || before.DisplayName != "Barnevern" ||
		after.DisplayName != "Barnevern Oslo" || after.Version != got.Version {
		t.Fatalf("update row = %+v", cs[0])
	}
	var d store.MembershipDelta
	noErr(t, "decode delta", json.Unmarshal(cs[1].After, &d))
	if cs[1].Action != store.ActionAddMembers || cs[1].Entity != store.EntityMembership || d.GroupID != g.ID ||
		!slices.Equal(d.UserIDs, []string{b.ID}) || cs[1].Actor != "test:conformance" {
		t.Fatalf("membership row = %+v", cs[1])
	}
	mu.Lock()
	fired := slices.Clone(hooked[hooks:])
	mu.Unlock()
	if len(fired) != 2 || fired[0].Seq != cs[0].Seq || fired[1].Seq != cs[1].Seq {
		t.Fatalf("hooks after patch: %+v", fired)
	}

	// The same patch again changes nothing and records nothing.
	again, added, removed, err := tn.PatchGroup(ctx, g.ID, store.GroupPatch{Update: rename("Barnevern Oslo"),
		Add: []string{a.ID, b.ID}, Remove: []string{c.ID}})
	noErr(t, "PatchGroup again", err)
	sameSet(t, "added again", added, nil)
	sameSet(t, "removed again", removed, nil)
	if again.Version != got.Version {
		t.Fatalf("a no-op patch moved Version %d → %d", got.Version, again.Version)
	}
	unchanged("after repeated patch", got.Version, "Barnevern Oslo", []string{a.ID, b.ID}, rows+2)
	if n := hookCount(); n != hooks+2 {
		t.Fatalf("no-op patch fired %d hooks", n-hooks-2)
	}

	// Members only: add and remove in one call, Version moves once.
	got, added, removed, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Add: []string{c.ID}, Remove: []string{a.ID}})
	noErr(t, "PatchGroup members", err)
	sameSet(t, "added", added, []string{c.ID})
	sameSet(t, "removed", removed, []string{a.ID})
	unchanged("after member patch", again.Version+1, "Barnevern Oslo", []string{b.ID, c.ID}, rows+4)
	if got.Version != again.Version+1 {
		t.Fatalf("member patch Version %d, want %d", got.Version, again.Version+1)
	}

	// Replace (SCIM PUT): the members become exactly Add.
	_, added, removed, err = tn.PatchGroup(ctx, g.ID, store.GroupPatch{Update: rename("Barnevern"), Replace: true,
		Add: []string{a.ID, b.ID}})
	noErr(t, "PatchGroup replace", err)
	sameSet(t, "replace added", added, []string{a.ID})
	sameSet(t, "replace removed", removed, []string{c.ID})
	unchanged("after replace", got.Version+1, "Barnevern", []string{a.ID, b.ID}, rows+7)
	cs = history()[rows+4:]
	var acts []string
	for _, ch := range cs {
		acts = append(acts, ch.Action)
	}
	if !slices.Equal(acts, []string{store.ActionUpdate, store.ActionAddMembers, store.ActionRemoveMembers}) {
		t.Fatalf("replace rows %v", acts)
	}
}
