package scim

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/scim2/filter-parser/v2"
)

// entraUser is a user as Entra creates it (Microsoft's "Create User" sample)
// with an enterprise extension.
const entraUser = `{
	"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
	"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
	"active": true,
	"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
	"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1", "manager": {"value": "m1"}}
}`

func mustDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func op(t *testing.T, name, path string, value any) elimity.PatchOperation {
	t.Helper()
	o := elimity.PatchOperation{Op: name, Value: value}
	if path != "" {
		p, err := filter.ParsePath([]byte(path))
		if err != nil {
			t.Fatal(err)
		}
		o.Path = &p
	}
	return o
}

func TestApplyOp(t *testing.T) {
	rs := userResourceSchema()
	tests := []struct {
		name    string
		op      func(t *testing.T) elimity.PatchOperation
		want    string // expected document; empty when wantErr is set
		wantErr scimerrors.ScimType
	}{
		{
			name: "path-less replace with dotted and URN keys (aadOptscim062020)",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "replace", "", map[string]any{
					"displayName":     "Bjfe",
					"name.givenName":  "Kkom",
					"name.familyName": "Unua",
					"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq",
				})
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,"displayName":"Bjfe",
				"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
				"name":{"formatted":"givenName familyName","familyName":"Unua","givenName":"Kkom"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"Aklq","manager":{"value":"m1"}}}`,
		},
		{
			name: "replace filtered email value",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "replace", `emails[type eq "work"].value`, "updatedEmail@microsoft.com")
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"emails":[{"primary":true,"type":"work","value":"updatedEmail@microsoft.com"}],
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`,
		},
		{
			name: "add on an absent filtered entry creates it",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "add", `phoneNumbers[type eq "mobile"].value`, "+47 99999999")
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
				"phoneNumbers":[{"type":"mobile","value":"+47 99999999"}],
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`,
		},
		{
			name: "replace on an absent filtered entry has no target",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "replace", `addresses[type eq "work"].streetAddress`, "Storgata 1")
			},
			wantErr: scimerrors.ScimTypeNoTarget,
		},
		{
			name: "remove the manager drops the emptied extension member",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "remove", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", nil)
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1"}}`,
		},
		{
			name: "remove a filtered entry drops the emptied attribute",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "remove", `emails[type eq "WORK"]`, nil)
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`,
		},
		{
			name: "add to a multi-valued attribute appends once",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "add", "emails", []any{
					map[string]any{"type": "work", "value": "Test_User_fd0ea19b@testuser.com", "primary": true},
					map[string]any{"type": "home", "value": "h@example.com"},
				})
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"},{"type":"home","value":"h@example.com"}],
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`,
		},
		{
			name: "replace of a complex attribute merges sub-attributes",
			op: func(t *testing.T) elimity.PatchOperation {
				return op(t, "Replace", "name", map[string]any{"givenName": "Kari"})
			},
			want: `{"userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":true,
				"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
				"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"Kari"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"m1"}}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := mustDoc(t, entraUser)
			err := applyOp(rs, doc, tc.op(t))
			if tc.wantErr != "" {
				var se scimerrors.ScimError
				if !errors.As(err, &se) || se.ScimType != tc.wantErr {
					t.Fatalf("error = %v, want scimType %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(doc)
			if want := mustDoc(t, tc.want); !reflect.DeepEqual(mustDoc(t, string(got)), want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMemberDelta(t *testing.T) {
	members := func(ids ...string) []any {
		var out []any
		for _, id := range ids {
			out = append(out, map[string]any{"value": id})
		}
		return out
	}
	tests := []struct {
		name        string
		ops         []elimity.PatchOperation
		replace     bool
		add, remove []string
		documentOps int
	}{
		{
			name: "Entra's add, remove and rename in one PATCH",
			ops: []elimity.PatchOperation{
				op(t, "replace", "displayName", "renamed"),
				op(t, "add", "members", members("a", "b")),
				op(t, "remove", "members", members("c")),
				op(t, "remove", `members[value eq "d"]`, nil),
			},
			add: []string{"a", "b"}, remove: []string{"c", "d"}, documentOps: 1,
		},
		{
			name: "the last operation on a member wins",
			ops: []elimity.PatchOperation{
				op(t, "add", "members", members("a")),
				op(t, "remove", "members", members("a", "b")),
				op(t, "add", "members", members("b")),
			},
			add: []string{"b"}, remove: []string{"a"},
		},
		{
			name: "remove without value clears, then adds",
			ops: []elimity.PatchOperation{
				op(t, "add", "members", members("a")),
				op(t, "remove", "members", nil),
				op(t, "add", "members", members("b")),
			},
			replace: true, add: []string{"b"},
		},
		{
			// After a reset the store gets the complete list; a later remove
			// only keeps the user out of it.
			name: "clear, add, then remove the added one",
			ops: []elimity.PatchOperation{
				op(t, "remove", "members", nil),
				op(t, "add", "members", members("a", "b")),
				op(t, "remove", `members[value eq "a"]`, nil),
			},
			replace: true, add: []string{"b"},
		},
		{
			name: "path-less replace splits members from attributes",
			ops: []elimity.PatchOperation{
				op(t, "replace", "", map[string]any{"displayName": "x", "members": members("a")}),
			},
			replace: true, add: []string{"a"}, documentOps: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d memberDelta
			docOps := 0
			for _, o := range tc.ops {
				rest, err := d.take(o)
				if err != nil {
					t.Fatal(err)
				}
				if rest != nil {
					docOps++
				}
			}
			p := d.patch()
			add, remove := p.Add, p.Remove
			if p.Replace != tc.replace || !reflect.DeepEqual(add, tc.add) || !reflect.DeepEqual(remove, tc.remove) || docOps != tc.documentOps {
				t.Errorf("replace=%v add=%v remove=%v docOps=%d; want %v %v %v %d",
					p.Replace, add, remove, docOps, tc.replace, tc.add, tc.remove, tc.documentOps)
			}
		})
	}
}

func TestMemberFilterOnlyByValue(t *testing.T) {
	var d memberDelta
	if _, err := d.take(op(t, "remove", `members[display eq "x"]`, nil)); err == nil {
		t.Fatal("a members filter on display was accepted")
	}
}
