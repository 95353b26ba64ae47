package synth

import (
	"context"
	"fmt"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
)

// MaxBulk is the largest bulkoppslag FREG accepts.
const MaxBulk = 1000

// Person looks up one person; parts follow freg.ParseParts.
func (r *Register) Person(ctx context.Context, id string, parts []string) (*freg.Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sel, err := freg.ParseParts(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", freg.ErrInvalid, err)
	}
	if err := ident.Validate(id); err != nil {
		return nil, fmt.Errorf("%w: %v", freg.ErrInvalid, err)
	}
	i, ok := r.lookup(id)
	if !ok {
		return nil, freg.ErrNotFound
	}
	return r.materialise(i, sel), nil
}

// Feilmelding texts of bulkoppslag entries.
const (
	msgInvalid  = "ugyldig foedselsEllerDNummer"
	msgNotFound = "fant ikke person"
)

// BulkLookup looks up at most MaxBulk persons; invalid or unknown ones
// carry a feilmelding.
func (r *Register) BulkLookup(ctx context.Context, ids []string, parts []string) ([]freg.BulkResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ids) > MaxBulk {
		return nil, fmt.Errorf("%w: at most %d identity numbers", freg.ErrInvalid, MaxBulk)
	}
	sel, err := freg.ParseParts(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", freg.ErrInvalid, err)
	}
	out := make([]freg.BulkResult, len(ids))
	for k, id := range ids {
		out[k].FoedselsEllerDNummer = id
		if ident.Validate(id) != nil {
			out[k].Feilmelding = &freg.Feilmelding{Feilmelding: msgInvalid}
			continue
		}
		i, ok := r.lookup(id)
		if !ok {
			out[k].Feilmelding = &freg.Feilmelding{Feilmelding: msgNotFound}
			continue
		}
		out[k].Folkeregisterperson = r.materialise(i, sel)
	}
	return out, nil
}

// Examples are identity numbers of representative persons, for tests and
// demos. A field is empty when the population holds no such person (only
// in very small populations).
type Examples struct {
	Ordinary         string // adult bosatt in Config.Kommuner[0], ugradert
	Fortrolig        string
	StrengtFortrolig string
	Klientadresse    string
	DNummer          string
	Deceased         string
	Emigrant         string
	ChildFelles      string    // child whose two parents hold foreldreansvar
	ChildDeltBosted  string    // child with deltBosted
	MarriedCouple    [2]string // spouses, both alive
}

// Examples returns the first person of each kind in generation order.
func (r *Register) Examples() Examples {
	var e Examples
	adult := dayOf(r.ref) - years(18)
	set := func(dst *string, ok bool, p *person) {
		if *dst == "" && ok {
			*dst = p.ident()
		}
	}
	for i := range r.persons {
		p := &r.persons[i]
		set(&e.Ordinary, p.birth < adult && p.status == stBosatt && p.grad == gUgradert &&
			p.homeKind() == homeBosted && (len(r.kommuner) == 0 || r.kommuneOf(p.home) == r.kommuner[0]), p)
		set(&e.Fortrolig, p.grad == gFortrolig, p)
		set(&e.StrengtFortrolig, p.grad == gStrengtFortrolig, p)
		set(&e.Klientadresse, p.grad == gKlient, p)
		set(&e.DNummer, p.flags&fDNummer != 0, p)
		set(&e.Deceased, p.status == stDoed, p)
		set(&e.Emigrant, p.status == stUtflyttet, p)
		set(&e.ChildFelles, p.ansvar == ansvarFelles && p.parent[0] >= 0 && p.parent[1] >= 0, p)
		set(&e.ChildDeltBosted, p.flags&fDeltBosted != 0, p)
		if e.MarriedCouple[0] == "" && p.sivil == sivGift && p.spouse >= 0 && p.status == stBosatt && r.persons[p.spouse].status == stBosatt {
			e.MarriedCouple = [2]string{p.ident(), r.persons[p.spouse].ident()}
		}
	}
	return e
}
