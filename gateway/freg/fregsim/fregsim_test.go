package fregsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/fregspec"
)

// syncBuffer collects log output written by server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newServer serves reg with fregsim on loopback and returns the logs, which
// are complete once the server is closed.
func newServer(t *testing.T, reg freg.Client) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	srv := httptest.NewServer(fregsim.NewHandler(reg, slog.New(slog.NewTextHandler(logs, nil))))
	t.Cleanup(srv.Close)
	return srv, logs
}

const v1 = fregsim.Prefix + "/v1/"

// specHTTP is srv's client, validating every answer against FREG's
// official spec when the document is at hand.
func specHTTP(t *testing.T, srv *httptest.Server) *http.Client {
	return &http.Client{Transport: fregspec.MaybeLoad(t).Transport(t, srv.Client().Transport, false)}
}

func TestWire(t *testing.T) {
	reg := newRegister()
	srv, logs := newServer(t, reg)
	bigBody := `{"foedselsEllerDNummer":["` + strings.Repeat("1", 2<<20) + `"]}`
	var ids1001 []string
	for range 1001 {
		ids1001 = append(ids1001, idOla)
	}
	tooMany, _ := json.Marshal(map[string][]string{"foedselsEllerDNummer": ids1001})

	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		body        string
		wantStatus  int
		wantKode    string // for error answers
		wantBody    string // substring of the answer, for success
		notInBody   string
		wantHeader  map[string]string
		wantNoBody  bool
		checkLogsID string // identity number that must not be logged
	}{
		{name: "person", method: "GET", path: v1 + "personer/" + idOla, wantStatus: 200,
			wantBody: `"fornavn":"Ola"`, notInBody: `"Hansen"`, checkLogsID: idOla},
		{name: "person default parts exclude familierelasjon", method: "GET", path: v1 + "personer/" + idOla,
			wantStatus: 200, notInBody: "familierelasjon"},
		{name: "person historikk", method: "GET", path: v1 + "personer/" + idOla + "?part=navn,historikk",
			wantStatus: 200, wantBody: `"etternavn":"Hansen"`, notInBody: "kjoenn"},
		{name: "person repeated part", method: "GET", path: v1 + "personer/" + idOla + "?part=navn&part=relasjon-utvidet",
			wantStatus: 200, wantBody: `"relatertPerson"`, notInBody: "kjoenn"},
		{name: "person accept any", method: "GET", path: v1 + "personer/" + idOla, header: map[string]string{"Accept": "*/*"}, wantStatus: 200},
		{name: "person accept list", method: "GET", path: v1 + "personer/" + idOla, header: map[string]string{"Accept": "text/html, application/json;q=0.5"}, wantStatus: 200},
		{name: "person accept xml", method: "GET", path: v1 + "personer/" + idOla, header: map[string]string{"Accept": "application/xml"},
			wantStatus: 406, wantKode: "FREG-008"},
		{name: "person accept json q=0", method: "GET", path: v1 + "personer/" + idOla, header: map[string]string{"Accept": "application/json;q=0"},
			wantStatus: 406, wantKode: "FREG-008"},
		{name: "person invalid id", method: "GET", path: v1 + "personer/01015012345", wantStatus: 400, wantKode: "FREG-001",
			notInBody: "01015012345", checkLogsID: "01015012345"},
		{name: "person unknown", method: "GET", path: v1 + "personer/" + idUnknown, wantStatus: 404, wantKode: "FREG-002", notInBody: idUnknown},
		{name: "person unknown part", method: "GET", path: v1 + "personer/" + idOla + "?part=skostoerrelse", wantStatus: 400, wantKode: "FREG-001"},
		{name: "person unknown param", method: "GET", path: v1 + "personer/" + idOla + "?navn=x", wantStatus: 400, wantKode: "FREG-001"},
		{name: "person register failure", method: "GET", path: v1 + "personer/" + idBroken, wantStatus: 500, wantKode: "FREG-014",
			notInBody: "exploded"},
		{name: "person throttled", method: "GET", path: v1 + "personer/" + idThrottle, wantStatus: 429, wantKode: "FREG-011",
			wantHeader: map[string]string{"Retry-After": "1000"}},
		{name: "person wrong method", method: "DELETE", path: v1 + "personer/" + idOla, wantStatus: 405, wantKode: "FREG-007",
			wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "wrong uri", method: "GET", path: v1 + "personer/" + idOla + "/extra", wantStatus: 404, wantKode: "FREG-003"},
		{name: "outside prefix", method: "GET", path: "/api/v1/personer/" + idOla, wantStatus: 404, wantKode: "FREG-003"},
		{name: "healthz", method: "GET", path: "/healthz", header: map[string]string{"Accept": "text/plain"}, wantStatus: 200, wantBody: "ok"},

		{name: "bulk", method: "POST", path: v1 + "personer/bulkoppslag?part=navn", header: map[string]string{"Content-Type": "application/json"},
			body: `{"foedselsEllerDNummer":["` + idOla + `","` + idUnknown + `"]}`, wantStatus: 200,
			wantBody: `{"oppslag":[{"foedselsEllerDNummer":"` + idOla + `","folkeregisterperson":{"identifikasjonsnummer"`},
		{name: "bulk unknown gets feilmelding", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json; charset=utf-8"},
			body: `{"foedselsEllerDNummer":["` + idUnknown + `"]}`, wantStatus: 200, wantBody: `"feilmelding":{"feilmelding":"person ikke funnet"}`},
		{name: "bulk no content type", method: "POST", path: v1 + "personer/bulkoppslag",
			body: `{"foedselsEllerDNummer":["` + idOla + `"]}`, wantStatus: 415, wantKode: "FREG-010"},
		{name: "bulk text content type", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "text/plain"},
			body: `{"foedselsEllerDNummer":["` + idOla + `"]}`, wantStatus: 415, wantKode: "FREG-010"},
		{name: "bulk too large", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: bigBody, wantStatus: 413, wantKode: "FREG-009"},
		{name: "bulk 1001", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: string(tooMany), wantStatus: 400, wantKode: "FREG-001"},
		{name: "bulk empty", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: `{"foedselsEllerDNummer":[]}`, wantStatus: 400, wantKode: "FREG-001"},
		{name: "bulk malformed", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: `{"foedselsEllerDNummer":[`, wantStatus: 400, wantKode: "FREG-001"},
		{name: "bulk trailing data", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: `{"foedselsEllerDNummer":["` + idOla + `"]} {}`, wantStatus: 400, wantKode: "FREG-001"},
		{name: "bulk unknown field", method: "POST", path: v1 + "personer/bulkoppslag", header: map[string]string{"Content-Type": "application/json"},
			body: `{"ids":["` + idOla + `"]}`, wantStatus: 400, wantKode: "FREG-001"},
		{name: "bulk via GET", method: "GET", path: v1 + "personer/bulkoppslag", wantStatus: 400, wantKode: "FREG-001"},

		{name: "soek", method: "GET", path: v1 + "personer/soek?navn=Nordmann", wantStatus: 200,
			wantBody: `{"foedselsEllerDNummer":["` + idOla + `","` + idKari + `"]}`},
		{name: "soek no hits", method: "GET", path: v1 + "personer/soek?navn=Ingen", wantStatus: 200, wantBody: `{"foedselsEllerDNummer":[]}`},
		{name: "soek bad maksTreff", method: "GET", path: v1 + "personer/soek?navn=Nordmann&maksTreff=0", wantStatus: 400, wantKode: "FREG-001"},
		{name: "soek unknown param", method: "GET", path: v1 + "personer/soek?etternavn=Nordmann", wantStatus: 400, wantKode: "FREG-001"},
		{name: "entydigsoek", method: "GET", path: v1 + "personer/entydigsoek?navn=Kari+Nordmann&part=navn", wantStatus: 200,
			wantBody: `"fornavn":"Kari"`, notInBody: "kjoenn"},
		{name: "entydigsoek ambiguous", method: "GET", path: v1 + "personer/entydigsoek?navn=Nordmann", wantStatus: 404, wantKode: "FREG-002"},
		{name: "entydigsoek bad part", method: "GET", path: v1 + "personer/entydigsoek?navn=Nordmann&part=x", wantStatus: 400, wantKode: "FREG-001"},

		{name: "feed", method: "GET", path: v1 + "hendelser/feed?seq=1001", wantStatus: 200, wantBody: `[{"sekvensnummer":1001,"hendelse":{"folkeregisteridentifikator":"` + idOla + `","hendelsetype":"endringINavn"`},
		{name: "feed head", method: "HEAD", path: v1 + "hendelser/feed?seq=1", wantStatus: 200, wantNoBody: true},
		{name: "feed past head", method: "GET", path: v1 + "hendelser/feed?seq=2000", wantStatus: 200, wantBody: `[]`},
		{name: "feed no seq", method: "GET", path: v1 + "hendelser/feed", wantStatus: 400, wantKode: "FREG-001"},
		{name: "feed seq 0", method: "GET", path: v1 + "hendelser/feed?seq=0", wantStatus: 400, wantKode: "FREG-001"},
		{name: "feed seq text", method: "GET", path: v1 + "hendelser/feed?seq=ti", wantStatus: 400, wantKode: "FREG-001"},
		{name: "feed post", method: "POST", path: v1 + "hendelser/feed?seq=1", wantStatus: 405, wantKode: "FREG-007"},
		{name: "siste sekvensnummer", method: "GET", path: v1 + "hendelser/siste/sekvensnummer", wantStatus: 200, wantBody: "1500"},

		{name: "uttrekk", method: "POST", path: v1 + "uttrekk/tilpasset", header: map[string]string{"Content-Type": "application/json"},
			body: `{"personstatustyper":["bosatt"],"kommunenummer":{"bostedskommunenummer":"0301"}}`, wantStatus: 200, wantBody: `{"jobbId":"job-1"}`},
		{name: "batch 0", method: "GET", path: v1 + "uttrekk/job-1/batch/0", wantStatus: 200, wantBody: `{"foedselsEllerDNummer":["` + idKari + `","` + idOla + `"]}`},
		{name: "batch past end", method: "GET", path: v1 + "uttrekk/job-1/batch/1", wantStatus: 200, wantBody: `{}`},
		{name: "batch not ready", method: "GET", path: v1 + "uttrekk/pending/batch/0", wantStatus: 404, wantKode: "FREG-004"},
		{name: "batch unknown job", method: "GET", path: v1 + "uttrekk/nope/batch/0", wantStatus: 410, wantKode: "FREG-005"},
		{name: "batch negative", method: "GET", path: v1 + "uttrekk/job-1/batch/-1", wantStatus: 400, wantKode: "FREG-001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := specHTTP(t, srv).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, body)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tc.wantKode != "" {
				// FREG's documented body, or the shape the spec lists for the status.
				var e struct{ Kode, Melding, Feilkode, Feilmelding, Code, Message string }
				err := json.Unmarshal(body, &e)
				e.Kode += e.Feilkode + e.Code
				e.Melding += e.Message
				if k, m, ok := strings.Cut(e.Feilmelding, " "); ok && e.Kode == "" {
					e.Kode, e.Melding = k, m
				} else if e.Melding == "" {
					e.Melding = e.Feilmelding
				}
				if err != nil || e.Kode != tc.wantKode || e.Melding == "" {
					t.Fatalf("error body %s, want kode %s and a melding", body, tc.wantKode)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q", ct)
				}
			}
			if !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body %s lacks %s", body, tc.wantBody)
			}
			if tc.notInBody != "" && strings.Contains(string(body), tc.notInBody) {
				t.Errorf("body %s contains %s", body, tc.notInBody)
			}
			if tc.wantNoBody && len(body) != 0 {
				t.Errorf("HEAD answered a body of %d bytes", len(body))
			}
		})
	}
	srv.Close() // waits for handlers, so the log is complete
	out := logs.String()
	for _, tc := range tests {
		if tc.checkLogsID != "" && strings.Contains(out, tc.checkLogsID) {
			t.Errorf("log contains identity number %s", tc.checkLogsID)
		}
	}
	for _, want := range []string{"route=\"GET " + v1 + "personer/{personidentifikator}\"", "status=404", "route=unmatched", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

func TestFeedETag(t *testing.T) {
	srv, _ := newServer(t, newRegister())
	get := func(seq, etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+v1+"hendelser/feed?seq="+seq, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := specHTTP(t, srv).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	first := get("1501", "")
	etag := first.Header.Get("ETag")
	if first.StatusCode != 200 || etag == "" {
		t.Fatalf("status %d, ETag %q", first.StatusCode, etag)
	}
	if r := get("1501", etag); r.StatusCode != http.StatusNotModified || r.Header.Get("ETag") != etag {
		t.Fatalf("same page with its tag: status %d, ETag %q", r.StatusCode, r.Header.Get("ETag"))
	}
	if r := get("1501", `W/`+etag+`, "other"`); r.StatusCode != http.StatusNotModified {
		t.Fatalf("weak tag in a list: status %d", r.StatusCode)
	}
	// An empty page elsewhere in the feed must not share the tag.
	if r := get("1600", etag); r.StatusCode != 200 || r.Header.Get("ETag") == etag {
		t.Fatalf("other seq: status %d, ETag %q", r.StatusCode, r.Header.Get("ETag"))
	}
	if r := get("1", etag); r.StatusCode != 200 {
		t.Fatalf("non-empty page with a stale tag: status %d", r.StatusCode)
	}
}
