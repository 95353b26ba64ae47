package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"folkevakt/store"
)

const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func eq(attr string, v any) *store.Filter { return &store.Filter{Op: store.OpEq, Attr: attr, Value: v} }

func op(o store.FilterOp, attr string, v any) *store.Filter {
	return &store.Filter{Op: o, Attr: attr, Value: v}
}

func and(l, r *store.Filter) *store.Filter { return &store.Filter{Op: store.OpAnd, Left: l, Right: r} }
func or(l, r *store.Filter) *store.Filter  { return &store.Filter{Op: store.OpOr, Left: l, Right: r} }
func not(f *store.Filter) *store.Filter    { return &store.Filter{Op: store.OpNot, Left: f} }

func valuePath(attr string, inner *store.Filter) *store.Filter {
	return &store.Filter{Op: store.OpValuePath, Attr: attr, Left: inner}
}

// filterUsers creates the users of the filter table, keyed by short name.
func filterUsers(t *testing.T, tn store.Tenant) map[string]store.User {
	t.Helper()
	users := map[string]store.User{}
	for _, u := range []struct {
		key string
		u   store.User
	}{
		{"alice", store.User{UserName: "Alice@Kommune.no", ExternalID: "ext-A", DisplayName: "Alice Ødegård", Active: true,
			Attributes: json.RawMessage(`{"userName":"Alice@Kommune.no","title":"Rådgiver",
				"name":{"givenName":"Alice","familyName":"Ødegård"},
				"emails":[{"value":"alice@kommune.no","type":"work","primary":true},{"value":"alice@gmail.com","type":"home"}],
				"` + enterprise + `":{"employeeNumber":"1001","department":"Oppvekst"}}`)}},
		{"bob", store.User{UserName: "bob@kommune.no", ExternalID: "ext-B", DisplayName: "Bob Hansen", Active: false,
			Attributes: json.RawMessage(`{"userName":"bob@kommune.no","title":"100%_done",
				"emails":[{"value":"bob@home.no","type":"home"}],
				"` + enterprise + `":{"employeeNumber":"1002"}}`)}},
		{"carol", store.User{UserName: "carol_x@kommune.no", DisplayName: "Carol", Active: true,
			Attributes: json.RawMessage(`{"userName":"carol_x@kommune.no","emails":[],
				"` + enterprise + `":{"employeeNumber":"2001"}}`)}},
		{"dave", store.User{UserName: "dave@annen.no", ExternalID: "EXT-a", Active: true}},
	} {
		got, err := tn.CreateUser(ctx, u.u)
		noErr(t, "CreateUser "+u.key, err)
		users[u.key] = got
	}
	return users
}

