package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/ident"
	"folkevakt/store"
)

var allPurposes = []string{store.PurposeSearch, store.PurposeEvents, store.PurposeCitizenLists}

var reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Every bad input is refused with 400 or 401 in the Fiks body, nothing is
// fetched upstream, and the audit record says denied.
func TestBadInput(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	role := f.role("helse-omsorg", store.UsageWebAndM2M, store.GradedHide, allPurposes, append([]string{freg.ElementHistorikk}, freg.PersonBasis...)...)
	integ := f.integration("fag")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	emp := f.employee("per@storevik.kommune.no")
	f.grant(role.ID, store.SubjectUser, emp.id)
	base := "/folkeregister/api/v1/" + role.ID + "/v1/"
	bad := ex.Ordinary[:10] + string('0'+(ex.Ordinary[10]-'0'+1)%10) // wrong check digit
	tooMany := make([]string, 1001)
	for i := range tooMany {
		tooMany[i] = ex.Ordinary
	}
	noPassword := caller{headers: http.Header{"Integrasjonid": integ.headers["Integrasjonid"], "Authorization": integ.headers["Authorization"]}}
	wrongPassword := caller{headers: integ.headers.Clone()}
	wrongPassword.headers.Set("IntegrasjonPassord", "not-the-password")
	expiredEmp := caller{headers: http.Header{"Authorization": {"Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}}}

	cases := []struct {
		name   string
		c      caller
		method string
		path   string
		body   []byte
		header []string
		status int
	}{
		{"invalid identity number", integ, "GET", base + "personer/" + bad, nil, nil, 400},
		{"short identity number", integ, "GET", base + "personer/123", nil, nil, 400},
		{"unknown part", integ, "GET", base + "personer/" + ex.Ordinary + "?part=navn,skonummer", nil, nil, 400},
		{"unknown parameter", integ, "GET", base + "personer/" + ex.Ordinary + "?foo=1", nil, nil, 400},
		{"bad visGraderteAdresser", integ, "GET", base + "personer/" + ex.Ordinary + "?visGraderteAdresser=ja", nil, nil, 400},
		{"bulk over 1000", integ, "POST", base + "personer/bulkoppslag", mustJSON(map[string]any{"foedselsEllerDNummer": tooMany}), nil, 400},
		{"bulk empty", integ, "POST", base + "personer/bulkoppslag", []byte(`{"foedselsEllerDNummer":[]}`), nil, 400},
		{"bulk invalid id", integ, "POST", base + "personer/bulkoppslag", mustJSON(map[string]any{"foedselsEllerDNummer": []string{ex.Ordinary, bad}}), nil, 400},
		{"bulk malformed JSON", integ, "POST", base + "personer/bulkoppslag", []byte(`{"foedselsEllerDNummer":[`), nil, 400},
		{"bulk unknown field", integ, "POST", base + "personer/bulkoppslag", []byte(`{"ids":[]}`), nil, 400},
		{"bulk wrong content type", integ, "POST", base + "personer/bulkoppslag", []byte(`{"foedselsEllerDNummer":[]}`), []string{"Content-Type", "text/plain"}, 400},
		{"bulk missing content type", integ, "POST", base + "personer/bulkoppslag", []byte(`{}`), []string{"Content-Type", ""}, 400},
		{"soek unknown parameter", integ, "GET", base + "personer/soek?fornavn=Kari", nil, nil, 400},
		{"soek bad kjoenn", integ, "GET", base + "personer/soek?kjoenn=x", nil, nil, 400},
		{"entydigsoek bad date", integ, "GET", base + "personer/entydigsoek?navn=Kari+Nordmann&foedselsdato=1990", nil, nil, 400},
		{"feed without seq", integ, "GET", base + "hendelser/feed", nil, nil, 400},
		{"feed bad seq", integ, "GET", base + "hendelser/feed?seq=abc", nil, nil, 400},
		{"feed seq zero", integ, "GET", base + "hendelser/feed?seq=0", nil, nil, 400},
		{"uttrekk without personstatustyper", integ, "POST", base + "uttrekk/tilpasset", []byte(`{"kjoenn":"mann"}`), nil, 400},
		{"uttrekk two kommuner", integ, "POST", base + "uttrekk/tilpasset", []byte(`{"personstatustyper":["bosatt"],"kommunenummer":{"bostedskommunenummer":"4627","oppholdskommunenummer":"4627"}}`), nil, 400},
		{"batch negative", integ, "GET", base + "uttrekk/abc/batch/-1", nil, nil, 400},
		{"machine without password", noPassword, "GET", base + "personer/" + ex.Ordinary, nil, nil, 401},
		{"machine wrong password", wrongPassword, "GET", base + "personer/" + ex.Ordinary, nil, nil, 401},
		{"employee without token", caller{}, "GET", base + "personer/" + ex.Ordinary, nil, nil, 401},
		{"employee bad token", expiredEmp, "GET", base + "personer/" + ex.Ordinary, nil, nil, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.audit())
			r := f.do(tc.c, tc.method, tc.path, tc.body, tc.header...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			b := r.fiks(t)
			if b["status"] != float64(tc.status) || b["error"] != http.StatusText(tc.status) || !reUUID.MatchString(b["errorId"].(string)) ||
				b["timestamp"].(float64) < float64(time.Now().Add(-time.Minute).UnixMilli()) || b["message"] == "" || b["errorCode"] == "" {
				t.Errorf("Fiks body %s", r.body)
			}
			path := b["path"].(string)
			if !strings.HasPrefix(path, "/folkeregister/api/v1/") || strings.Contains(path, "?") {
				t.Errorf("path %q", path)
			}
			if strings.Contains(string(r.body), ex.Ordinary) || strings.Contains(string(r.body), bad) {
				t.Errorf("body echoes an identity number: %s", r.body)
			}
			if n := f.upstream.calls.Load(); n != 0 {
				t.Fatalf("upstream called %d times", n)
			}
			recs := f.audit()
			if len(recs) != before+1 {
				t.Fatalf("%d audit records written, want 1", len(recs)-before)
			}
			if rec := recs[len(recs)-1]; rec.Decision != store.DecisionDeny || rec.Status != tc.status || rec.Reason == "" || len(rec.Elements) != 0 {
				t.Errorf("audit record %+v", rec)
			}
		})
	}
	if r := f.do(integ, "GET", base+"personer/"+bad, nil); r.status == 429 && r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

// Graded addresses leave only with the reveal rule; strengt fortrolig
// persons never have residence data; status is masked without
// confidential access.
func TestGradedAddressesAndStrengtFortrolig(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	if ex.Fortrolig == "" || ex.StrengtFortrolig == "" || ex.Klientadresse == "" {
		t.Fatalf("population lacks graded persons: %+v", ex)
	}
	elements := append([]string{"innflytting", "utflytting", "preferertKontaktadresse"}, freg.PersonBasis...)
	integ := f.integration("fag")
	roleFor := func(area, graded string) string {
		r := f.role(area, store.UsageWebAndM2M, graded, searchOnly, elements...)
		f.grant(r.ID, store.SubjectIntegration, integ.id)
		return r.ID
	}
	open := roleFor("stotte", store.GradedShow) // no confidential access, even if "show"
	hide := roleFor("helse-omsorg", store.GradedHide)
	show := roleFor("helse-omsorg", store.GradedShow)

	cases := []struct {
		role, person, query string
		graded              bool
	}{
		{open, ex.Fortrolig, "", false},
		{open, ex.Fortrolig, "visGraderteAdresser=true", false},
		{open, ex.Klientadresse, "visGraderteAdresser=true", false},
		{hide, ex.Fortrolig, "", false},
		{hide, ex.Fortrolig, "visGraderteAdresser=true", true},
		{hide, ex.Klientadresse, "visGraderteAdresser=true", true},
		{show, ex.Fortrolig, "", true},
		{show, ex.Fortrolig, "visGraderteAdresser=false", true},
		{hide, ex.StrengtFortrolig, "visGraderteAdresser=true", false},
		{show, ex.StrengtFortrolig, "", false},
		{open, ex.StrengtFortrolig, "", false},
	}
	for _, tc := range cases {
		q := "part=person-basis&part=innflytting&part=utflytting&part=preferertKontaktadresse"
		if tc.query != "" {
			q += "&" + tc.query
		}
		r := f.do(integ, "GET", personPath(tc.role, tc.person, q), nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var p freg.Person
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		graded := gradedEntries(&p)
		if (graded > 0) != tc.graded {
			t.Errorf("role %s person kind %s query %q: %d graded entries, want any=%t", roleName(tc.role, open, hide, show), kind(ex, tc.person), tc.query, graded, tc.graded)
		}
		if rec := f.lastAudit(); rec.GradedRevealed != (graded > 0) {
			t.Errorf("audit gradedRevealed %t with %d graded entries", rec.GradedRevealed, graded)
		}
		if tc.person == ex.StrengtFortrolig {
			if len(p.Bostedsadresse)+len(p.Oppholdsadresse)+len(p.DeltBosted) > 0 {
				t.Errorf("strengt fortrolig residence data left the gateway: %s", r.body)
			}
			if tc.role == open && len(p.Innflytting)+len(p.Utflytting) > 0 {
				t.Errorf("strengt fortrolig inn/utflytting without confidential access")
			}
		}
		if tc.role == open {
			for _, s := range p.Status {
				switch s.Status {
				case "bosatt", "utflyttet", "doed", "opphoert", "inaktiv", "aktiv":
				default:
					t.Errorf("unmasked status %q without confidential access", s.Status)
				}
			}
		}
	}
	// The D-number person's midlertidig status is masked as aktiv outside
	// confidential areas.
	if ex.DNummer != "" {
		r := f.do(integ, "GET", personPath(open, ex.DNummer, "part=status"), nil)
		if r.status != 200 || strings.Contains(string(r.body), `"midlertidig"`) {
			t.Errorf("D-nummer status: %d %s", r.status, r.body)
		}
		r = f.do(integ, "GET", personPath(hide, ex.DNummer, "part=status"), nil)
		if r.status != 200 || strings.Contains(string(r.body), `"status":"aktiv"`) {
			t.Errorf("confidential area sees masked status: %s", r.body)
		}
	}
}

func roleName(id, open, hide, show string) string {
	return map[string]string{open: "stotte/show", hide: "helse-omsorg/hide", show: "helse-omsorg/show"}[id]
}

func kind(ex interface{}, id string) string { return "…" + id[len(id)-3:] }

// gradedEntries counts address entries whose adressegradering is not ugradert.
func gradedEntries(p *freg.Person) int {
	n := 0
	g := func(s string) {
		if s != "" && s != freg.GraderingUgradert {
			n++
		}
	}
	for _, a := range p.Bostedsadresse {
		g(a.Adressegradering)
	}
	for _, a := range p.Oppholdsadresse {
		g(a.Adressegradering)
	}
	for _, a := range p.DeltBosted {
		g(a.Adressegradering)
	}
	for _, a := range p.Postadresse {
		g(a.Adressegradering)
	}
	for _, a := range p.PostadresseIUtlandet {
		g(a.Adressegradering)
	}
	for _, a := range p.PreferertKontaktadresse {
		g(a.Adressegradering)
	}
	return n
}

// Upstream failure → 502, upstream timeout → 504, both in the Fiks body
// with no data, both audited.
func TestUpstreamFailureAndTimeout(t *testing.T) {
	ex := register(t).Examples()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom "+ex.Ordinary, http.StatusInternalServerError)
	}))
	defer failing.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	// FREG's own 400 text may name persons: it never reaches the caller
	// (issue 12; it was copied into the message with only digits removed).
	rejecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"melding":"boom: Kari Nordmann, Storgata 1, ` + ex.Ordinary + `"}`))
	}))
	defer rejecting.Close()
	for _, tc := range []struct {
		name   string
		url    string
		status int
		code   string
	}{
		{"rejected", rejecting.URL, http.StatusBadRequest, "invalid-request"},
		{"failure", failing.URL, http.StatusBadGateway, "upstream-failure"},
		{"timeout", slow.URL, http.StatusGatewayTimeout, "upstream-timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up, err := fregclient.New(fregclient.Config{BaseURL: tc.url + "/folkeregisteret/offentlig-med-hjemmel/api", Timeout: 300 * time.Millisecond,
				MaxRetries: -1, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, fixtureOpts{upstream: up})
			role := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
			integ := f.integration("fag")
			f.grant(role.ID, store.SubjectIntegration, integ.id)
			r := f.do(integ, "GET", personPath(role.ID, ex.Ordinary, ""), nil)
			if r.status != tc.status || r.fiks(t)["errorCode"] != tc.code || strings.Contains(string(r.body), ex.Ordinary) || strings.Contains(string(r.body), "boom") ||
				strings.Contains(string(r.body), "Nordmann") {
				t.Fatalf("%d %s", r.status, r.body)
			}
			rec := f.lastAudit()
			if rec.Status != tc.status || rec.Reason != tc.code || rec.GradedRevealed || len(rec.Persons) != 1 {
				t.Errorf("audit %+v", rec)
			}
		})
	}
}

// If the audit record cannot be written, the caller gets 503 and no data.
func TestAuditFailsClosed(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ex := register(t).Examples()
	role := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
	integ := f.integration("fag")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	if r := f.do(integ, "GET", personPath(role.ID, ex.Ordinary, ""), nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	db := f.sqlDB()
	if _, err := db.Exec(`CREATE TRIGGER audit_broken BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	r := f.do(integ, "GET", personPath(role.ID, ex.Ordinary, ""), nil)
	if r.status != http.StatusServiceUnavailable || r.fiks(t)["errorCode"] != "audit-unavailable" || strings.Contains(string(r.body), "navn") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if len(f.audit()) != 1 {
		t.Error("a record was written despite the failure")
	}
}

