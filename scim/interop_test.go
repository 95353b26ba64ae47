package scim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Issue 14: what Microsoft's reference service and its validator expect,
// within RFC 7643/7644. Request bodies are Entra's published ones (see
// entra_test.go).

func TestCreateAnswersLocation(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/Users", entraCreateUser("kari@testkommune.no", "0a21f0f2")).must(t, http.StatusCreated)
	want := e.url + "/Users/" + r.str("id")
	if !strings.HasPrefix(want, "http://127.0.0.1:") || r.location != want || r.str("meta.location") != want {
		t.Errorf("Location %q, meta.location %q, want both %q", r.location, r.str("meta.location"), want)
	}
	g := e.do(http.MethodPost, "/Groups", `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Lærere"}`).must(t, http.StatusCreated)
	if want := e.url + "/Groups/" + g.str("id"); g.location != want || g.str("meta.location") != want {
		t.Errorf("group Location %q, meta.location %q, want %q", g.location, g.str("meta.location"), want)
	}
	// Every other response carries the same absolute meta.location.
	if got := e.do(http.MethodGet, "/Users/"+r.str("id"), "").must(t, http.StatusOK).str("meta.location"); got != want {
		t.Errorf("GET meta.location %q", got)
	}
	if got := e.do(http.MethodGet, "/Users", "").must(t, http.StatusOK).str("Resources.0.meta.location"); got != want {
		t.Errorf("list meta.location %q", got)
	}
	// Behind a TLS-terminating proxy the URL says https.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/Users", strings.NewReader(entraCreateUser("ola@testkommune.no", "x")))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, "https://") {
		t.Errorf("behind a proxy: %d, Location %q", res.StatusCode, loc)
	}
}

func TestPatchAnswers204UnlessAttributesAsked(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("kari@testkommune.no")
	r := e.do(http.MethodPatch, "/Users/"+id, patchOp(`{"op": "Replace", "path": "displayName", "value": "Kari"}`))
	if r.status != http.StatusNoContent || len(r.raw) != 0 {
		t.Fatalf("PATCH: %d %s", r.status, r.raw)
	}
	r = e.do(http.MethodPatch, "/Users/"+id+"?attributes=displayName", patchOp(`{"op": "Replace", "path": "displayName", "value": "Kari N"}`)).must(t, http.StatusOK)
	if r.str("displayName") != "Kari N" || r.get("emails") != nil || r.str("id") != id {
		t.Errorf("PATCH with attributes: %s", r.raw)
	}
	gid := e.do(http.MethodPost, "/Groups", `{"displayName": "Lærere"}`).must(t, http.StatusCreated).str("id")
	patch := patchOp(`{"op": "Add", "path": "members", "value": [{"value": "` + id + `"}]}`)
	if r := e.do(http.MethodPatch, "/Groups/"+gid, patch); r.status != http.StatusNoContent {
		t.Errorf("group PATCH: %d %s", r.status, r.raw)
	}
	g := e.do(http.MethodPatch, "/Groups/"+gid+"?attributes=members", patch).must(t, http.StatusOK)
	if g.str("members.0.value") != id || g.get("displayName") != nil {
		t.Errorf("group PATCH with attributes: %s", g.raw)
	}
	r = e.do(http.MethodPatch, "/Users/"+id+"?excludedAttributes=emails", patchOp(`{"op": "Replace", "path": "nickName", "value": "K"}`)).must(t, http.StatusOK)
	if r.str("nickName") != "K" || r.get("emails") != nil {
		t.Errorf("PATCH with excludedAttributes: %s", r.raw)
	}
}