func testUserFilters(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	users := filterUsers(t, tn)
	// A user of another organisation with a matching name must never appear.
	other := newOrg(t, s)
	newUser(t, other, "alice@kommune.no")
	g := newGroup(t, tn, "Lærere", users["alice"].ID)

	tests := []struct {
		name   string
		filter *store.Filter
		want   []string
	}{
		{"no filter", nil, []string{"alice", "bob", "carol", "dave"}},
		{"userName eq ignores case", eq("userName", "alice@KOMMUNE.no"), []string{"alice"}},
		{"attribute name ignores case", eq("USERNAME", "ALICE@kommune.no"), []string{"alice"}},
		{"core URN prefix", eq("urn:ietf:params:scim:schemas:core:2.0:User:userName", "bob@kommune.no"), []string{"bob"}},
		{"userName sw", op(store.OpSw, "userName", "B"), []string{"bob"}},
		{"userName ew", op(store.OpEw, "userName", "@KOMMUNE.NO"), []string{"alice", "bob", "carol"}},
		{"co escapes _", op(store.OpCo, "userName", "_"), []string{"carol"}},
		{"co escapes %", op(store.OpCo, "title", "%"), []string{"bob"}},
		{"externalId is case-exact", eq("externalId", "ext-A"), []string{"alice"}},
		{"externalId no case-folding", eq("externalId", "EXT-A"), nil},
		{"externalId pr", op(store.OpPr, "externalId", nil), []string{"alice", "bob", "dave"}},
		{"displayName eq folds Unicode", eq("displayName", "ALICE ØDEGÅRD"), []string{"alice"}},
		{"displayName co", op(store.OpCo, "displayName", "ødeg"), []string{"alice"}},
		{"id eq", eq("id", users["bob"].ID), []string{"bob"}},
		{"active eq false", eq("active", false), []string{"bob"}},
		{"not active", not(eq("active", true)), []string{"bob"}},
		{"title pr", op(store.OpPr, "title", nil), []string{"alice", "bob"}},
		{"not title pr", not(op(store.OpPr, "title", nil)), []string{"carol", "dave"}},
		{"title ne", op(store.OpNe, "title", "rådgiver"), []string{"bob", "carol", "dave"}},
		{"JSON sub-attribute folds Unicode", eq("name.familyName", "ØDEGÅRD"), []string{"alice"}},
		{"name.GIVENNAME any case", eq("name.GIVENNAME", "alice"), []string{"alice"}},
		{"emails.value eq", eq("emails.value", "BOB@home.no"), []string{"bob"}},
		{"emails.value co", op(store.OpCo, "emails.value", "gmail"), []string{"alice"}},
		{"emails eq compares value", eq("emails", "alice@gmail.com"), []string{"alice"}},
		{"emails pr", op(store.OpPr, "emails", nil), []string{"alice", "bob"}},
		{"emails[type eq work]", valuePath("emails", eq("type", "work")), []string{"alice"}},
		{"emails[type eq home and value ew .no]",
			valuePath("emails", and(eq("type", "home"), op(store.OpEw, "value", ".no"))), []string{"bob"}},
		{"emails[type eq work and value co gmail] needs one element", valuePath("emails",
			and(eq("type", "work"), op(store.OpCo, "value", "gmail"))), nil},
		{"emails[primary eq true]", valuePath("emails", eq("primary", true)), []string{"alice"}},
		{"enterprise employeeNumber", eq(enterprise+":employeeNumber", "1002"), []string{"bob"}},
		{"enterprise URN any case", op(store.OpSw, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER", "1"),
			[]string{"alice", "bob"}},
		{"enterprise gt", op(store.OpGt, enterprise+":employeeNumber", "1001"), []string{"bob", "carol"}},
		{"enterprise le", op(store.OpLe, enterprise+":employeeNumber", "1001"), []string{"alice"}},
		{"enterprise department pr", op(store.OpPr, enterprise+":department", nil), []string{"alice"}},
		{"or", or(eq("userName", "dave@annen.no"), op(store.OpSw, "userName", "carol")), []string{"carol", "dave"}},
		{"and", and(eq("active", true), op(store.OpPr, "emails", nil)), []string{"alice"}},
		{"not or", not(or(eq("active", false), op(store.OpPr, "title", nil))), []string{"carol", "dave"}},
		{"meta.created ge", op(store.OpGe, "meta.created", "2000-01-01T00:00:00Z"), []string{"alice", "bob", "carol", "dave"}},
		{"meta.lastModified lt", op(store.OpLt, "meta.lastModified", "2000-01-01T00:00:00Z"), nil},
		{"groups.value", eq("groups.value", g.ID), []string{"alice"}},
		{"unknown attribute matches nothing", eq("nickName", "x"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tn.ListUsers(ctx, store.ListQuery{Filter: tc.filter})
			noErr(t, "ListUsers", err)
			want := make([]string, len(tc.want))
			for i, k := range tc.want {
				want[i] = users[k].ID
			}
			sameSet(t, "matched users", userIDs(p.Items), want)
			if p.Total != len(want) {
				t.Fatalf("Total = %d, want %d", p.Total, len(want))
			}
		})
	}
}

func testGroupFilters(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	a, b := newUser(t, tn, "a"), newUser(t, tn, "b")
	teachers := newGroup(t, tn, "Lærere Øst", a.ID, b.ID)
	nurses, err := tn.CreateGroup(ctx, store.Group{DisplayName: "Sykepleiere", ExternalID: "grp-1",
		Attributes: json.RawMessage(`{"displayName":"Sykepleiere"}`)}, []string{b.ID})
	noErr(t, "CreateGroup", err)
	empty := newGroup(t, tn, "Tom")
	tests := []struct {
		name   string
		filter *store.Filter
		want   []string
	}{
		{"displayName eq ignores case", eq("displayname", "LÆRERE ØST"), []string{teachers.ID}},
		{"displayName sw", op(store.OpSw, "displayName", "syke"), []string{nurses.ID}},
		{"externalId eq", eq("externalId", "grp-1"), []string{nurses.ID}},
		{"members[value eq a]", valuePath("members", eq("value", a.ID)), []string{teachers.ID}},
		{"members.value eq b", eq("members.value", b.ID), []string{teachers.ID, nurses.ID}},
		{"id and members (Azure probe)", and(eq("id", teachers.ID), valuePath("members", eq("value", b.ID))), []string{teachers.ID}},
		{"members pr", op(store.OpPr, "members", nil), []string{teachers.ID, nurses.ID}},
		{"not members pr", not(op(store.OpPr, "members", nil)), []string{empty.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tn.ListGroups(ctx, store.ListQuery{Filter: tc.filter})
			noErr(t, "ListGroups", err)
			var got []string
			for _, g := range p.Items {
				got = append(got, g.ID)
			}
			sameSet(t, "matched groups", got, tc.want)
		})
	}
}

func testInvalidFilters(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	newUser(t, tn, "someone")
	for name, f := range map[string]*store.Filter{
		"unknown operator":      op("xx", "userName", "a"),
		"and without operand":   {Op: store.OpAnd, Left: eq("userName", "a")},
		"bool on text column":   eq("userName", true),
		"string on bool column": op(store.OpCo, "active", "t"),
		"gt on bool":            op(store.OpGt, "active", true),
		"bad time":              op(store.OpGt, "meta.created", "yesterday"),
		"null value":            eq("userName", nil),
		"quote in attribute":    eq(`na"me`, "x"),
		"value path on scalar":  valuePath("title", eq("value", "x")),
		"nested value path":     valuePath("emails", valuePath("emails", eq("type", "x"))),
	} {
		_, err := tn.ListUsers(ctx, store.ListQuery{Filter: f})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: got %v, want *ValidationError", name, err)
		}
	}
}

