package fregsim_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"folkevakt/gateway/freg"
)

// Identity numbers used by the tests (all pass ident.Validate).
const (
	idOla      = "01914796756" // synthetic fødselsnummer
	idKari     = "41814061033" // synthetic D-nummer
	idUnknown  = "06076301709" // valid, not in the register
	idBroken   = "02013299997" // the register fails with a plain error
	idThrottle = "01010012356" // the register reports throttling
)

// register is a tiny freg.Client with FREG's part semantics, enough to drive
// the wire layer; the synthetic register is exercised end to end elsewhere.
type register struct {
	persons map[string]*freg.Person
	feed    []freg.FeedItem
}

func newRegister() *register {
	r := &register{persons: map[string]*freg.Person{
		idOla:  person(idOla, "foedselsnummer", "Ola", "Nordmann", "mann"),
		idKari: person(idKari, "dNummer", "Kari", "Nordmann", "kvinne"),
	}}
	// Ola moved once: a historic address and name for part=historikk.
	ola := r.persons[idOla]
	ola.Navn = append(ola.Navn, freg.Navn{Metadata: freg.Metadata{ErGjeldende: false, Gyldighetstidspunkt: "1990-01-01T00:00:00+01:00"}, Fornavn: "Ola", Etternavn: "Hansen"})
	for i := int64(1); i <= 1500; i++ {
		r.feed = append(r.feed, freg.FeedItem{Sekvensnummer: i, Hendelse: freg.Hendelse{
			Folkeregisteridentifikator: idOla, Hendelsetype: "endringINavn",
			Hendelsesdokument: fmt.Sprintf("doc-%d", i), Ajourholdstidspunkt: "2024-01-01T12:00:00+01:00",
		}})
	}
	return r
}

func person(id, typ, fornavn, etternavn, kjoenn string) *freg.Person {
	md := freg.Metadata{ErGjeldende: true, Kilde: "Synutopia", Ajourholdstidspunkt: "2020-01-01T00:00:00+01:00"}
	return &freg.Person{
		Identifikasjonsnummer: []freg.Identifikasjonsnummer{{Metadata: md, FoedselsEllerDNummer: id, Identifikatortype: typ, Status: "iBruk"}},
		Status:                []freg.Status{{Metadata: md, Status: "bosatt"}},
		Navn:                  []freg.Navn{{Metadata: md, Fornavn: fornavn, Etternavn: etternavn}},
		Kjoenn:                []freg.Kjoenn{{Metadata: md, Kjoenn: kjoenn}},
		Foedsel:               []freg.Foedsel{{Metadata: md, Foedselsdato: "1947-11-01", Foedselsaar: "1947"}},
		Familierelasjon:       []freg.Familierelasjon{{Metadata: md, RelatertPerson: idKari, RelatertPersonsRolle: "ektefelleEllerPartner"}},
	}
}

func (r *register) lookup(id string, parts []string) (*freg.Person, error) {
	switch id {
	case idBroken:
		return nil, errors.New("register: storage exploded")
	case idThrottle:
		return nil, fmt.Errorf("register: %w", freg.ErrThrottled)
	}
	p, ok := r.persons[id]
	if !ok {
		return nil, freg.ErrNotFound
	}
	sel, err := freg.ParseParts(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", freg.ErrInvalid, err)
	}
	return freg.Project(p, sel), nil
}

func (r *register) Person(_ context.Context, id string, parts []string) (*freg.Person, error) {
	return r.lookup(id, parts)
}

func (r *register) BulkLookup(_ context.Context, ids []string, parts []string) ([]freg.BulkResult, error) {
	out := make([]freg.BulkResult, 0, len(ids))
	for _, id := range ids {
		p, err := r.lookup(id, parts)
		switch {
		case errors.Is(err, freg.ErrNotFound):
			out = append(out, freg.BulkResult{FoedselsEllerDNummer: id, Feilmelding: &freg.Feilmelding{Feilmelding: "person ikke funnet"}})
		case err != nil:
			return nil, err
		default:
			out = append(out, freg.BulkResult{FoedselsEllerDNummer: id, Folkeregisterperson: p})
		}
	}
	return out, nil
}