func TestFilterOperators(t *testing.T) {
	e := newEnv(t)
	first := e.createUser("kari@testkommune.no")
	firstCreated := e.do(http.MethodGet, "/Users/"+first, "").must(t, http.StatusOK).str("meta.created")
	time.Sleep(1100 * time.Millisecond) // meta.created has whole seconds
	e.do(http.MethodPost, "/Users", `{"userName": "ola@testkommune.no", "emails": [{"type": "work", "value": "ola.nordmann@oslo.kommune.no"}]}`).must(t, http.StatusCreated)
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`meta.created gt "2000-01-01T00:00:00Z"`, 2},
		{`meta.created ge "` + firstCreated + `"`, 2},
		{`meta.created lt "2000-01-01T00:00:00Z"`, 0},
		{`meta.lastModified le "2100-01-01T00:00:00Z"`, 2},
		{`meta.lastModified gt "2100-01-01T00:00:00Z"`, 0},
		{`emails.value co "nordmann"`, 1},
		{`emails.value sw "ola."`, 1},
		{`emails.value ew "@testuser.com"`, 1},
		{`emails.value eq "OLA.NORDMANN@oslo.kommune.no"`, 1},
		{`emails.type eq "work"`, 2},
		{`emails[type eq "work" and value co "oslo"]`, 1},
		{`id eq "` + first + `"`, 1},
		// Microsoft's reference service takes unquoted values as strings.
		{`userName eq kari@testkommune.no`, 1},
		{`(userName eq ola@testkommune.no)`, 1},
		{`emails[value co oslo]`, 1},
		{`active eq true`, 2},
		{`USERNAME Eq "KARI@testkommune.no"`, 1},
	} {
		r := e.do(http.MethodGet, "/Users?filter="+q(tc.filter), "").must(t, http.StatusOK)
		if r.get("totalResults") != float64(tc.want) {
			t.Errorf("%s: %v results, want %d", tc.filter, r.get("totalResults"), tc.want)
		}
	}
	for _, f := range []string{
		`meta.created gt "yesterday"`, `meta.created co "2020"`, `meta.nothing eq "x"`, `userName eq "a" and`,
		`userName eq bad"quote"`, `emails[type eq "work"`, `userName eq kari ola`,
	} {
		checkError(t, e.do(http.MethodGet, "/Users?filter="+q(f), ""), http.StatusBadRequest, "invalidFilter")
	}
}

// TestShapesOnWrite: after a refused write of the wrong shape the
// attribute's filters still work (issue 15: one user with "emails": {…}
// made every emails filter of the organisation answer 500). A single value
// for a multi-valued attribute in PATCH becomes a one-element list.
func TestShapesOnWrite(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("kari@testkommune.no")
	checkError(t, e.do(http.MethodPost, "/Users", `{"userName": "x", "emails": {"value": "x@kommune.no"}}`), http.StatusBadRequest, "invalidValue")
	checkError(t, e.do(http.MethodPost, "/Users", `{"userName": "y", "addresses": {"locality": "Oslo"}}`), http.StatusBadRequest, "invalidValue")
	for _, f := range []string{`emails.value co "x"`, `emails[type eq "work"]`, `addresses.locality eq "Oslo"`, `emails pr`} {
		e.do(http.MethodGet, "/Users?filter="+q(f), "").must(t, http.StatusOK)
	}
	r := e.patchUser(id, patchOp(`{"op": "Replace", "path": "addresses", "value": {"type": "work", "locality": "Oslo"}},
		{"op": "Replace", "value": {"phoneNumbers": {"type": "mobile", "value": "+47 912 34 567"}}}`))
	if r.str("addresses.0.locality") != "Oslo" || r.str("phoneNumbers.0.value") != "+47 912 34 567" {
		t.Errorf("single values not stored as lists: %s", r.raw)
	}
	r = e.do(http.MethodGet, "/Users?filter="+q(`addresses[locality eq "oslo"] and phoneNumbers.value sw "+47"`), "").must(t, http.StatusOK)
	if r.get("totalResults") != float64(1) {
		t.Errorf("filter after PATCH: %s", r.raw)
	}
}

// TestUnknownAttributesIgnored: an attribute no schema defines is neither
// an error nor stored (Microsoft's reference service, U25), at any level;
// the log names it without its value.
func TestUnknownAttributesIgnored(t *testing.T) {
	e := newEnv(t)
	body := `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
			"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
		"userName": "kari@testkommune.no", "adreses": [{"locality": "Hemmelig-gate 7"}],
		"name": {"givenName": "Kari", "nickname": "Hemmelig-kallenavn"},
		"emails": [{"value": "kari@testkommune.no", "type": "work", "verified": "Hemmelig-verdi"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Oppvekst", "shoeSize": "Hemmelig-43"},
		"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {"tag": "Hemmelig-tag"}}`
	r := e.do(http.MethodPost, "/Users", body).must(t, http.StatusCreated)
	id := r.str("id")
	stored, err := e.tenant.GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(stored.Attributes), string(r.raw)} {
		if strings.Contains(s, "Hemmelig") || strings.Contains(s, "adreses") || strings.Contains(s, "CustomExtensionName") {
			t.Errorf("unknown attribute kept: %s", s)
		}
	}
	if r.str("name.givenName") != "Kari" || r.str(enterpriseURN+".department") != "Oppvekst" || r.str("emails.0.value") != "kari@testkommune.no" {
		t.Errorf("known attributes lost: %s", r.raw)
	}
	r = e.do(http.MethodPut, "/Users/"+id, `{"userName": "kari@testkommune.no", "favouriteColour": "Hemmelig-blå", "title": "Lærer"}`).must(t, http.StatusOK)
	if r.str("title") != "Lærer" || strings.Contains(string(r.raw), "Hemmelig") {
		t.Errorf("PUT: %s", r.raw)
	}
	e.patchUser(id, patchOp(`{"op": "Add", "path": "emails", "value": [{"value": "k@x.no", "type": "home", "label": "Hemmelig-etikett"}]}`))
	logs := e.logs.String()
	if strings.Contains(logs, "Hemmelig") || strings.Contains(logs, "kari@") {
		t.Errorf("personal data in the log: %s", logs)
	}
	for _, name := range []string{"adreses", "name.nickname", "emails.verified", "shoeSize", "favouriteColour", "emails.label"} {
		if !strings.Contains(logs, `"`+name+`"`) {
			t.Errorf("ignored attribute %s not logged: %s", name, logs)
		}
	}
}