// testFilterSize: a filter too large for the database is a
// *ValidationError, never a database error (SQLite answered 1,000 "or"
// terms with "Expression tree is too large"); one of the size the SCIM
// layer lets through runs.
func testFilterSize(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	u := newUser(t, tn, "someone")
	g := newGroup(t, tn, "Lærere", u.ID)
	chain := func(n int, join func(l, r *store.Filter) *store.Filter, leaf func(i int) *store.Filter) *store.Filter {
		f := leaf(0)
		for i := 1; i < n; i++ {
			f = join(f, leaf(i))
		}
		return f
	}
	nots := func(n int, f *store.Filter) *store.Filter {
		for range n {
			f = not(f)
		}
		return f
	}
	userName := func(i int) *store.Filter { return eq("userName", fmt.Sprintf("u%d", i)) }
	email := func(i int) *store.Filter { return op(store.OpCo, "emails.value", fmt.Sprint(i)) }
	member := func(i int) *store.Filter { return valuePath("members", eq("value", fmt.Sprint(i))) }
	for name, f := range map[string]*store.Filter{
		"1,200 or":         chain(1200, or, userName),
		"1,200 nested not": nots(1200, userName(0)),
		"100,000 not":      nots(100_000, userName(0)),
	} {
		_, err := tn.ListUsers(ctx, store.ListQuery{Filter: f})
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("users, %s: got %v, want *ValidationError", name, err)
		}
	}
	_, err := tn.ListGroups(ctx, store.ListQuery{Filter: chain(1200, and, member)})
	var ve *store.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("groups, 1,200 and: got %v, want *ValidationError", err)
	}
	// The largest filters SCIM lets through (64 comparisons, 16 levels).
	p, err := tn.ListUsers(ctx, store.ListQuery{Filter: nots(16, or(chain(63, or, userName), eq("userName", "someone")))})
	noErr(t, "64 or under 16 not", err)
	if p.Total != 1 { // 16 nots cancel out
		t.Errorf("64 or under 16 not: %d users", p.Total)
	}
	_, err = tn.ListUsers(ctx, store.ListQuery{Filter: nots(15, chain(64, and, email))})
	noErr(t, "64 and on emails", err)
	gp, err := tn.ListGroups(ctx, store.ListQuery{Filter: chain(64, or, member)})
	noErr(t, "64 or on members", err)
	if gp.Total != 0 {
		t.Errorf("64 or on members: %d groups", gp.Total)
	}
	gp, err = tn.ListGroups(ctx, store.ListQuery{Filter: or(chain(63, or, member), valuePath("members", eq("value", u.ID)))})
	noErr(t, "64 or on members", err)
	if gp.Total != 1 || gp.Items[0].ID != g.ID {
		t.Errorf("64 or on members found %+v", gp.Items)
	}
}

