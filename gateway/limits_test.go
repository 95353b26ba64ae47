package gateway_test

import (
	"bytes"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// Oversized and deeply nested input is refused with a 400 in the Fiks body
// before it is parsed or reaches the upstream, quickly and without growing
// the heap, and the server keeps answering.
func TestBoundedInput(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	role := f.role("helse-omsorg", store.UsageWebAndM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
	c := f.integration("limits")
	f.grant(role.ID, store.SubjectIntegration, c.id)
	base := "/folkeregister/api/v1/" + role.ID + "/v1/personer/"

	manyParts := "part=" + strings.Repeat("navn,", 1000) + "navn"
	longQuery := "navn=" + url.QueryEscape(strings.Repeat("Ola ", 40_000))
	manyParams := strings.Repeat("part=navn&", 500) + "part=navn"
	deep := []byte(`{"foedselsEllerDNummer":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`)
	alsoDeep := []byte(`{"foedselsEllerDNummer":["` + ex.Ordinary + `"],"x":` + strings.Repeat(`{"a":`, freg.MaxJSONDepth) + `1` + strings.Repeat("}", freg.MaxJSONDepth) + `}`)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		says               string
	}{
		{"1,001 part values", "GET", base + ex.Ordinary + "?" + manyParts, nil, "part values"},
		{"501 query parameters", "GET", base + ex.Ordinary + "?" + manyParams, nil, "query parameters"},
		{"160 kB search", "GET", base + "soek?" + longQuery, nil, "query longer"},
		{"100,000 nested arrays", "POST", base + "bulkoppslag", deep, "nested deeper"},
		{"objects nested past the limit", "POST", base + "bulkoppslag", alsoDeep, "nested deeper"},
	} {
		for range 5 {
			r := f.do(c, tc.method, tc.path, tc.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("%s: status %d, want 400: %.300s", tc.name, r.status, r.body)
			}
			b := r.fiks(t)
			if b["errorCode"] != "invalid-request" || !strings.Contains(b["message"].(string), tc.says) {
				t.Fatalf("%s: body %.300s", tc.name, r.body)
			}
		}
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("heap grew by %d MB", grown>>20)
	}
	if took > 10*time.Second {
		t.Errorf("25 refused requests took %s", took)
	}
	if n := f.upstream.calls.Load(); n != 0 {
		t.Errorf("%d upstream calls for refused input", n)
	}
	// Within the limits, the same routes work.
	if r := f.do(c, "GET", base+ex.Ordinary+"?part=navn&part=identifikasjonsnummer", nil); r.status != http.StatusOK {
		t.Fatalf("ordinary lookup after the refusals: %d %s", r.status, r.body)
	}
	body := []byte(`{"foedselsEllerDNummer":["` + ex.Ordinary + `"]}`)
	if r := f.do(c, "POST", base+"bulkoppslag?part=navn", bytes.Clone(body)); r.status != http.StatusOK {
		t.Fatalf("bulk lookup after the refusals: %d %s", r.status, r.body)
	}
}