// Bulk, soek, entydigsoek, feed and uttrekk through the gateway, each reduced
// and audited.
func TestOtherResources(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	ex := register(t).Examples()
	integ := f.integration("fag")
	narrow := f.role("stotte", store.UsageM2M, store.GradedHide, allPurposes, "identifikasjonsnummer", "navn", "foedsel", "bostedsadresse", "kjoenn", "status")
	f.grant(narrow.ID, store.SubjectIntegration, integ.id)
	base := "/folkeregister/api/v1/" + narrow.ID + "/v1/"

	r := f.do(integ, "POST", base+"personer/bulkoppslag?part=navn,bostedsadresse", mustJSON(map[string]any{"foedselsEllerDNummer": []string{ex.Ordinary, ex.Fortrolig}}))
	if r.status != 200 {
		t.Fatalf("bulk %d %s", r.status, r.body)
	}
	var bulk struct {
		Oppslag []struct {
			FoedselsEllerDNummer string          `json:"foedselsEllerDNummer"`
			Folkeregisterperson  json.RawMessage `json:"folkeregisterperson"`
		} `json:"oppslag"`
	}
	if err := json.Unmarshal(r.body, &bulk); err != nil || len(bulk.Oppslag) != 2 {
		t.Fatalf("bulk body %s", r.body)
	}
	for _, o := range bulk.Oppslag {
		for k := range topLevel(t, o.Folkeregisterperson) {
			if k != "identifikasjonsnummer" && k != "navn" && k != "bostedsadresse" {
				t.Errorf("bulk returned %s", k)
			}
		}
		var p freg.Person
		_ = json.Unmarshal(o.Folkeregisterperson, &p)
		if gradedEntries(&p) > 0 {
			t.Errorf("bulk returned a graded address")
		}
	}
	if rec := f.lastAudit(); len(rec.Persons) != 2 || rec.Decision != store.DecisionAllow {
		t.Errorf("bulk audit %+v", rec)
	}

	r = f.do(integ, "GET", base+"personer/soek?kommunenummer="+kommunenr+"&kjoenn=kvinne&foedselsaarFraOgMed=1980&foedselsaarTilOgMed=1985", nil)
	var ids struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &ids) != nil || len(ids.FoedselsEllerDNummer) == 0 {
		t.Fatalf("soek %d %s", r.status, r.body)
	}
	rec := f.lastAudit()
	if !strings.Contains(string(rec.Criteria), `"kommunenummer":"4627"`) || len(rec.Persons) != len(ids.FoedselsEllerDNummer) {
		t.Errorf("soek audit criteria %s persons %d", rec.Criteria, len(rec.Persons))
	}
	// Searching by a value the role cannot read is refused.
	if r = f.do(integ, "GET", base+"personer/soek?postnummer=0150&inkluderOppholdsadresse=true", nil); r.status != 403 {
		t.Errorf("soek by oppholdsadresse: %d %s", r.status, r.body)
	}

	p, err := register(t).Person(ctx, ex.Ordinary, []string{"navn", "foedsel"})
	if err != nil {
		t.Fatal(err)
	}
	name := p.Navn[0].Fornavn + " " + p.Navn[0].Etternavn
	r = f.do(integ, "GET", base+"personer/entydigsoek?navn="+strings.ReplaceAll(name, " ", "+")+"&foedselsdato="+strings.ReplaceAll(p.Foedsel[0].Foedselsdato, "-", "")+"&part=navn", nil)
	if r.status != 200 {
		t.Fatalf("entydigsoek %d %s", r.status, r.body)
	}
	for k := range topLevel(t, r.body) {
		if k != "identifikasjonsnummer" && k != "navn" {
			t.Errorf("entydigsoek returned %s", k)
		}
	}
	if rec := f.lastAudit(); len(rec.Persons) != 1 || rec.Persons[0] != ex.Ordinary || len(rec.Criteria) == 0 {
		t.Errorf("entydigsoek audit %+v", rec)
	}

	// Feed: items about elements outside the role are dropped.
	r = f.do(integ, "GET", base+"hendelser/feed?seq=1", nil)
	var items []freg.FeedItem
	if r.status != 200 || json.Unmarshal(r.body, &items) != nil || len(items) == 0 {
		t.Fatalf("feed %d %s", r.status, r.body)
	}
	all, _ := register(t).Feed(ctx, 1)
	if len(items) >= len(all) {
		t.Errorf("feed kept %d of %d items", len(items), len(all))
	}
	for _, it := range items {
		switch it.Hendelse.Hendelsetype {
		case "endringIFamilierelasjon", "endringIForeldreansvar", "endringISivilstand", "endringIDeltBosted", "endringIOppholdsadresse", "personErDoed":
			t.Errorf("feed kept %s for a role without its elements", it.Hendelse.Hendelsetype)
		}
	}
	r = f.do(integ, "GET", base+"hendelser/siste/sekvensnummer", nil)
	if r.status != 200 || len(r.body) == 0 || r.body[0] < '0' || r.body[0] > '9' {
		t.Fatalf("sekvensnummer %d %s", r.status, r.body)
	}

	r = f.do(integ, "POST", base+"uttrekk/tilpasset", []byte(`{"personstatustyper":["bosatt"],"kommunenummer":{"bostedskommunenummer":"4627"},"kjoenn":"kvinne"}`))
	var job struct {
		JobbID string `json:"jobbId"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &job) != nil || job.JobbID == "" {
		t.Fatalf("uttrekk %d %s", r.status, r.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = f.do(integ, "GET", base+"uttrekk/"+job.JobbID+"/batch/0", nil)
		if r.status != 404 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var batch struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &batch) != nil || len(batch.FoedselsEllerDNummer) == 0 {
		t.Fatalf("batch %d %s", r.status, r.body)
	}
	for _, id := range batch.FoedselsEllerDNummer {
		if ident.Validate(id) != nil {
			t.Fatalf("batch holds an invalid id")
		}
	}
	// The job's owner is in the store: a restarted gateway (a new Server
	// over the same database) still serves the batch to the orderer.
	restarted := gateway.New(gateway.Options{Store: f.st, Policy: f.engine, Upstream: f.upstream, Auth: f.auth})
	restartedHTTP := httptest.NewServer(restarted)
	defer func() { restartedHTTP.Close(); restarted.Close() }()
	req, _ := http.NewRequest("GET", restartedHTTP.URL+base+"uttrekk/"+job.JobbID+"/batch/0", nil)
	for k, v := range integ.headers {
		req.Header[k] = v
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("batch after restart: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	// A job's batches go only to the role that ordered it: another role of
	// the same organisation that learnt the id gets FREG's 410.
	otherLists := f.role("stotte", store.UsageM2M, store.GradedHide, []string{store.PurposeCitizenLists}, freg.PersonBasis...)
	f.grant(otherLists.ID, store.SubjectIntegration, integ.id)
	r = f.do(integ, "GET", "/folkeregister/api/v1/"+otherLists.ID+"/v1/uttrekk/"+job.JobbID+"/batch/0", nil)
	if r.status != 410 {
		t.Errorf("another role read the job's batch: %d %s", r.status, r.body)
	}
	// An uttrekk stays within the organisation's municipalities.
	r = f.do(integ, "POST", base+"uttrekk/tilpasset", []byte(`{"personstatustyper":["bosatt"],"kjoenn":"kvinne"}`))
	if r.status != 400 {
		t.Errorf("nationwide uttrekk: %d %s", r.status, r.body)
	}
	r = f.do(integ, "POST", base+"uttrekk/tilpasset", []byte(`{"personstatustyper":["bosatt"],"kommunenummer":{"bostedskommunenummer":"0301"}}`))
	if r.status != 403 || r.fiks(t)["errorCode"] != "kommune-not-served" {
		t.Errorf("uttrekk of another kommune: %d %s", r.status, r.body)
	}

	// uttrekk needs the citizen-lists purpose, feed the events purpose.
	searchRole := f.role("stotte", store.UsageM2M, store.GradedHide, searchOnly, freg.PersonBasis...)
	f.grant(searchRole.ID, store.SubjectIntegration, integ.id)
	r = f.do(integ, "GET", "/folkeregister/api/v1/"+searchRole.ID+"/v1/hendelser/feed?seq=1", nil)
	if r.status != 403 || r.fiks(t)["errorCode"] != "purpose-not-in-role" {
		t.Errorf("feed without events purpose: %d %s", r.status, r.body)
	}
}
