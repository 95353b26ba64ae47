package fregsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/fregsim"
	"folkevakt/gateway/freg/fregspec"
	"folkevakt/gateway/freg/synth"
)

// specClient is an HTTP client whose every response below the FREG prefix
// is validated against Skatteetaten's OpenAPI (undefined fields included).
func specClient(t *testing.T) *http.Client {
	return &http.Client{Transport: fregspec.Load(t).Transport(t, nil, false)}
}

// Every element of every person in a synthetic population, with history,
// validates against the spec's Folkeregisterperson, as do the answers of
// every other resource fregsim serves.
func TestSyntheticRegisterConformsToSpec(t *testing.T) {
	hc := specClient(t)
	reg, err := synth.Generate(synth.Config{Seed: 5, N: 6000, Kommuner: []string{"5036"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(t, reg)
	get := func(path string) []byte {
		t.Helper()
		resp, err := hc.Get(srv.URL + v1 + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	post := func(path, body string) []byte {
		t.Helper()
		resp, err := hc.Post(srv.URL+v1+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	// Everyone, through a tilpasset uttrekk of every status.
	var job struct{ JobbID string }
	json.Unmarshal(post("uttrekk/tilpasset", `{"personstatustyper":["aktiv","bosatt","utflyttet","doed","inaktiv"]}`), &job)
	var ids []string
	for n := 0; ; n++ {
		var b struct{ FoedselsEllerDNummer []string }
		json.Unmarshal(get("uttrekk/"+job.JobbID+"/batch/"+strconv.Itoa(n)), &b)
		if b.FoedselsEllerDNummer == nil {
			break
		}
		ids = append(ids, b.FoedselsEllerDNummer...)
	}
	if len(ids) != reg.Len() {
		t.Fatalf("uttrekk gave %d of %d persons", len(ids), reg.Len())
	}
	parts := "?part=historikk"
	for _, e := range freg.Elements {
		if e.Name != freg.ElementHistorikk {
			parts += "&part=" + e.Name
		}
	}
	seen := map[string]int{}
	for i := 0; i < len(ids); i += 1000 {
		batch, _ := json.Marshal(map[string][]string{"foedselsEllerDNummer": ids[i:min(i+1000, len(ids))]})
		var res struct {
			Oppslag []struct {
				Folkeregisterperson map[string]json.RawMessage
			}
		}
		if err := json.Unmarshal(post("personer/bulkoppslag"+parts, string(batch)), &res); err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Oppslag {
			for k := range o.Folkeregisterperson {
				seen[k]++
			}
		}
	}
	// Every element of the spec's Folkeregisterperson occurs.
	elements := fregspec.Load(t).Properties(fregspec.PersonSchema)
	if len(elements) < 30 {
		t.Fatalf("the spec's person has %d elements", len(elements))
	}
	for _, e := range elements {
		if seen[e] == 0 {
			t.Errorf("element %s never occurs in %d persons", e, len(ids))
		}
	}
	t.Logf("elements in %d persons: %v", len(ids), seen)
	get("personer/" + ids[0])
}

// The resources added for the whole spec, through fregclient, with every
// request it sends and every answer validated against the spec.
func TestArchiveEventsKomplettAndForeignIDsConformToSpec(t *testing.T) {
	spec := fregspec.Load(t)
	reg, err := synth.Generate(synth.Config{Seed: 9, N: 3000, Kommuner: []string{"5036"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(t, reg)
	c, err := fregclient.New(fregclient.Config{BaseURL: srv.URL + fregsim.Prefix, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: spec.Transport(t, nil, true)}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	items, err := c.Feed(ctx, 1)
	if err != nil || len(items) == 0 {
		t.Fatalf("feed: %d items, %v", len(items), err)
	}
	// A person document from the feed: the person as that event left them.
	var docs, events []string
	for _, it := range items[:50] {
		docs, events = append(docs, it.Hendelse.Persondokument), append(events, it.Hendelse.Hendelsesdokument)
	}
	first := items[0].Hendelse
	p, err := c.ArchivedPerson(ctx, first.Persondokument, []string{"navn", "identifikasjonsnummer", "historikk"})
	if err != nil || len(p.Identifikasjonsnummer) == 0 || p.Identifikasjonsnummer[0].FoedselsEllerDNummer != first.Folkeregisteridentifikator {
		t.Fatalf("archived person: %+v, %v", p, err)
	}
	for _, n := range p.Navn {
		if n.Ajourholdstidspunkt > first.Ajourholdstidspunkt && len(n.Ajourholdstidspunkt) == len(first.Ajourholdstidspunkt) {
			t.Errorf("archived person holds a name registered after the event: %+v", n)
		}
	}
	if _, err := c.ArchivedPerson(ctx, events[0], nil); !errors.Is(err, freg.ErrNotFound) {
		t.Errorf("an event id as person document: %v, want ErrNotFound", err)
	}
	res, err := c.ArchivedBulkLookup(ctx, append(docs, "00000000-0000-4000-8000-000000000000"), []string{"person-basis"})
	if err != nil || len(res) != len(docs)+1 || res[0].Folkeregisterperson == nil || res[len(docs)].Feilmelding == nil {
		t.Fatalf("archived bulk: %d results, %v", len(res), err)
	}
	ev, err := c.Event(ctx, first.Hendelsesdokument)
	if err != nil || ev.Hendelse.Folkeregisteridentifikator != first.Folkeregisteridentifikator || ev.Hendelse.Hendelsestype != first.Hendelsetype ||
		len(ev.Hendelse.Egenskapshendelse) == 0 {
		t.Fatalf("event: %+v, %v", ev, err)
	}
	evs, err := c.Events(ctx, append(events, first.Persondokument))
	if err != nil || len(evs) != len(events) {
		t.Fatalf("events: %d of %d, %v", len(evs), len(events), err)
	}

	// Komplett uttrekk up to a sequence number: person documents.
	job, err := c.OrderCompleteExtract(ctx, int64(len(items)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ExtractBatch(ctx, job, 0)
	if err != nil || len(b.Dokumentidentifikator) == 0 || b.Done {
		t.Fatalf("komplett batch 0: %d documents, done %v, %v", len(b.Dokumentidentifikator), b.Done, err)
	}
	if p, err := c.ArchivedPerson(ctx, b.Dokumentidentifikator[0], nil); err != nil || p == nil {
		t.Fatalf("a komplett document: %v", err)
	}
	if b, err := c.ExtractBatch(ctx, job, 1); err != nil || !b.Done {
		t.Fatalf("komplett end: %+v, %v", b, err)
	}

	// entydigsoek by each foreign identifier the register holds.
	var sawLegit, sawUtenlandsk, sawDUF bool
	ids := foreignHolders(t, c, items)
	for _, h := range ids {
		q := freg.SearchQuery{Navn: h.navn}
		switch {
		case h.legit != "" && !sawLegit:
			q.Legitimasjonsdokument, sawLegit = h.legit, true
		case h.utenlandsk != "" && !sawUtenlandsk:
			q.Utenlandskpersonidentifikasjon, sawUtenlandsk = h.utenlandsk, true
		case h.duf != "" && !sawDUF:
			q.Utlendingsmyndighetenesidentifikasjonsnummer, sawDUF = h.duf, true
		default:
			continue
		}
		p, err := c.UniqueSearch(ctx, q, []string{"identifikasjonsnummer"})
		if err != nil || p.Identifikasjonsnummer[0].FoedselsEllerDNummer != h.id {
			t.Errorf("entydigsoek %+v: %v", q, err)
		}
		q.Navn = "Ingen Slik"
		if _, err := c.UniqueSearch(ctx, q, nil); !errors.Is(err, freg.ErrNotFound) {
			t.Errorf("entydigsoek with the wrong name: %v", err)
		}
	}
	if !sawLegit || !sawUtenlandsk || !sawDUF {
		t.Errorf("foreign identifiers found: legitimasjonsdokument %v, utenlandsk %v, DUF %v", sawLegit, sawUtenlandsk, sawDUF)
	}

	// The XML schemas, and personer/xsd is not an identity number.
	hc := &http.Client{Transport: spec.Transport(t, nil, false)}
	for _, path := range []string{"personer/xsd", "hendelser/xsd", "hendelser/feedxsd"} {
		resp, err := hc.Get(srv.URL + v1 + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") || !strings.Contains(string(body), "<xs:schema") {
			t.Errorf("%s: %d %s %.100s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	// somBestilt: duplicates and order kept; without it each person once.
	a, bb := first.Folkeregisteridentifikator, items[1].Hendelse.Folkeregisteridentifikator
	body := `{"foedselsEllerDNummer":["` + a + `","` + bb + `","` + a + `"]}`
	for query, want := range map[string]int{"?somBestilt=true": 3, "": 2, "?somBestilt=false": 2} {
		resp, err := hc.Post(srv.URL+v1+"personer/bulkoppslag"+query, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Oppslag []json.RawMessage }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if len(out.Oppslag) != want {
			t.Errorf("bulkoppslag%s: %d entries, want %d", query, len(out.Oppslag), want)
		}
	}
	// uttrekk years: strings as the spec types them, numbers as earlier clients sent.
	for _, order := range []string{`{"personstatustyper":["bosatt"],"foedselsaarFraOgMed":"1990","foedselsaarTilOgMed":"1999"}`,
		`{"personstatustyper":["bosatt"],"foedselsaarFraOgMed":1990,"foedselsaarTilOgMed":1999}`} {
		resp, err := http.Post(srv.URL+v1+"uttrekk/tilpasset", "application/json", strings.NewReader(order))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("uttrekk %s: %d", order, resp.StatusCode)
		}
	}
	if _, err := c.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, FoedselsaarFraOgMed: 1990}); err != nil {
		t.Errorf("fregclient's uttrekk order: %v", err)
	}
}

type foreignHolder struct{ id, navn, legit, utenlandsk, duf string }

// foreignHolders returns persons of the feed page with foreign identifiers.
func foreignHolders(t *testing.T, c *fregclient.Client, items []freg.FeedItem) []foreignHolder {
	var ids []string
	for _, it := range items {
		ids = append(ids, it.Hendelse.Folkeregisteridentifikator)
	}
	res, err := c.BulkLookup(context.Background(), ids, []string{"navn", "status", "legitimasjonsdokument", "utenlandskPersonidentifikasjon", "utlendingsmyndighetenesIdentifikasjonsnummer"})
	if err != nil {
		t.Fatal(err)
	}
	var out []foreignHolder
	for _, r := range res {
		p := r.Folkeregisterperson
		if p == nil || len(p.Navn) == 0 || len(p.Status) == 0 || p.Status[0].Status == "doed" {
			continue // entydigsoek finds the living
		}
		h := foreignHolder{id: r.FoedselsEllerDNummer, navn: p.Navn[0].Fornavn + " " + p.Navn[0].Etternavn}
		if len(p.Legitimasjonsdokument) > 0 {
			h.legit = p.Legitimasjonsdokument[0].Utstederland + "-" + p.Legitimasjonsdokument[0].Identifikasjonsdokumentnummer
		}
		if len(p.UtenlandskPersonidentifikasjon) > 0 {
			h.utenlandsk = p.UtenlandskPersonidentifikasjon[0].Utstederland + "-" + p.UtenlandskPersonidentifikasjon[0].Identifikasjonsnummer
		}
		if len(p.UtlendingsmyndighetenesIdentifikasjonsnummer) > 0 {
			h.duf = p.UtlendingsmyndighetenesIdentifikasjonsnummer[0].Identifikasjonsnummer
		}
		if h.legit+h.utenlandsk+h.duf != "" {
			out = append(out, h)
		}
	}
	return out
}