// TestPasswordNeverReturned: password is writable (POST, PUT, PATCH) but
// never returned, and never stored (employees sign in through Entra).
func TestPasswordNeverReturned(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPost, "/Users", `{"userName": "kari@testkommune.no", "password": "Hemmelig-1"}`).must(t, http.StatusCreated)
	id := r.str("id")
	e.do(http.MethodPut, "/Users/"+id, `{"userName": "kari@testkommune.no", "password": "Hemmelig-2"}`).must(t, http.StatusOK)
	e.patchUser(id, patchOp(`{"op": "Replace", "path": "password", "value": "Hemmelig-3"}`))
	e.patchUser(id, patchOp(`{"op": "Replace", "value": {"password": "Hemmelig-4"}}`))
	stored, err := e.tenant.GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	seen := []string{string(r.raw), string(stored.Attributes),
		string(e.do(http.MethodGet, "/Users/"+id, "").must(t, http.StatusOK).raw),
		string(e.do(http.MethodGet, "/Users", "").must(t, http.StatusOK).raw),
		string(e.do(http.MethodGet, "/Users?attributes=password", "").must(t, http.StatusOK).raw),
		string(e.do(http.MethodPatch, "/Users/"+id+"?attributes=password,userName", patchOp(`{"op": "Replace", "path": "password", "value": "Hemmelig-5"}`)).must(t, http.StatusOK).raw),
		e.logs.String()}
	for _, c := range e.changes() {
		seen = append(seen, string(c.Before), string(c.After))
	}
	for _, s := range seen {
		if strings.Contains(s, "Hemmelig") || strings.Contains(s, `"password"`) {
			t.Errorf("password leaked: %s", s)
		}
	}
}

// TestExternalIDNotUnique: externalId is stored as sent; two users may
// share it (RFC 7643 gives it no uniqueness); identity is our id.
func TestExternalIDNotUnique(t *testing.T) {
	e := newEnv(t)
	a := e.do(http.MethodPost, "/Users", entraCreateUser("a@testkommune.no", "Same-External-ID")).must(t, http.StatusCreated).str("id")
	b := e.do(http.MethodPost, "/Users", entraCreateUser("b@testkommune.no", "Same-External-ID")).must(t, http.StatusCreated).str("id")
	g1 := e.do(http.MethodPost, "/Groups", `{"displayName": "G1", "externalId": "grp"}`).must(t, http.StatusCreated).str("id")
	e.do(http.MethodPost, "/Groups", `{"displayName": "G2", "externalId": "grp"}`).must(t, http.StatusCreated)
	if a == b {
		t.Fatal("same id")
	}
	r := e.do(http.MethodGet, "/Users?filter="+q(`externalId eq "Same-External-ID"`), "").must(t, http.StatusOK)
	if r.get("totalResults") != float64(2) || r.str("Resources.0.externalId") != "Same-External-ID" {
		t.Errorf("externalId eq: %s", r.raw)
	}
	// Changing one changes only that one.
	e.patchUser(a, patchOp(`{"op": "Replace", "path": "externalId", "value": "other"}`))
	if got := e.do(http.MethodGet, "/Users/"+b, "").must(t, http.StatusOK).str("externalId"); got != "Same-External-ID" {
		t.Errorf("b's externalId %q", got)
	}
	if got := e.do(http.MethodGet, "/Groups/"+g1, "").must(t, http.StatusOK).str("externalId"); got != "grp" {
		t.Errorf("group externalId %q", got)
	}
}

