package reduce

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/synth"
)

// The synthetic register the benchmarks and the differential tests read
// documents from, generated once per test binary.
var (
	regOnce sync.Once
	reg     *synth.Register
	regErr  error
)

func register(tb testing.TB) *synth.Register {
	tb.Helper()
	regOnce.Do(func() {
		reg, regErr = synth.Generate(synth.Config{Seed: 1, N: 3000, Kommuner: []string{"0301"}})
	})
	if regErr != nil {
		tb.Fatal(regErr)
	}
	return reg
}

// allParts asks for every element, with history.
var allParts = func() []string {
	ps := []string{freg.PartPersonBasis, freg.PartIdentitetsgrunnlagUtvidet, freg.PartRelasjonUtvidet, freg.PartHistorikk}
	return append(ps, freg.PartElements(freg.PartEnkeltelement)...)
}()

// personDoc is the person document as the upstream (fregsim) sends it:
// the synthetic person for parts, encoded by encoding/json.
func personDoc(tb testing.TB, id string, parts []string) []byte {
	tb.Helper()
	p, err := register(tb).Person(context.Background(), id, parts)
	if err != nil {
		tb.Fatal(id, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func selection(tb testing.TB, parts []string) freg.Selection {
	tb.Helper()
	s, err := freg.ParseParts(parts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// exampleIDs are the register's example persons, each kind once.
func exampleIDs(tb testing.TB) []string {
	e := register(tb).Examples()
	ids := []string{e.Ordinary, e.Fortrolig, e.StrengtFortrolig, e.Klientadresse, e.DNummer,
		e.Deceased, e.Emigrant, e.ChildFelles, e.ChildDeltBosted, e.MarriedCouple[0], e.MarriedCouple[1]}
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// populationIDs are the first n persons of an uttrekk of every status.
func populationIDs(tb testing.TB, n int) []string {
	tb.Helper()
	r := register(tb)
	ctx := context.Background()
	job, err := r.OrderExtract(ctx, freg.ExtractRequest{Personstatustyper: []string{"bosatt", "utflyttet", "doed", "inaktiv", "aktiv"}})
	if err != nil {
		tb.Fatal(err)
	}
	batch, err := r.ExtractBatch(ctx, job, 0)
	if err != nil {
		tb.Fatal(err)
	}
	ids := batch.FoedselsEllerDNummer
	return ids[:min(n, len(ids))]
}
