package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// Requests no route takes under the gateway prefix are answered with the
// Fiks error body (not gin's plain text), with identity numbers redacted.
func TestUnmatchedGatewayRoutesAnswerFiksBody(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	c := f.integration("unmatched")
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/folkeregister/api/v1/r1/v1/personer/01010112345/extra", http.StatusNotFound, "not-found"},
		{"GET", "/folkeregister/nothing", http.StatusNotFound, "not-found"},
		{"GET", "/folkeregister", http.StatusNotFound, "not-found"},
		{"DELETE", "/folkeregister/api/v1/r1/v1/personer/01010112345", http.StatusMethodNotAllowed, "method-not-allowed"},
		{"PUT", "/folkeregister/api/v1/r1/v1/personer/bulkoppslag", http.StatusMethodNotAllowed, "method-not-allowed"},
	} {
		r := f.do(c, tc.method, tc.path, nil)
		if r.status != tc.status {
			t.Errorf("%s %s: status %d, want %d (%s)", tc.method, tc.path, r.status, tc.status, r.body)
			continue
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: content type %q", tc.method, tc.path, ct)
		}
		b := r.fiks(t)
		if b["errorCode"] != tc.code || b["status"] != float64(tc.status) || b["errorId"] == "" {
			t.Errorf("%s %s: body %s", tc.method, tc.path, r.body)
		}
		if strings.Contains(string(r.body), "01010112345") {
			t.Errorf("%s %s: identity number echoed: %s", tc.method, tc.path, r.body)
		}
		if tc.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", tc.method, tc.path)
		}
	}
	if n := f.upstream.calls.Load(); n != 0 {
		t.Errorf("%d upstream calls for unmatched routes", n)
	}
}
