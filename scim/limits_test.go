package scim_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"folkevakt/scim"
)

// TestHugeFilterAnswersQuickly sends the filter that used to overflow the
// parser's stack and kill the process (issue 15): 100,000 nested
// parentheses in a 200 kB URL. It must be a quick 400 invalidFilter, the
// server must keep serving and the heap must not grow by more than a few MB.
func TestHugeFilterAnswersQuickly(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("kari@testkommune.no")
	n := 100_000
	huge := strings.Repeat("(", n) + `userName eq "x"` + strings.Repeat(")", n)

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	r := e.do(http.MethodGet, "/Users?filter="+q(huge), "")
	elapsed := time.Since(start)
	checkError(t, r, http.StatusBadRequest, "invalidFilter")
	if elapsed > 2*time.Second {
		t.Errorf("answered after %v", elapsed)
	}
	// The same nesting in a PATCH path (inside a 1 MiB body).
	path := `emails[` + strings.Repeat("(", n) + `type eq "work"` + strings.Repeat(")", n) + `].value`
	r = e.do(http.MethodPatch, "/Users/"+uid, patchOp(fmt.Sprintf(`{"op": "replace", "path": %q, "value": "x"}`, path)))
	checkError(t, r, http.StatusBadRequest, "invalidPath")
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("heap grew by %d bytes", grown)
	}
	e.do(http.MethodGet, "/Users/"+uid, "").must(t, http.StatusOK)
	e.do(http.MethodGet, "/ServiceProviderConfig", "").must(t, http.StatusOK)
}

// TestFilterLimits: filters past the advertised limits are a 400
// invalidFilter before any parsing; the long and deep filters of issue 15
// (which reached SQLite and answered 500) are among them; filters at the
// limits run.
func TestFilterLimits(t *testing.T) {
	e := newEnv(t)
	e.createUser("kari@testkommune.no")
	e.do(http.MethodPost, "/Groups", `{"displayName": "Lærere"}`).must(t, http.StatusCreated)
	join := func(n int, term, op string) string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = fmt.Sprintf(term, i)
		}
		return strings.Join(terms, " "+op+" ")
	}
	nest := func(n int, open, inner, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	for _, tc := range []struct{ name, path, filter string }{
		{"1,000 or", "/Users", join(1000, `userName eq "u%d"`, "or")},
		{"1,200 and on Groups", "/Groups", join(1200, `displayName eq "g%d"`, "and")},
		{"1,200 nested not", "/Users", nest(1200, "not (", `userName eq "x"`, ")")},
		{"too long", "/Users", `userName eq "` + strings.Repeat("x", scim.MaxFilterBytes) + `"`},
		{"too deep", "/Users", nest(scim.MaxFilterDepth+1, "(", `userName eq "x"`, ")")},
		{"too deep in a value path", "/Users", `emails[` + nest(scim.MaxFilterDepth, "(", `type eq "x"`, ")") + `]`},
		{"too many comparisons", "/Users", join(scim.MaxFilterTerms+1, `userName eq "u%d"`, "or")},
		{"too many presence tests", "/Users", join(scim.MaxFilterTerms+1, `title pr`, "and")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, e.do(http.MethodGet, tc.path+"?filter="+q(tc.filter), ""), http.StatusBadRequest, "invalidFilter")
		})
	}
	for _, tc := range []struct{ name, path, filter string }{
		{"most comparisons, or", "/Users", join(scim.MaxFilterTerms, `userName eq "u%d"`, "or")},
		{"most comparisons, and", "/Groups", join(scim.MaxFilterTerms, `displayName ne "g%d"`, "and")},
		{"most comparisons on emails", "/Users", join(scim.MaxFilterTerms, `emails.value co "%d"`, "or")},
		{"deepest not", "/Users", nest(scim.MaxFilterDepth, "not (", `userName eq "x"`, ")")},
		{"deepest value path", "/Users", nest(scim.MaxFilterDepth-1, "(", `emails[type eq "work" and value co "@"]`, ")")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(http.MethodGet, tc.path+"?filter="+q(tc.filter), "").must(t, http.StatusOK)
		})
	}
	spc := e.do(http.MethodGet, "/ServiceProviderConfig", "").must(t, http.StatusOK)
	if spc.get("filter.maxLength") != float64(scim.MaxFilterBytes) || spc.get("filter.maxDepth") != float64(scim.MaxFilterDepth) ||
		spc.get("filter.maxComparisons") != float64(scim.MaxFilterTerms) || spc.get("patch.maxOperations") != float64(scim.MaxPatchOperations) ||
		spc.get("filter.supported") != true || spc.get("patch.supported") != true {
		t.Errorf("limits not advertised: %s", spc.raw)
	}
}

