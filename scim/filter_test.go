package scim

import (
	"reflect"
	"testing"

	"folkevakt/store"
)

// parseUserFilter parses a filter as GET /Users does.
func parseUserFilter(s string) (*store.Filter, error) {
	return parseFilter(userResourceSchema(), s)
}

func TestStoreFilter(t *testing.T) {
	tests := []struct {
		filter string
		want   *store.Filter
	}{
		// Entra's lookups.
		{`userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"`,
			&store.Filter{Op: store.OpEq, Attr: "userName", Value: "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"}},
		{`USERNAME EQ "a"`, &store.Filter{Op: store.OpEq, Attr: "userName", Value: "a"}},
		{`externalId eq "x" and userName eq "a"`, &store.Filter{Op: store.OpAnd,
			Left:  &store.Filter{Op: store.OpEq, Attr: "externalId", Value: "x"},
			Right: &store.Filter{Op: store.OpEq, Attr: "userName", Value: "a"}}},
		{`emails[type eq "work"].value eq "a@b.no"`, nil}, // sub-attribute after a value path: rejected by the parser
		{`emails[type eq "work" and value co "@kommune.no"]`, &store.Filter{Op: store.OpValuePath, Attr: "emails",
			Left: &store.Filter{Op: store.OpAnd,
				Left:  &store.Filter{Op: store.OpEq, Attr: "type", Value: "work"},
				Right: &store.Filter{Op: store.OpCo, Attr: "value", Value: "@kommune.no"}}}},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"`,
			&store.Filter{Op: store.OpEq, Attr: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", Value: "42"}},
		{`name.GIVENNAME sw "Ka"`, &store.Filter{Op: store.OpSw, Attr: "name.givenName", Value: "Ka"}},
		{`not (active eq true) or title pr`, &store.Filter{Op: store.OpOr,
			Left:  &store.Filter{Op: store.OpNot, Left: &store.Filter{Op: store.OpEq, Attr: "active", Value: true}},
			Right: &store.Filter{Op: store.OpPr, Attr: "title"}}},
		{`displayName ne "x" and nickName ew "y"`, &store.Filter{Op: store.OpAnd,
			Left:  &store.Filter{Op: store.OpNe, Attr: "displayName", Value: "x"},
			Right: &store.Filter{Op: store.OpEw, Attr: "nickName", Value: "y"}}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			got, err := parseUserFilter(tc.filter)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestStoreFilterRejects(t *testing.T) {
	for _, f := range []string{`userName eq`, `nosuch eq "x"`, `userName eq "a" and`, `emails[type eq "work"`} {
		if got, err := parseUserFilter(f); err == nil {
			t.Errorf("%s accepted: %+v", f, got)
		}
	}
}
