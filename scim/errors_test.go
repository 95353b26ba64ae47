package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"folkevakt/scim"
	"folkevakt/store"
)

// checkError asserts a SCIM error response (RFC 7644 §3.12).
func checkError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	if r.status != status || r.contentType != "application/scim+json" ||
		r.str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:Error" ||
		r.str("status") != fmt.Sprint(status) || r.str("scimType") != scimType {
		t.Fatalf("got %d %q %s; want %d scimType %q", r.status, r.contentType, r.raw, status, scimType)
	}
	for k := range r.body {
		if k != "schemas" && k != "status" && k != "scimType" && k != "detail" {
			t.Errorf("unexpected member %q in error", k)
		}
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("existing@testkommune.no")
	gid := e.do(http.MethodPost, "/Groups", `{"displayName": "G"}`).must(t, http.StatusCreated).str("id")
	big := `{"userName": "big", "displayName": "` + strings.Repeat("x", scim.MaxBodyBytes) + `"}`

	tests := []struct {
		name, method, path, body, token string
		status                          int
		scimType                        string
	}{
		{"no token", http.MethodGet, "/Users", "", "-", 401, ""},
		{"wrong token", http.MethodGet, "/Users", "", "fvscim_wrong", 401, ""},
		{"malformed JSON", http.MethodPost, "/Users", `{"userName": "x",`, "", 400, "invalidSyntax"},
		{"missing userName", http.MethodPost, "/Users", `{"active": true}`, "", 400, "invalidValue"},
		// Shapes (issue 15): a value of the wrong shape was stored and broke
		// every filter on its attribute.
		{"emails as an object", http.MethodPost, "/Users", `{"userName": "x", "emails": {"value": "x@kommune.no", "type": "work"}}`, "", 400, "invalidValue"},
		{"addresses as an object", http.MethodPost, "/Users", `{"userName": "x", "addresses": {"locality": "Oslo"}}`, "", 400, "invalidValue"},
		{"emails as a string", http.MethodPost, "/Users", `{"userName": "x", "emails": "x@kommune.no"}`, "", 400, "invalidValue"},
		{"email element a list", http.MethodPost, "/Users", `{"userName": "x", "emails": [["x@kommune.no"]]}`, "", 400, "invalidValue"},
		{"sub-attribute an object", http.MethodPost, "/Users", `{"userName": "x", "emails": [{"value": {"v": "x"}}]}`, "", 400, "invalidValue"},
		{"name as a list", http.MethodPost, "/Users", `{"userName": "x", "name": [{"givenName": "y"}]}`, "", 400, "invalidValue"},
		{"title as an object", http.MethodPost, "/Users", `{"userName": "x", "title": {"value": "y"}}`, "", 400, "invalidValue"},
		{"extension as a string", http.MethodPost, "/Users", `{"userName": "x", "` + enterpriseURN + `": "y"}`, "", 400, "invalidValue"},
		{"manager as a list", http.MethodPost, "/Users", `{"userName": "x", "` + enterpriseURN + `": {"manager": [{"value": "m"}]}}`, "", 400, "invalidValue"},
		{"members as an object", http.MethodPost, "/Groups", `{"displayName": "x", "members": {"value": "` + uid + `"}}`, "", 400, "invalidValue"},
		{"PUT emails as an object", http.MethodPut, "/Users/" + uid, `{"userName": "existing@testkommune.no", "emails": {"value": "x@kommune.no"}}`, "", 400, "invalidValue"},
		{"PATCH a sub-attribute to an object", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Add", "path": "emails", "value": [{"value": {"v": "x"}}]}`), "", 400, "invalidValue"},
		{"PATCH name to a string", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Replace", "path": "name", "value": "Kari"}`), "", 400, "invalidValue"},
		{"schemas not a list", http.MethodPost, "/Users", `{"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "x"}`, "", 400, "invalidValue"},
		{"wrong type", http.MethodPost, "/Users", `{"userName": 5}`, "", 400, "invalidValue"},
		{"not a boolean", http.MethodPost, "/Users", `{"userName": "x", "active": "maybe"}`, "", 400, "invalidValue"},
		{"duplicate userName, other case", http.MethodPost, "/Users", `{"userName": "EXISTING@testkommune.no"}`, "", 409, "uniqueness"},
		{"body over the limit", http.MethodPost, "/Users", big, "", 413, ""},
		{"invalid filter", http.MethodGet, "/Users?filter=" + q(`userName eq`), "", "", 400, "invalidFilter"},
		{"filter on unknown attribute", http.MethodGet, "/Users?filter=" + q(`shoeSize gt 40`), "", "", 400, "invalidFilter"},
		{"unknown user", http.MethodGet, "/Users/6e0b1f5e-0000-4000-8000-000000000000", "", "", 404, ""},
		{"patch unknown user", http.MethodPatch, "/Users/nope", patchOp(`{"op": "Replace", "path": "active", "value": false}`), "", 404, ""},
		{"invalid path", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Replace", "path": "emails[type eq", "value": "x"}`), "", 400, "invalidPath"},
		{"unknown path", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Replace", "path": "shoeSize", "value": "x"}`), "", 400, "invalidPath"},
		{"remove without path", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Remove"}`), "", 400, "noTarget"},
		{"replace on absent filtered entry", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Replace", "path": "emails[type eq \"home\"].value", "value": "h@x.no"}`), "", 400, "noTarget"},
		{"second op fails, first not stored", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Replace", "path": "displayName", "value": "changed"}, {"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Oslo"}`), "", 400, "noTarget"},
		{"remove userName", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Remove", "path": "userName"}`), "", 400, "invalidValue"},
		{"unknown op", http.MethodPatch, "/Users/" + uid, patchOp(`{"op": "Merge", "path": "displayName", "value": "x"}`), "", 400, "invalidValue"},
		{"not a PatchOp", http.MethodPatch, "/Users/" + uid, `{"Operations": [{"op": "Add", "path": "nickName", "value": "x"}]}`, "", 400, "invalidValue"},
		{"unknown member", http.MethodPatch, "/Groups/" + gid, patchOp(`{"op": "Add", "path": "members", "value": [{"value": "no-such-user"}]}`), "", 400, "invalidValue"},
		{"member add to unknown group", http.MethodPatch, "/Groups/nope", patchOp(`{"op": "Add", "path": "members", "value": [{"value": "` + uid + `"}]}`), "", 404, ""},
		{"members filtered by display", http.MethodPatch, "/Groups/" + gid, patchOp(`{"op": "Remove", "path": "members[display eq \"x\"]"}`), "", 400, "invalidPath"},
		{"group without displayName", http.MethodPost, "/Groups", `{"externalId": "x"}`, "", 400, "invalidValue"},
		{"unknown endpoint", http.MethodGet, "/Things", "", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.changes())
			token := e.token
			switch tc.token {
			case "-":
				token = ""
			case "":
			default:
				token = tc.token
			}
			r := e.doWith(tc.method, tc.path, tc.body, token)
			checkError(t, r, tc.status, tc.scimType)
			if after := len(e.changes()); after != before {
				t.Errorf("a rejected request stored %d changes", after-before)
			}
			if strings.Contains(strings.ToLower(r.str("detail")), "sql") {
				t.Errorf("internal text in detail: %s", r.raw)
			}
		})
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("client errors were logged as faults: %s", e.logs)
	}
}

func TestCreateWithStringBoolean(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/Users", `{"userName": "inactive@testkommune.no", "active": "False"}`).must(t, http.StatusCreated)
	u, err := e.tenant.GetUser(context.Background(), r.str("id"))
	if err != nil || u.Active || r.get("active") != false {
		t.Fatalf("stored %+v (%v), returned %s", u, err, r.raw)
	}
}

func TestPutReplacesUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("put@testkommune.no")
	r := e.do(http.MethodPut, "/Users/"+id, `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "put@testkommune.no", "nickName": "P"}`).must(t, http.StatusOK)
	if r.str("nickName") != "P" || r.get("emails") != nil || r.get("name") != nil || r.get("active") != true {
		t.Errorf("PUT did not replace: %s", r.raw)
	}
}

func TestAttributeSelection(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("sel@testkommune.no")
	r := e.do(http.MethodGet, "/Users/"+id+"?attributes=userName,name.givenName", "").must(t, http.StatusOK)
	if r.str("userName") != "sel@testkommune.no" || r.str("name.givenName") != "givenName" || r.get("name.familyName") != nil ||
		r.get("emails") != nil || r.get("externalId") != nil || r.str("id") != id {
		t.Errorf("attributes=: %s", r.raw)
	}
	r = e.do(http.MethodGet, "/Users?excludedAttributes=emails,"+enterpriseURN+"&filter="+q(`userName eq "sel@testkommune.no"`), "").must(t, http.StatusOK)
	if r.get("Resources.0.emails") != nil || r.get("Resources.0."+enterpriseURN) != nil || r.str("Resources.0.userName") == "" {
		t.Errorf("excludedAttributes=: %s", r.raw)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, scim.WithMaxResults(3))
	var want []string
	for i := range 7 {
		want = append(want, e.createUser(fmt.Sprintf("page%d@testkommune.no", i)))
	}
	var got []string
	for start := 1; start <= 7; start += 2 {
		r := e.do(http.MethodGet, fmt.Sprintf("/Users?startIndex=%d&count=2", start), "").must(t, http.StatusOK)
		if r.get("startIndex") != float64(start) || r.get("itemsPerPage") != float64(2) || r.get("totalResults") != float64(7) {
			t.Fatalf("page at %d: %s", start, r.raw)
		}
		for _, res := range r.get("Resources").([]any) {
			got = append(got, res.(map[string]any)["id"].(string))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages %v, want creation order %v", got, want)
	}
	// count above maxResults is capped; count=0 returns only the total.
	if r := e.do(http.MethodGet, "/Users?count=50", "").must(t, http.StatusOK); len(r.get("Resources").([]any)) != 3 {
		t.Errorf("count not capped: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/Users?count=0", "").must(t, http.StatusOK); r.get("totalResults") != float64(7) || len(r.get("Resources").([]any)) != 0 {
		t.Errorf("count=0: %s", r.raw)
	}
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/ServiceProviderConfig", "").must(t, http.StatusOK)
	if r.get("patch.supported") != true || r.get("filter.supported") != true || r.get("filter.maxResults") != float64(100) ||
		r.get("bulk.supported") != false || r.get("bulk.maxPayloadSize") != float64(scim.MaxBodyBytes) ||
		r.str("authenticationSchemes.0.type") != "oauthbearertoken" {
		t.Errorf("ServiceProviderConfig: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/Schemas", "").must(t, http.StatusOK); r.get("totalResults") != float64(3) {
		t.Errorf("Schemas: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/Schemas/"+enterpriseURN, "").must(t, http.StatusOK); r.str("id") != enterpriseURN {
		t.Errorf("enterprise schema: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/ResourceTypes", "").must(t, http.StatusOK); r.get("totalResults") != float64(2) || r.str("Resources.0.schemaExtensions.0.schema") != enterpriseURN {
		t.Errorf("ResourceTypes: %s", r.raw)
	}
	checkError(t, e.doWith(http.MethodGet, "/ServiceProviderConfig", "", ""), 401, "")
}

// TestTenantIsolation: a token sees only its own organisation.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("mine@testkommune.no")
	other, err := e.store.CreateOrganisation(context.Background(), store.Organisation{OrgNumber: "964338531", Name: "Annen kommune", Kommunenummer: []string{"4601"}})
	if err != nil {
		t.Fatal(err)
	}
	otherToken := newToken(t, e.store.Tenant(other.ID), "other")
	e.doWith(http.MethodGet, "/Users/"+id, "", otherToken).must(t, http.StatusNotFound)
	r := e.doWith(http.MethodGet, "/Users?filter="+q(`userName eq "mine@testkommune.no"`), "", otherToken).must(t, http.StatusOK)
	if r.get("totalResults") != float64(0) {
		t.Errorf("other organisation sees the user: %s", r.raw)
	}
}

// TestConcurrentMemberAdds: parallel PATCHes from several clients adding
// different members to one group lose no member.
func TestConcurrentMemberAdds(t *testing.T) {
	e := newEnv(t)
	gid := e.do(http.MethodPost, "/Groups", `{"displayName": "Alle ansatte"}`).must(t, http.StatusCreated).str("id")
	const clients, perClient = 4, 10
	ids := make([][]string, clients)
	for c := range clients {
		for i := range perClient {
			ids[c] = append(ids[c], e.createUser(fmt.Sprintf("c%d-u%d@testkommune.no", c, i)))
		}
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for _, id := range ids[c] {
				r := e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`{"op": "Add", "path": "members", "value": [{"value": "`+id+`"}]}`))
				if r.status != http.StatusNoContent {
					t.Errorf("status %d: %s", r.status, r.raw)
				}
			}
		})
	}
	wg.Wait()
	got, err := e.tenant.ListMembers(context.Background(), gid)
	if err != nil || len(got) != clients*perClient {
		t.Fatalf("%d members (%v), want %d", len(got), err, clients*perClient)
	}
}