func testPagination(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	for i := range 7 {
		newUser(t, tn, fmt.Sprintf("user%d", i))
	}
	all, err := tn.ListUsers(ctx, store.ListQuery{})
	noErr(t, "ListUsers", err)
	if all.Total != 7 || len(all.Items) != 7 || all.StartIndex != 1 {
		t.Fatalf("ListUsers = total %d, %d items, start %d", all.Total, len(all.Items), all.StartIndex)
	}
	for i := 1; i < len(all.Items); i++ {
		p, c := all.Items[i-1], all.Items[i]
		if c.CreatedAt.Before(p.CreatedAt) || c.CreatedAt.Equal(p.CreatedAt) && c.ID < p.ID {
			t.Fatalf("not ordered by (createdAt, id) at %d", i)
		}
	}
	var paged []string
	for start := 1; start <= 7; start += 3 {
		p, err := tn.ListUsers(ctx, store.ListQuery{StartIndex: start, Count: 3})
		noErr(t, "ListUsers page", err)
		if p.Total != 7 || p.StartIndex != start {
			t.Fatalf("page at %d: total %d start %d", start, p.Total, p.StartIndex)
		}
		paged = append(paged, userIDs(p.Items)...)
	}
	if !slices.Equal(paged, userIDs(all.Items)) {
		t.Fatalf("pages %v differ from full listing %v", paged, userIDs(all.Items))
	}
	p, err := tn.ListUsers(ctx, store.ListQuery{Count: -1})
	noErr(t, "ListUsers count -1", err)
	if p.Total != 7 || len(p.Items) != 0 {
		t.Fatalf("Count<0: total %d, %d items", p.Total, len(p.Items))
	}
	p, err = tn.ListUsers(ctx, store.ListQuery{StartIndex: 100})
	noErr(t, "ListUsers beyond end", err)
	if p.Total != 7 || len(p.Items) != 0 {
		t.Fatalf("beyond end: total %d, %d items", p.Total, len(p.Items))
	}
	p, err = tn.ListUsers(ctx, store.ListQuery{Filter: op(store.OpSw, "userName", "user"), StartIndex: 6, Count: 10})
	noErr(t, "ListUsers filtered page", err)
	if p.Total != 7 || len(p.Items) != 2 {
		t.Fatalf("filtered page: total %d, %d items", p.Total, len(p.Items))
	}
}
