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
