package synth

import (
	"errors"
	"slices"
	"testing"
	"time"

	"folkevakt/gateway/freg"
)

func TestFeedPaging(t *testing.T) {
	r := testRegister(t)
	last, err := r.LastSequence(ctx)
	if err != nil || last < int64(r.Len()) {
		t.Fatalf("LastSequence = %d, %v; want at least one event per person", last, err)
	}
	created := map[string]bool{}
	types := map[string]bool{}
	var prev string
	next := int64(1)
	for next <= last {
		page, err := r.Feed(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(FeedPageSize, int(last-next+1)); len(page) != want {
			t.Fatalf("page at %d has %d items, want %d", next, len(page), want)
		}
		for _, it := range page {
			if it.Sekvensnummer != next {
				t.Fatalf("sequence %d, want %d", it.Sekvensnummer, next)
			}
			next++
			h := it.Hendelse
			ts, err := time.Parse(time.RFC3339, h.Ajourholdstidspunkt)
			if err != nil || h.Hendelsesdokument == "" || h.Persondokument == "" || h.Folkeregisteridentifikator == "" {
				t.Fatalf("incomplete event %+v", it)
			}
			if prev != "" && ts.Before(mustTime(t, prev)) {
				t.Fatal("events out of time order")
			}
			prev = h.Ajourholdstidspunkt
			if h.Hendelsetype == "personErOpprettet" {
				created[h.Folkeregisteridentifikator] = true
			} else if !created[h.Folkeregisteridentifikator] {
				t.Fatalf("%s before personErOpprettet", h.Hendelsetype)
			}
			types[h.Hendelsetype] = true
		}
	}
	if len(created) != r.Len() {
		t.Fatalf("%d persons created in the feed, want %d", len(created), r.Len())
	}
	for _, typ := range []string{"endringINavn", "endringIBostedsadresse", "endringISivilstand", "personErDoed", "personErUtflyttet",
		"endringIAdressebeskyttelse", "endringIFamilierelasjon", "endringIForeldreansvar", "endringIDeltBosted"} {
		if !types[typ] {
			t.Errorf("no %s event", typ)
		}
	}
	// seq is inclusive, and a page may start anywhere.
	page, _ := r.Feed(ctx, 1500)
	if page[0].Sekvensnummer != 1500 || len(page) != FeedPageSize {
		t.Fatal("page from 1500")
	}
	if page, err := r.Feed(ctx, last+1); err != nil || len(page) != 0 {
		t.Fatalf("past the end: %d items, %v", len(page), err)
	}
	if _, err := r.Feed(ctx, 0); !errors.Is(err, freg.ErrInvalid) {
		t.Fatalf("seq 0: %v", err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestExtractFlow(t *testing.T) {
	r := testRegister(t)
	job, err := r.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, Kommunenummer: &freg.KommuneFilter{Bostedskommunenummer: "4601"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	n := 0
	for ; ; n++ {
		b, err := r.ExtractBatch(ctx, job, n)
		if err != nil {
			t.Fatal(err)
		}
		if b.Done {
			break
		}
		if len(b.FoedselsEllerDNummer) > ExtractBatchSize {
			t.Fatalf("batch of %d", len(b.FoedselsEllerDNummer))
		}
		got = append(got, b.FoedselsEllerDNummer...)
	}
	want, _ := r.Search(ctx, freg.SearchQuery{Kommunenummer: "4601", MaksTreff: 10000})
	if n < 2 || !slices.Equal(got, want) {
		t.Fatalf("uttrekk gave %d ids in %d batches, search %d", len(got), n, len(want))
	}
	if _, err := r.ExtractBatch(ctx, job, n+1); !errors.Is(err, freg.ErrGone) {
		t.Fatalf("beyond the end: %v", err)
	}
	if _, err := r.ExtractBatch(ctx, "no-such-job", 0); !errors.Is(err, freg.ErrGone) {
		t.Fatalf("unknown job: %v", err)
	}
	again, _ := r.ExtractBatch(ctx, job, 0)
	if !slices.Equal(again.FoedselsEllerDNummer, got[:len(again.FoedselsEllerDNummer)]) {
		t.Fatal("batch order not stable")
	}
}

func TestExtractFilters(t *testing.T) {
	r := testRegister(t)
	count := func(req freg.ExtractRequest) int {
		t.Helper()
		job, err := r.OrderExtract(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for n := 0; ; n++ {
			b, err := r.ExtractBatch(ctx, job, n)
			if err != nil {
				t.Fatal(err)
			}
			if b.Done {
				return total
			}
			total += len(b.FoedselsEllerDNummer)
		}
	}
	want := map[uint8]int{}
	for _, p := range r.persons {
		want[p.status]++
	}
	if got := count(freg.ExtractRequest{Personstatustyper: []string{"aktiv"}}); got != want[stMidlertidig]+want[stAktiv] || got == 0 {
		t.Errorf("aktiv: %d", got)
	}
	if got := count(freg.ExtractRequest{Personstatustyper: []string{"doed", "utflyttet"}}); got != want[stDoed]+want[stUtflyttet] || got == 0 {
		t.Errorf("doed+utflyttet: %d", got)
	}
	if count(freg.ExtractRequest{Personstatustyper: []string{"doed"}, DoedsaarFraOgMed: 2020, DoedsaarTilOgMed: 2021, Kjoenn: "kvinne"}) == 0 {
		t.Error("no deceased women 2020–2021")
	}
	if count(freg.ExtractRequest{Personstatustyper: []string{"aktiv", "inaktiv"}, Kommunenummer: &freg.KommuneFilter{Oppholdskommunenummer: "4627"}}) == 0 {
		t.Error("no D-number persons staying in 4627")
	}
	if count(freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, Statsborgerskap: "POL", Sivilstandstype: "gift"}) == 0 {
		t.Error("no married Polish citizens")
	}
	for name, req := range map[string]freg.ExtractRequest{
		"no statuses":         {},
		"unknown status":      {Personstatustyper: []string{"levende"}},
		"both kommuner":       {Personstatustyper: []string{"bosatt"}, Kommunenummer: &freg.KommuneFilter{Bostedskommunenummer: "0301", Oppholdskommunenummer: "0301"}},
		"no kommune":          {Personstatustyper: []string{"bosatt"}, Kommunenummer: &freg.KommuneFilter{}},
		"bad kjoenn":          {Personstatustyper: []string{"bosatt"}, Kjoenn: "x"},
		"bad sivilstandstype": {Personstatustyper: []string{"bosatt"}, Sivilstandstype: "samboer"},
	} {
		if _, err := r.OrderExtract(ctx, req); !errors.Is(err, freg.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExtractJobsBounded(t *testing.T) {
	r, err := Generate(Config{Seed: 3, N: 100})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	req := freg.ExtractRequest{Personstatustyper: []string{"bosatt"}}
	first, _ := r.OrderExtract(ctx, req)
	var last string
	for range maxJobs {
		last, _ = r.OrderExtract(ctx, req)
	}
	if _, err := r.ExtractBatch(ctx, first, 0); !errors.Is(err, freg.ErrGone) {
		t.Fatalf("oldest job kept beyond maxJobs: %v", err)
	}
	if _, err := r.ExtractBatch(ctx, last, 0); err != nil {
		t.Fatalf("newest job: %v", err)
	}
	now = now.Add(jobTTL)
	if _, err := r.ExtractBatch(ctx, last, 0); !errors.Is(err, freg.ErrGone) {
		t.Fatalf("expired job: %v", err)
	}
}
