package scim_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"folkevakt/store"
)

// The request bodies below follow Microsoft's published samples ("Develop
// and plan provisioning for a SCIM endpoint" and "Known issues and
// resolutions with SCIM 2.0 protocol compliance"), with and without the
// aadOptscim062020 flag.

const (
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listResponse  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

func q(filter string) string { return url.QueryEscape(filter) }

func entraCreateUser(userName, externalID string) string {
	return fmt.Sprintf(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"externalId": %q,
		"userName": %q,
		"active": true,
		"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
		"meta": {"resourceType": "User"},
		"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"roles": [],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "000123", "department": "Helse og omsorg"}
	}`, externalID, userName)
}

func patchOp(ops string) string {
	return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + ops + `]}`
}

// createUser provisions a user as Entra does (match by userName, then POST)
// and returns its id.
func (e *env) createUser(userName string) string {
	e.t.Helper()
	e.do(http.MethodGet, "/Users?filter="+q(`userName eq "`+userName+`"`), "").must(e.t, http.StatusOK)
	return e.do(http.MethodPost, "/Users", entraCreateUser(userName, "ext-"+userName)).must(e.t, http.StatusCreated).str("id")
}

// patchUser sends a user PATCH, which answers 204 as Microsoft's reference
// service does, and reads the user back as Entra does.
func (e *env) patchUser(id, body string) response {
	e.t.Helper()
	e.do(http.MethodPatch, "/Users/"+id, body).must(e.t, http.StatusNoContent)
	return e.do(http.MethodGet, "/Users/"+id, "").must(e.t, http.StatusOK)
}

func TestEntraTestConnection(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, "/Users?filter="+q(`userName eq "e3b44d13-1f0e-4a8b-9c1b-5d7a5a7a3c11"`)+"&aadOptscim062020", "").must(t, http.StatusOK)
	if r.contentType != "application/scim+json" {
		t.Errorf("content type %q", r.contentType)
	}
	if r.str("schemas.0") != listResponse || r.get("totalResults") != float64(0) || r.get("startIndex") != float64(1) {
		t.Errorf("not an empty ListResponse: %s", r.raw)
	}
	if res, ok := r.get("Resources").([]any); !ok || len(res) != 0 {
		t.Errorf(`Resources = %v, want []`, r.get("Resources"))
	}
}

func TestEntraUserLifecycle(t *testing.T) {
	e := newEnv(t)
	const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"
	const externalID = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"

	// Create or match: the lookup finds nothing, so Entra creates.
	e.do(http.MethodGet, "/Users?filter="+q(`userName eq "`+userName+`"`), "").must(t, http.StatusOK)
	created := e.do(http.MethodPost, "/Users", entraCreateUser(userName, externalID)).must(t, http.StatusCreated)
	id := created.str("id")
	if id == "" || created.str("userName") != userName || created.str("name.formatted") != "givenName familyName" ||
		created.str(enterpriseURN+".department") != "Helse og omsorg" || created.get("active") != true ||
		created.str("meta.resourceType") != "User" || created.get("roles") != nil {
		t.Fatalf("created user: %s", created.raw)
	}

	// Matching is case-insensitive on userName; externalId and "and" work too.
	for _, f := range []string{
		`userName eq "` + strings.ToUpper(userName) + `"`,
		`externalId eq "` + externalID + `"`,
		`userName eq "` + userName + `" and externalId eq "` + externalID + `"`,
	} {
		r := e.do(http.MethodGet, "/Users?filter="+q(f), "").must(t, http.StatusOK)
		if r.get("totalResults") != float64(1) || r.str("Resources.0.id") != id {
			t.Errorf("%s: %s", f, r.raw)
		}
	}

	// Update User [Multi-valued properties] and [Single-valued properties].
	r := e.patchUser(id, patchOp(`
		{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
		{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}`))
	if r.str("emails.0.value") != "updatedEmail@microsoft.com" || r.get("emails.0.primary") != true || r.str("name.familyName") != "updatedFamilyName" {
		t.Errorf("multi-valued update: %s", r.raw)
	}
	const newUserName = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
	e.patchUser(id, patchOp(`{"op": "Replace", "path": "userName", "value": "`+newUserName+`"}`))

	// With aadOptscim062020: path-less replace with dotted and URN keys.
	r = e.patchUser(id, patchOp(`
		{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@test.microsoft.com"},
		{"op": "replace", "value": {"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"}}`))
	if r.str("displayName") != "Bjfe" || r.str("name.givenName") != "Kkom" || r.str(enterpriseURN+".employeeNumber") != "Aklq" ||
		r.str(enterpriseURN+".department") != "Helse og omsorg" || r.str("userName") != newUserName {
		t.Errorf("path-less replace: %s", r.raw)
	}
	// Add of a single-value attribute and of an absent filtered entry.
	r = e.patchUser(id, patchOp(`
		{"op": "Add", "path": "nickName", "value": "Babs"},
		{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+47 912 34 567"},
		{"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "Rådhusplassen 1"}`))
	if r.str("nickName") != "Babs" || r.str("phoneNumbers.0.type") != "mobile" || r.str("phoneNumbers.0.value") != "+47 912 34 567" ||
		r.str("addresses.0.streetAddress") != "Rådhusplassen 1" {
		t.Errorf("add: %s", r.raw)
	}

	// Manager: a bare id string, returned as {"value": id}, cleared with "".
	managerID := e.createUser("manager@testkommune.no")
	r = e.patchUser(id, patchOp(`{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "`+managerID+`"}`))
	if r.str(enterpriseURN+".manager.value") != managerID {
		t.Errorf("manager set: %s", r.raw)
	}
	r = e.patchUser(id, patchOp(`{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": ""}`))
	if r.get(enterpriseURN+".manager") != nil || r.str(enterpriseURN+".employeeNumber") != "Aklq" {
		t.Errorf("manager cleared: %s", r.raw)
	}

	// Disable User, as sent without the flag ("False" as a string).
	e.patchUser(id, patchOp(`{"op": "Replace", "path": "active", "value": "False"}`))
	r = e.do(http.MethodGet, "/Users/"+id, "").must(t, http.StatusOK)
	if r.get("active") != false {
		t.Errorf("soft-deleted user: %s", r.raw)
	}
	stored, err := e.tenant.GetUser(context.Background(), id)
	if err != nil || stored.Active || stored.UserName != newUserName || stored.DisplayName != "Bjfe" || stored.ExternalID != externalID {
		t.Errorf("typed fields out of sync: %+v, %v", stored, err)
	}
	r = e.do(http.MethodGet, "/Users?filter="+q(`userName eq "`+newUserName+`"`), "").must(t, http.StatusOK)
	if r.get("totalResults") != float64(1) {
		t.Errorf("a deactivated user must stay findable: %s", r.raw)
	}
	// And restored with a real boolean.
	e.patchUser(id, patchOp(`{"op": "replace", "value": {"active": true}}`))

	// Delete User.
	e.do(http.MethodDelete, "/Users/"+id, "").must(t, http.StatusNoContent)
	e.do(http.MethodGet, "/Users/"+id, "").must(t, http.StatusNotFound)
	r = e.do(http.MethodGet, "/Users?filter="+q(`userName eq "`+newUserName+`"`), "").must(t, http.StatusOK)
	if r.get("totalResults") != float64(0) {
		t.Errorf("deleted user still listed: %s", r.raw)
	}

	// Every change is in the history, made by the SCIM token.
	var actions []string
	for _, c := range e.changes() {
		if c.Entity == store.EntityUser && c.EntityID == id {
			actions = append(actions, c.Action)
			if c.Actor != "scim:"+tokenName {
				t.Errorf("change %d by %q", c.Seq, c.Actor)
			}
		}
	}
	slices.Sort(actions)
	if want := []string{"create", "delete", "update", "update", "update", "update", "update", "update", "update", "update"}; !slices.Equal(actions, want) {
		t.Errorf("changes of the user: %v, want %v", actions, want)
	}
	if strings.Contains(e.logs.String(), "Test_User") || strings.Contains(e.logs.String(), "testuser.com") {
		t.Errorf("personal data in logs: %s", e.logs)
	}
}

func TestEntraGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.createUser("a@testkommune.no"), e.createUser("b@testkommune.no"), e.createUser("c@testkommune.no")

	// Create Group with the legacy Microsoft schema URI; Entra then looks it
	// up by displayName without members.
	e.do(http.MethodGet, "/Groups?excludedAttributes=members&filter="+q(`displayName eq "Barnevern"`), "").must(t, http.StatusOK)
	created := e.do(http.MethodPost, "/Groups", `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
		"displayName": "Barnevern",
		"meta": {"resourceType": "Group"},
		"members": [{"value": "`+a+`"}]
	}`).must(t, http.StatusCreated)
	gid := created.str("id")
	if created.str("displayName") != "Barnevern" || created.str("members.0.value") != a {
		t.Fatalf("created group: %s", created.raw)
	}
	r := e.do(http.MethodGet, "/Groups?excludedAttributes=members&filter="+q(`displayName eq "Barnevern"`), "").must(t, http.StatusOK)
	if r.get("totalResults") != float64(1) || r.str("Resources.0.id") != gid || r.get("Resources.0.members") != nil ||
		r.str("Resources.0.externalId") != "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159" {
		t.Errorf("group by displayName: %s", r.raw)
	}
	if r := e.do(http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", "").must(t, http.StatusOK); r.get("members") != nil {
		t.Errorf("members not excluded: %s", r.raw)
	}

	members := func() []string {
		t.Helper()
		var ids []string
		r := e.do(http.MethodGet, "/Groups/"+gid, "").must(t, http.StatusOK)
		list, _ := r.get("members").([]any)
		for _, m := range list {
			ids = append(ids, m.(map[string]any)["value"].(string))
		}
		slices.Sort(ids)
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }

	// Several membership changes in one PATCH (Microsoft's update_group).
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`
		{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "`+b+`"}, {"$ref": null, "value": "`+c+`"}]},
		{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "`+a+`"}]}`)).must(t, http.StatusNoContent)
	if got := members(); !slices.Equal(got, sorted(b, c)) {
		t.Fatalf("members %v", got)
	}
	// Re-adding a member and removing an absent one are not errors.
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`
		{"op": "Add", "path": "members", "value": [{"value": "`+b+`"}]},
		{"op": "Remove", "path": "members", "value": [{"value": "`+a+`"}]}`)).must(t, http.StatusNoContent)
	// With aadOptscim062020: remove by filter.
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`{"op": "remove", "path": "members[value eq \"`+c+`\"]"}`)).must(t, http.StatusNoContent)
	if got := members(); !slices.Equal(got, []string{b}) {
		t.Fatalf("members %v", got)
	}

	// Update Group [Non-member attributes].
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`{"op": "Replace", "path": "displayName", "value": "Barnevern Oslo"}`)).must(t, http.StatusNoContent)
	if r := e.do(http.MethodGet, "/Groups/"+gid, "").must(t, http.StatusOK); r.str("displayName") != "Barnevern Oslo" {
		t.Errorf("rename: %s", r.raw)
	}

	// Deleting a user removes its memberships; then Delete Group.
	e.do(http.MethodDelete, "/Users/"+b, "").must(t, http.StatusNoContent)
	if got := members(); len(got) != 0 {
		t.Errorf("members after user delete: %v", got)
	}
	e.do(http.MethodDelete, "/Groups/"+gid, "").must(t, http.StatusNoContent)
	e.do(http.MethodGet, "/Groups/"+gid, "").must(t, http.StatusNotFound)

	var actions []string
	for _, ch := range e.changes() {
		if ch.Entity == store.EntityGroup || ch.Entity == store.EntityMembership {
			actions = append(actions, ch.Action)
			if ch.Actor != "scim:"+tokenName {
				t.Errorf("change %d by %q", ch.Seq, ch.Actor)
			}
		}
	}
	for _, want := range []string{store.ActionCreate, store.ActionAddMembers, store.ActionRemoveMembers, store.ActionUpdate, store.ActionDelete} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %s change for the group: %v", want, actions)
		}
	}
}