func (r *register) Search(_ context.Context, q freg.SearchQuery) ([]string, error) {
	var ids []string
	for id, p := range r.persons {
		n := p.Navn[0]
		if q.Navn == n.Fornavn+" "+n.Etternavn || q.Navn == n.Etternavn {
			if q.Kjoenn == "" || q.Kjoenn == p.Kjoenn[0].Kjoenn {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (r *register) UniqueSearch(ctx context.Context, q freg.SearchQuery, parts []string) (*freg.Person, error) {
	ids, _ := r.Search(ctx, q)
	if len(ids) != 1 {
		return nil, freg.ErrNotFound
	}
	return r.lookup(ids[0], parts)
}

func (r *register) Feed(_ context.Context, seq int64) ([]freg.FeedItem, error) {
	if seq > int64(len(r.feed)) {
		return nil, nil
	}
	return r.feed[seq-1 : min(seq-1+1000, int64(len(r.feed)))], nil
}

func (r *register) LastSequence(context.Context) (int64, error) {
	return int64(len(r.feed)), nil
}

// Jobs: "job-1" has one batch, "pending" is never ready, others are unknown.
func (r *register) OrderExtract(_ context.Context, req freg.ExtractRequest) (string, error) {
	return "job-1", nil
}

func (r *register) ExtractBatch(_ context.Context, jobID string, n int) (freg.ExtractBatch, error) {
	switch {
	case jobID == "pending":
		return freg.ExtractBatch{}, freg.ErrNotReady
	case jobID != "job-1":
		return freg.ExtractBatch{}, freg.ErrGone
	case n == 0:
		return freg.ExtractBatch{FoedselsEllerDNummer: []string{idKari, idOla}}, nil
	default:
		return freg.ExtractBatch{Done: true}, nil
	}
}

// The archive and komplett uttrekk: one known document of each kind.
const (
	docPerson = "3f1c2b7a-0000-4000-8000-000000000001"
	docEvent  = "3f1c2b7a-0000-4000-8000-000000000002"
)

func (r *register) OrderCompleteExtract(context.Context, int64) (string, error) { return "job-1", nil }

func (r *register) ArchivedPerson(_ context.Context, docID string, parts []string) (*freg.Person, error) {
	if docID != docPerson {
		return nil, freg.ErrNotFound
	}
	return r.lookup(idOla, parts)
}

func (r *register) ArchivedBulkLookup(ctx context.Context, ids []string, parts []string) ([]freg.ArchivedResult, error) {
	var out []freg.ArchivedResult
	for _, id := range ids {
		p, err := r.ArchivedPerson(ctx, id, parts)
		res := freg.ArchivedResult{Dokumentidentifikator: id, Folkeregisterperson: p}
		if err != nil {
			res.Feilmelding = &freg.Feilmelding{Feilmelding: "dokument ikke funnet"}
		}
		out = append(out, res)
	}
	return out, nil
}

func (r *register) Event(_ context.Context, docID string) (*freg.EventDocument, error) {
	if docID != docEvent {
		return nil, freg.ErrNotFound
	}
	return &freg.EventDocument{Dokumentidentifikator: docEvent, Skjemaversjon: "1.0", Hendelse: freg.EventContents{
		Folkeregisteridentifikator: idOla, Hendelsestype: "endringINavn", Ajourholdstidspunkt: "2024-01-01T10:00:00+01:00"}}, nil
}

func (r *register) Events(ctx context.Context, ids []string) ([]freg.EventDocument, error) {
	var out []freg.EventDocument
	for _, id := range ids {
		if d, err := r.Event(ctx, id); err == nil {
			out = append(out, *d)
		}
	}
	return out, nil
}
