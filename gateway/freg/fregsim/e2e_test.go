package fregsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/synth"
)

func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s differs:\n got %.400s\nwant %.400s", what, g, w)
	}
}

// TestEndToEndSynth serves a synthetic population with fregsim on loopback
// and checks that fregclient returns exactly what the register returns when
// called directly.
func TestEndToEndSynth(t *testing.T) {
	reg, err := synth.Generate(synth.Config{Seed: 7, N: 3000, Kommuner: []string{"0301"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, logs := newServer(t, reg)
	c := newClient(t, srv.URL)
	ctx := context.Background()
	ex := reg.Examples()
	var ids []string
	for _, id := range []string{ex.Ordinary, ex.Fortrolig, ex.StrengtFortrolig, ex.Klientadresse, ex.DNummer,
		ex.Deceased, ex.Emigrant, ex.ChildFelles, ex.ChildDeltBosted, ex.MarriedCouple[0], ex.MarriedCouple[1]} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) < 6 {
		t.Fatalf("population too small for the examples: %+v", ex)
	}

	for _, parts := range [][]string{nil, {"person-basis"}, {"navn", "historikk"}, {"relasjon-utvidet"},
		{"identitetsgrunnlag-utvidet", "bostedsadresse", "historikk"}, {"foedsel,kjoenn", "deltBosted"}} {
		for _, id := range ids {
			got, err := c.Person(ctx, id, parts)
			if err != nil {
				t.Fatalf("Person %v: %v", parts, err)
			}
			want, err := reg.Person(ctx, id, freg.ParsePartParams(url.Values{"part": parts}))
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, "person", got, want)
		}
	}

	const unknown, invalid = "06076301709", "01015012345"
	bulkIDs := append([]string{unknown, invalid}, ids...)
	bulk, err := c.BulkLookup(ctx, bulkIDs, []string{"navn", "bostedsadresse"})
	if err != nil {
		t.Fatal(err)
	}
	wantBulk, _ := reg.BulkLookup(ctx, bulkIDs, []string{"navn", "bostedsadresse"})
	jsonEqual(t, "bulkoppslag", bulk, wantBulk)

	ord, _ := reg.Person(ctx, ex.Ordinary, nil)
	n := ord.Navn[0]
	q := freg.SearchQuery{Navn: n.Fornavn + " " + n.Etternavn, Foedselsdato: ord.Foedsel[0].Foedselsdato}
	hits, err := c.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	wantHits, _ := reg.Search(ctx, q)
	jsonEqual(t, "soek", hits, wantHits)
	broad := freg.SearchQuery{Navn: n.Etternavn, MaksTreff: 50}
	hits, err = c.Search(ctx, broad)
	if err != nil {
		t.Fatal(err)
	}
	wantHits, _ = reg.Search(ctx, broad)
	jsonEqual(t, "broad soek", hits, wantHits)
	got, gotErr := c.UniqueSearch(ctx, q, []string{"navn"})
	want, wantErr := reg.UniqueSearch(ctx, q, []string{"navn"})
	if (gotErr == nil) != (wantErr == nil) || (wantErr != nil && !errors.Is(gotErr, freg.ErrNotFound)) {
		t.Fatalf("entydigsoek: client %v, register %v", gotErr, wantErr)
	}
	jsonEqual(t, "entydigsoek", got, want)

	last, err := c.LastSequence(ctx)
	if wantLast, _ := reg.LastSequence(ctx); err != nil || last != wantLast || last < 1 {
		t.Fatalf("LastSequence = %d, %v; register %d", last, err, wantLast)
	}
	pages := 0
	for seq := int64(1); ; pages++ {
		page, err := c.Feed(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := reg.Feed(ctx, seq)
		jsonEqual(t, "feed page", page, want)
		if len(page) == 0 {
			break
		}
		seq = page[len(page)-1].Sekvensnummer + 1
	}
	if want := (last + 999) / 1000; int64(pages) != want {
		t.Errorf("%d feed pages, want %d", pages, want)
	}
	// Polling at the head again is answered 304 (the client sends the empty
	// page's ETag) and still reads as an empty page; a full page is never
	// replaced by a 304.
	if page, err := c.Feed(ctx, last+1); err != nil || page == nil || len(page) != 0 {
		t.Fatalf("poll at head: %v, %v", page, err)
	}
	if page, err := c.Feed(ctx, 1); err != nil || len(page) != 1000 {
		t.Fatalf("first page again: %d items, %v", len(page), err)
	}

	job, err := c.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"bosatt"},
		Kommunenummer: &freg.KommuneFilter{Bostedskommunenummer: "0301"}})
	if err != nil {
		t.Fatal(err)
	}
	extracted := 0
	for b := 0; ; b++ {
		got, err := c.ExtractBatch(ctx, job, b)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := reg.ExtractBatch(ctx, job, b)
		jsonEqual(t, "uttrekk batch", got, want)
		if got.Done != want.Done {
			t.Fatalf("batch %d: Done %v, register %v", b, got.Done, want.Done)
		}
		if got.Done {
			break
		}
		extracted += len(got.FoedselsEllerDNummer)
	}
	if extracted == 0 {
		t.Error("uttrekk of bosatt in 0301 found nobody")
	}

	errCases := []struct {
		name string
		err  error
		want error
	}{
		{"invalid id", second(c.Person(ctx, invalid, nil)), freg.ErrInvalid},
		{"unknown id", second(c.Person(ctx, unknown, nil)), freg.ErrNotFound},
		{"unknown part", second(c.Person(ctx, ex.Ordinary, []string{"skostoerrelse"})), freg.ErrInvalid},
		{"invalid uttrekk", second(c.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"levende"}})), freg.ErrInvalid},
		{"unknown job", second(c.ExtractBatch(ctx, "no-such-job", 0)), freg.ErrGone},
	}
	for _, tc := range errCases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
		for _, id := range append([]string{invalid, unknown}, ids...) {
			if strings.Contains(tc.err.Error(), id) {
				t.Errorf("%s: error %q holds an identity number", tc.name, tc.err)
			}
		}
	}

	// FREG's own error bodies on the wire.
	for _, tc := range []struct {
		id         string
		status     int
		kode       string
		notInReply string
	}{
		{invalid, 400, "FREG-001", invalid},
		{unknown, 404, "FREG-002", unknown},
	} {
		resp, err := http.Get(srv.URL + v1 + "personer/" + tc.id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Kode, Melding string }
		if resp.StatusCode != tc.status || json.Unmarshal(body, &e) != nil || e.Kode != tc.kode || e.Melding == "" ||
			strings.Contains(string(body), tc.notInReply) {
			t.Errorf("GET %s: %d %s", tc.kode, resp.StatusCode, body)
		}
	}

	srv.Close()
	out := logs.String()
	if !strings.Contains(out, "status=304") {
		t.Error("no 304 answered while polling at the head of the feed")
	}
	for _, id := range append([]string{invalid, unknown}, ids...) {
		if strings.Contains(out, id) {
			t.Errorf("request log holds identity number %s", id)
		}
	}
}