// TestEntraGroupPatchAllOrNothing sends what Entra sends when a group is
// renamed and gets a member in the same sync cycle (one PATCH with a
// Replace of displayName and an Add of members), where one member id is not
// a provisioned user. The request fails as a whole: the name, the members
// and the change history stay as they were. A PUT with a bad member is
// refused the same way.
func TestEntraGroupPatchAllOrNothing(t *testing.T) {
	e := newEnv(t)
	a, b := e.createUser("a@testkommune.no"), e.createUser("b@testkommune.no")
	gid := e.do(http.MethodPost, "/Groups", `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId": "5c2b9f4e-7d0a-4c1e-9b57-2f3e6a8d1c40",
		"displayName": "Barnevern",
		"members": [{"value": "`+a+`"}]
	}`).must(t, http.StatusCreated).str("id")
	const ghost = "0b6f1e7c-3a55-4d0e-8f2a-9c1d7e4b2a66" // an Entra object id never provisioned here

	check := func(what string, rows int) {
		t.Helper()
		r := e.do(http.MethodGet, "/Groups/"+gid, "").must(t, http.StatusOK)
		if r.str("displayName") != "Barnevern" || r.str("members.0.value") != a || r.get("members.1") != nil {
			t.Fatalf("%s: group changed: %s", what, r.raw)
		}
		if n := len(e.changes()); n != rows {
			t.Fatalf("%s: %d change rows, want %d", what, n, rows)
		}
	}
	rows := len(e.changes())

	r := e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`
		{"op": "Replace", "path": "displayName", "value": "Barnevern Oslo"},
		{"op": "Add", "path": "members", "value": [{"value": "`+b+`"}, {"value": "`+ghost+`"}]}`)).must(t, http.StatusBadRequest)
	if r.str("scimType") != "invalidValue" {
		t.Errorf("unknown member: %s", r.raw)
	}
	check("PATCH with an unknown member", rows)

	// Path-less form (Entra without aadOptscim062020 flattens the same change).
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`
		{"op": "Replace", "value": {"displayName": "Barnevern Oslo", "members": [{"value": "`+ghost+`"}]}}`)).must(t, http.StatusBadRequest)
	check("path-less PATCH with an unknown member", rows)

	e.do(http.MethodPut, "/Groups/"+gid, `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
		"displayName": "Barnevern Oslo",
		"members": [{"value": "`+b+`"}, {"value": "`+ghost+`"}]
	}`).must(t, http.StatusBadRequest)
	check("PUT with an unknown member", rows)

	// An unknown group is a 404 whatever its members.
	e.do(http.MethodPatch, "/Groups/"+ghost, patchOp(`{"op": "Add", "path": "members", "value": [{"value": "`+a+`"}]}`)).must(t, http.StatusNotFound)

	// The same PATCH with known members is applied as a whole: one rename
	// row and one add-members row naming only b.
	e.do(http.MethodPatch, "/Groups/"+gid, patchOp(`
		{"op": "Replace", "path": "displayName", "value": "Barnevern Oslo"},
		{"op": "Add", "path": "members", "value": [{"value": "`+a+`"}, {"value": "`+b+`"}]}`)).must(t, http.StatusNoContent)
	got := e.do(http.MethodGet, "/Groups/"+gid, "").must(t, http.StatusOK)
	if got.str("displayName") != "Barnevern Oslo" || got.get("members.2") != nil || got.get("members.1") == nil {
		t.Fatalf("after PATCH: %s", got.raw)
	}
	cs := e.changes()
	if len(cs) != rows+2 {
		t.Fatalf("%d new change rows, want 2", len(cs)-rows)
	}
	// ListChanges is newest first.
	if actions := []string{cs[1].Action, cs[0].Action}; !slices.Equal(actions, []string{store.ActionUpdate, store.ActionAddMembers}) {
		t.Errorf("new rows %v", actions)
	}
}