// TestBodyLimits: JSON nesting and the number of PATCH operations are
// bounded before any decoder or parser recurses or loops over them.
func TestBodyLimits(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("kari@testkommune.no")
	deep := `{"userName": "deep", "title": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	checkError(t, e.do(http.MethodPost, "/Users", deep), http.StatusBadRequest, "invalidSyntax")
	deepPatch := patchOp(`{"op": "add", "value": {"title": ` + strings.Repeat(`{"a":`, scim.MaxJSONDepth) + `1` + strings.Repeat("}", scim.MaxJSONDepth) + `}}`)
	checkError(t, e.do(http.MethodPatch, "/Users/"+uid, deepPatch), http.StatusBadRequest, "invalidSyntax")
	ops := strings.TrimSuffix(strings.Repeat(`{"op": "replace", "path": "title", "value": "x"},`, scim.MaxPatchOperations+1), ",")
	checkError(t, e.do(http.MethodPatch, "/Users/"+uid, patchOp(ops)), http.StatusBadRequest, "invalidValue")
	long := `emails[value eq "` + strings.Repeat("x", scim.MaxFilterBytes) + `"].type`
	checkError(t, e.do(http.MethodPatch, "/Users/"+uid, patchOp(fmt.Sprintf(`{"op": "remove", "path": %q}`, long))),
		http.StatusBadRequest, "invalidPath")
	// Nothing of it was stored.
	if r := e.do(http.MethodGet, "/Users/"+uid, "").must(t, http.StatusOK); r.get("title") != nil {
		t.Errorf("a refused PATCH changed the user: %s", r.raw)
	}
	ops = strings.TrimSuffix(strings.Repeat(`{"op": "replace", "path": "title", "value": "x"},`, scim.MaxPatchOperations), ",")
	e.do(http.MethodPatch, "/Users/"+uid, patchOp(ops)).must(t, http.StatusNoContent)
}

// TestRoutes: endpoint names match in any case and with a trailing slash, as
// Entra and Microsoft's reference service expect; every other path and
// method under /scim answers with the SCIM error schema.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	uid := e.createUser("kari@testkommune.no")
	for _, path := range []string{"/users", "/USERS/", "/Users/?filter=" + q(`userName eq "kari@testkommune.no"`),
		"/users?filter=" + q(`userName eq "kari@testkommune.no"`)} {
		r := e.do(http.MethodGet, path, "").must(t, http.StatusOK)
		if r.get("totalResults") != float64(1) || r.str("Resources.0.id") != uid {
			t.Errorf("GET %s: %s", path, r.raw)
		}
	}
	for _, path := range []string{"/users/" + uid, "/Users/" + uid + "/", "/uSeRs/" + uid} {
		if r := e.do(http.MethodGet, path, "").must(t, http.StatusOK); r.str("id") != uid {
			t.Errorf("GET %s: %s", path, r.raw)
		}
	}
	e.do(http.MethodGet, "/serviceproviderconfig", "").must(t, http.StatusOK)
	e.do(http.MethodGet, "/resourcetypes/", "").must(t, http.StatusOK)
	e.do(http.MethodGet, "/schemas", "").must(t, http.StatusOK)
	e.do(http.MethodPost, "/groups/", `{"displayName": "Rektorer"}`).must(t, http.StatusCreated)

	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/Nothing", http.StatusNotFound, ""},
		{http.MethodGet, "/Users/" + uid + "/groups", http.StatusNotFound, ""},
		{http.MethodGet, "/../admin", http.StatusNotFound, ""},
		{http.MethodDelete, "/Users", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodPatch, "/Groups", http.StatusMethodNotAllowed, "GET, POST"},
		{http.MethodPost, "/Users/" + uid, http.StatusMethodNotAllowed, "GET, PUT, PATCH, DELETE"},
		{http.MethodPost, "/ServiceProviderConfig", http.StatusMethodNotAllowed, "GET"},
		{http.MethodPut, "/Schemas", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/Me", http.StatusNotImplemented, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, "")
			checkError(t, r, tc.status, "")
			if tc.allow != "" && r.allow != tc.allow {
				t.Errorf("Allow %q, want %q", r.allow, tc.allow)
			}
		})
	}
	// Outside /scim/v2 (the handler also answers without /v2, as Microsoft's
	// reference service does).
	for _, url := range []string{strings.TrimSuffix(e.url, "/v2") + "/nothing", strings.TrimSuffix(e.url, "/v2"), e.url, e.url + "/"} {
		checkError(t, e.doURL(http.MethodGet, url), http.StatusNotFound, "")
	}
	if r := e.doURL(http.MethodGet, strings.TrimSuffix(e.url, "/v2")+"/Users/"+uid); r.status != http.StatusOK {
		t.Errorf("GET /scim/Users/{id}: %d", r.status)
	}
}