// TestAttributesWithValueFilters: attributes= and excludedAttributes= take
// value filters, as Microsoft's reference service does (U14).
func TestAttributesWithValueFilters(t *testing.T) {
	e := newEnv(t)
	id := e.do(http.MethodPost, "/Users", `{"userName": "kari@testkommune.no", "displayName": "Kari",
		"emails": [{"type": "work", "value": "kari@oslo.kommune.no", "primary": true}, {"type": "home", "value": "kari,n@example.no"}]}`).
		must(t, http.StatusCreated).str("id")
	other := e.createUser("ola@testkommune.no")
	emails := func(r response, path string) []any { l, _ := r.get(path).([]any); return l }

	r := e.do(http.MethodGet, "/Users?filter="+q(`userName eq "kari@testkommune.no"`)+"&attributes="+q(`emails[type eq "work"]`), "").must(t, http.StatusOK)
	if l := emails(r, "Resources.0.emails"); len(l) != 1 || r.str("Resources.0.emails.0.value") != "kari@oslo.kommune.no" ||
		r.str("Resources.0.emails.0.type") != "work" || r.get("Resources.0.userName") != nil || r.str("Resources.0.id") != id {
		t.Errorf("attributes=emails[type eq work]: %s", r.raw)
	}
	for _, tc := range []struct {
		query string
		check func(r response) bool
	}{
		{"attributes=" + q(`emails[type eq "work"].value`), func(r response) bool {
			return len(emails(r, "emails")) == 1 && r.str("emails.0.value") == "kari@oslo.kommune.no" && r.get("emails.0.type") == nil
		}},
		{"attributes=" + q(`userName,emails[type eq "home"]`), func(r response) bool {
			return r.str("userName") == "kari@testkommune.no" && len(emails(r, "emails")) == 1 && r.str("emails.0.type") == "home" && r.get("displayName") == nil
		}},
		{"attributes=" + q(`emails[type eq home]`), func(r response) bool { // unquoted, as Microsoft accepts
			return len(emails(r, "emails")) == 1 && r.str("emails.0.type") == "home"
		}},
		{"attributes=" + q(`emails[value co ","],displayName`), func(r response) bool {
			return len(emails(r, "emails")) == 1 && r.str("emails.0.type") == "home" && r.str("displayName") == "Kari"
		}},
		{"attributes=" + q(`emails[type eq "other"]`), func(r response) bool { return r.get("emails") == nil && r.str("id") == id }},
		{"attributes=" + q(`emails[type eq "work"],emails`), func(r response) bool { return len(emails(r, "emails")) == 2 }},
		{"excludedAttributes=" + q(`emails[type eq "home"]`), func(r response) bool {
			return len(emails(r, "emails")) == 1 && r.str("emails.0.type") == "work" && r.str("userName") == "kari@testkommune.no"
		}},
		{"excludedAttributes=" + q(`emails[type eq "home"].value`), func(r response) bool {
			return len(emails(r, "emails")) == 2 && r.get("emails.1.value") == nil && r.str("emails.1.type") == "home"
		}},
	} {
		if r := e.do(http.MethodGet, "/Users/"+id+"?"+tc.query, "").must(t, http.StatusOK); !tc.check(r) {
			t.Errorf("%s: %s", tc.query, r.raw)
		}
	}
	gid := e.do(http.MethodPost, "/Groups", `{"displayName": "Lærere", "members": [{"value": "`+id+`"}, {"value": "`+other+`"}]}`).must(t, http.StatusCreated).str("id")
	g := e.do(http.MethodGet, "/Groups/"+gid+"?attributes="+q(`members[value eq "`+other+`"]`), "").must(t, http.StatusOK)
	if l := emails(g, "members"); len(l) != 1 || g.str("members.0.value") != other {
		t.Errorf("members filter: %s", g.raw)
	}
	// A bad selection is refused before anything is stored.
	before := len(e.changes())
	for _, query := range []string{`emails[type eq`, `title[value eq "x"]`, `emails[nothing eq "x"]`, `emails[type eq "work"]x`} {
		checkError(t, e.do(http.MethodGet, "/Users/"+id+"?attributes="+q(query), ""), http.StatusBadRequest, "invalidFilter")
		checkError(t, e.do(http.MethodPatch, "/Users/"+id+"?attributes="+q(query), patchOp(`{"op": "Replace", "path": "title", "value": "x"}`)),
			http.StatusBadRequest, "invalidFilter")
	}
	if after := len(e.changes()); after != before {
		t.Errorf("a refused request stored %d changes", after-before)
	}
}
