package fregspec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The validator is only worth anything if it fails: wrong types, undefined
// fields, unlisted statuses and unknown paths are all reported.
func TestCheckResponseRejectsWhatTheSpecDoesNotDefine(t *testing.T) {
	s := Load(t)
	json := http.Header{"Content-Type": {"application/json"}}
	person := httptest.NewRequest("GET", Prefix+"/v1/personer/12345678901", nil)
	for name, c := range map[string]struct {
		req    *http.Request
		status int
		body   string
		ok     bool
	}{
		"valid person":          {person, 200, `{"identifikasjonsnummer":[{"foedselsEllerDNummer":"12345678901","identifikatortype":"foedselsnummer","status":"iBruk","erGjeldende":true,"kilde":"x","gyldighetstidspunkt":"2020-01-01T00:00:00Z"}]}`, true},
		"undefined field":       {person, 200, `{"skostoerrelse":44}`, false},
		"undefined nested":      {person, 200, `{"navn":[{"fornavn":"Ola","etternavn":"N","erGjeldende":true,"kilde":"x","farge":"blå"}]}`, false},
		"wrong type":            {person, 200, `{"foedselINorge":[{"erGjeldende":"ja"}]}`, false},
		"unlisted status":       {person, 418, `{}`, false},
		"404 without a body":    {person, 404, `{"kode":"FREG-002","melding":"x"}`, true},
		"xsd is not a person":   {httptest.NewRequest("GET", Prefix+"/v1/personer/xsd", nil), 200, `{}`, false},
		"bulk":                  {httptest.NewRequest("POST", Prefix+"/v1/personer/bulkoppslag", strings.NewReader(`{}`)), 200, `{"oppslag":[{"foedselsEllerDNummer":"1","feilmelding":{"feilmelding":"x"}}]}`, true},
		"last sequence number":  {httptest.NewRequest("GET", Prefix+"/v1/hendelser/siste/sekvensnummer", nil), 200, `42`, true},
		"last sequence as text": {httptest.NewRequest("GET", Prefix+"/v1/hendelser/siste/sekvensnummer", nil), 200, `"42"`, false},
	} {
		err := s.CheckResponse(c.req, nil, c.status, json, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: ok=%v, err=%v", name, c.ok, err)
		}
	}
	if err := s.CheckResponse(httptest.NewRequest("GET", Prefix+"/v1/personer", nil), nil, 200, json, []byte(`{}`)); err == nil {
		t.Error("a path outside the spec passed")
	}
}

func TestCheckRequestTypesUttrekkYearsAsStrings(t *testing.T) {
	s := Load(t)
	post := func(body string) *http.Request {
		r := httptest.NewRequest("POST", Prefix+"/v1/uttrekk/tilpasset", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	if err := s.CheckRequest(post(`{"personstatustyper":["bosatt"],"foedselsaarFraOgMed":"1990"}`), []byte(`{"personstatustyper":["bosatt"],"foedselsaarFraOgMed":"1990"}`)); err != nil {
		t.Errorf("string year: %v", err)
	}
	if err := s.CheckRequest(post(``), []byte(`{"personstatustyper":["bosatt"],"foedselsaarFraOgMed":1990}`)); err == nil {
		t.Error("a numeric year passed")
	}
}

func TestOperationsAreTheSixteenPaths(t *testing.T) {
	if ops := Load(t).Operations(); len(ops) != 16 {
		t.Fatalf("%d operations: %v", len(ops), ops)
	}
}
