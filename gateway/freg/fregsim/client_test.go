package fregsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/fregsim"
)

func jsonEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// TestClientAgainstSim runs fregclient against fregsim over loopback HTTP
// and checks that every method returns what the register returns directly.
func TestClientAgainstSim(t *testing.T) {
	reg := newRegister()
	srv, logs := newServer(t, reg)
	c, err := fregclient.New(fregclient.Config{
		BaseURL:    srv.URL + fregsim.Prefix,
		MaxRetries: -1,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	for _, parts := range [][]string{nil, {"navn"}, {"navn", "historikk"}, {"person-basis", "relasjon-utvidet"}, {"foedsel,kjoenn"}} {
		for _, id := range []string{idOla, idKari} {
			got, err := c.Person(ctx, id, parts)
			if err != nil {
				t.Fatalf("Person(%v): %v", parts, err)
			}
			want, _ := reg.Person(ctx, id, freg.ParsePartParams(map[string][]string{"part": parts}))
			jsonEqual(t, "person", got, want)
		}
	}

	bulk, err := c.BulkLookup(ctx, []string{idOla, idUnknown, idKari}, []string{"navn"})
	if err != nil {
		t.Fatal(err)
	}
	wantBulk, _ := reg.BulkLookup(ctx, []string{idOla, idUnknown, idKari}, []string{"navn"})
	jsonEqual(t, "bulk", bulk, wantBulk)

	q := freg.SearchQuery{Navn: "Nordmann", Kjoenn: "kvinne", MaksTreff: 10}
	ids, err := c.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, _ := reg.Search(ctx, q)
	jsonEqual(t, "soek", ids, wantIDs)

	p, err := c.UniqueSearch(ctx, q, []string{"navn"})
	if err != nil {
		t.Fatal(err)
	}
	wantP, _ := reg.UniqueSearch(ctx, q, []string{"navn"})
	jsonEqual(t, "entydigsoek", p, wantP)
	if _, err := c.UniqueSearch(ctx, freg.SearchQuery{Navn: "Nordmann"}, nil); !errors.Is(err, freg.ErrNotFound) {
		t.Errorf("ambiguous entydigsoek: %v", err)
	}

	// Page through the feed as a consumer does, then poll at the head twice:
	// the second poll must be answered 304 and still read as an empty page.
	var all []freg.FeedItem
	for seq := int64(1); ; {
		page, err := c.Feed(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		seq = page[len(page)-1].Sekvensnummer + 1
	}
	jsonEqual(t, "feed", all, reg.feed)
	last, err := c.LastSequence(ctx)
	if err != nil || last != 1500 {
		t.Fatalf("LastSequence = %d, %v", last, err)
	}
	calls := reg.feedCallCount()
	if page, err := c.Feed(ctx, last+1); err != nil || page == nil || len(page) != 0 {
		t.Fatalf("poll at head: %v, %v", page, err)
	}
	if reg.feedCallCount() != calls+1 {
		t.Fatal("poll did not reach the register")
	}
	// A non-empty page is fetched in full again, never turned into a 304.
	if page, err := c.Feed(ctx, 1); err != nil || len(page) != 1000 {
		t.Fatalf("re-read first page: %d items, %v", len(page), err)
	}

	job, err := c.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, Kommunenummer: &freg.KommuneFilter{Bostedskommunenummer: "0301"}})
	if err != nil || job != "job-1" {
		t.Fatalf("OrderExtract = %q, %v", job, err)
	}
	b, err := c.ExtractBatch(ctx, job, 0)
	if err != nil || b.Done {
		t.Fatalf("batch 0: %+v, %v", b, err)
	}
	wantB, _ := reg.ExtractBatch(ctx, job, 0)
	jsonEqual(t, "batch", b, wantB)
	if b, err := c.ExtractBatch(ctx, job, 1); err != nil || !b.Done {
		t.Fatalf("batch past end: %+v, %v", b, err)
	}

	errCases := []struct {
		name string
		err  error
		want error
	}{
		{"invalid id", second(c.Person(ctx, "01015012345", nil)), freg.ErrInvalid},
		{"unknown", second(c.Person(ctx, idUnknown, nil)), freg.ErrNotFound},
		{"unknown part", second(c.Person(ctx, idOla, []string{"skostoerrelse"})), freg.ErrInvalid},
		{"register failure", second(c.Person(ctx, idBroken, nil)), freg.ErrUpstream},
		{"throttled", second(c.Person(ctx, idThrottle, nil)), freg.ErrThrottled},
		{"bulk invalid id", second(c.BulkLookup(ctx, []string{idOla, "01015012345"}, nil)), freg.ErrInvalid},
		{"uttrekk invalid", second(c.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"levende"}})), freg.ErrInvalid},
		{"batch not ready", second(c.ExtractBatch(ctx, "pending", 0)), freg.ErrNotReady},
		{"batch unknown job", second(c.ExtractBatch(ctx, "nope", 0)), freg.ErrGone},
	}
	for _, tc := range errCases {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
			continue
		}
		for _, id := range []string{idOla, idUnknown, idBroken, idThrottle, "01015012345"} {
			if strings.Contains(tc.err.Error(), id) {
				t.Errorf("%s: error %q contains an identity number", tc.name, tc.err)
			}
		}
	}
	if err := errCases[0].err; !strings.Contains(err.Error(), "FREG-001") || !strings.Contains(err.Error(), "personidentifikator") {
		t.Errorf("invalid id error lacks the upstream melding: %v", err)
	}

	srv.Close()
	if !strings.Contains(logs.String(), "status=304") {
		t.Error("no 304 answered while polling at the head of the feed")
	}
}

func second[T any](_ T, err error) error { return err }
