package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"folkevakt/store"
)

// The parts of FREG's official API that the gateway passes on: ETag /
// If-None-Match on the feed, somBestilt on bulkoppslag, and entydigsoek by
// a foreign identifier, which the role must be allowed to read.
func TestFeedETagSomBestiltAndForeignIdentifiers(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	reg := register(t)
	integ := f.integration("fag")
	role := f.role("stotte", store.UsageM2M, store.GradedHide, allPurposes, "identifikasjonsnummer", "navn", "foedsel", "status", "legitimasjonsdokument")
	narrow := f.role("stotte", store.UsageM2M, store.GradedHide, allPurposes, "identifikasjonsnummer", "navn", "foedsel", "status")
	f.grant(role.ID, store.SubjectIntegration, integ.id)
	f.grant(narrow.ID, store.SubjectIntegration, integ.id)
	base := "/folkeregister/api/v1/" + role.ID + "/v1/"

	// The feed answers with an ETag; the same tag gets 304 without a body,
	// and the read is audited all the same.
	r := f.do(integ, "GET", base+"hendelser/feed?seq=1", nil)
	etag := r.header.Get("ETag")
	if r.status != 200 || etag == "" {
		t.Fatalf("feed %d, ETag %q", r.status, etag)
	}
	r = f.do(integ, "GET", base+"hendelser/feed?seq=1", nil, "If-None-Match", etag)
	if r.status != 304 || len(r.body) != 0 {
		t.Fatalf("feed with If-None-Match: %d %s", r.status, r.body)
	}
	if rec := f.lastAudit(); rec.Decision != store.DecisionAllow || !strings.Contains(rec.Action, "hendelser/feed") {
		t.Errorf("304 audit %+v", rec)
	}
	if r = f.do(integ, "GET", base+"hendelser/feed?seq=2", nil, "If-None-Match", etag); r.status != 200 {
		t.Errorf("another position with the old tag: %d", r.status)
	}
	other := "/folkeregister/api/v1/" + narrow.ID + "/v1/hendelser/feed?seq=1"
	if r = f.do(integ, "GET", other, nil, "If-None-Match", etag); r.status != 200 || r.header.Get("ETag") == etag {
		t.Errorf("another role's reduction with the old tag: %d, tag %q", r.status, r.header.Get("ETag"))
	}

	// somBestilt: request order with duplicates; without it each person once.
	ex := reg.Examples()
	body := mustJSON(map[string]any{"foedselsEllerDNummer": []string{ex.Ordinary, ex.Deceased, ex.Ordinary}})
	for query, want := range map[string]int{"?part=navn&somBestilt=true": 3, "?part=navn": 2, "?part=navn&somBestilt=false": 2} {
		r = f.do(integ, "POST", base+"personer/bulkoppslag"+query, body)
		var out struct{ Oppslag []json.RawMessage }
		if r.status != 200 || json.Unmarshal(r.body, &out) != nil || len(out.Oppslag) != want {
			t.Errorf("bulkoppslag%s: %d, %d entries, want %d", query, r.status, len(out.Oppslag), want)
		}
	}
	if r = f.do(integ, "POST", base+"personer/bulkoppslag?part=navn&somBestilt=ja", body); r.status != 400 {
		t.Errorf("somBestilt=ja: %d", r.status)
	}

	// entydigsoek by legitimasjonsdokument: allowed with the element, refused
	// without it; soek does not take it.
	var holder, navn, doc string
	for seq := int64(1); holder == "" && seq < 20000; seq += 1000 {
		items, _ := reg.Feed(ctx, seq)
		for _, it := range items {
			p, _ := reg.Person(ctx, it.Hendelse.Folkeregisteridentifikator, []string{"navn", "status", "legitimasjonsdokument"})
			if len(p.Legitimasjonsdokument) > 0 && p.Status[0].Status != "doed" {
				holder, navn = it.Hendelse.Folkeregisteridentifikator, p.Navn[0].Fornavn+"+"+p.Navn[0].Etternavn
				doc = p.Legitimasjonsdokument[0].Utstederland + "-" + p.Legitimasjonsdokument[0].Identifikasjonsdokumentnummer
				break
			}
		}
	}
	if holder == "" {
		t.Fatal("no living holder of a legitimasjonsdokument in the register")
	}
	q := "personer/entydigsoek?navn=" + navn + "&legitimasjonsdokument=" + doc + "&part=navn"
	if r = f.do(integ, "GET", base+q, nil); r.status != 200 || !strings.Contains(string(r.body), holder) {
		t.Errorf("entydigsoek by legitimasjonsdokument: %d %s", r.status, r.body)
	}
	if rec := f.lastAudit(); len(rec.Persons) != 1 || rec.Persons[0] != holder {
		t.Errorf("entydigsoek audit %+v", rec)
	}
	if r = f.do(integ, "GET", "/folkeregister/api/v1/"+narrow.ID+"/v1/"+q, nil); r.status != 403 {
		t.Errorf("entydigsoek by legitimasjonsdokument without the element: %d %s", r.status, r.body)
	}
	if r = f.do(integ, "GET", base+"personer/soek?navn="+navn+"&legitimasjonsdokument="+doc, nil); r.status != 400 {
		t.Errorf("soek by legitimasjonsdokument: %d", r.status)
	}
}
