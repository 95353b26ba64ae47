package access

import (
	"context"
	"fmt"
	"slices"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
	"folkevakt/gateway/reduce"
	"folkevakt/store"
)

// Citizen lists and oppvekst read through the service like every other
// read: the order is decided and audited (refusals too), and every row of a
// list file and every person of an oppvekst answer is fetched, reduced and
// audited here before the caller may write it anywhere.

// OrderList checks a citizen-list order in the caller's role: it fills the
// criteria's defaults, checks their vocabulary, bounds and kommune scope,
// and decides whether the role may read the ordered elements and every
// element the criteria filter on. The order (or its refusal) is audited
// with okStatus (202 for a queued order).
func (s *Service) OrderList(ctx context.Context, c Caller, crit *Criteria, elements []string, okStatus int) error {
	r := s.begin(&c, store.PurposeCitizenLists)
	r.okStatus = okStatus
	err := func() error {
		org, err := s.store.GetOrganisation(ctx, c.OrgID)
		if err != nil {
			return r.internal(err, "organisation")
		}
		if err := crit.Normalise(org.Kommunenummer, s.now()); err != nil {
			r.rec.Criteria = criteriaJSON(crit)
			return err
		}
		r.rec.Criteria = criteriaJSON(crit)
		return r.authorize(Touched(elements, crit), nil, false)
	}()
	if e := r.finish(ctx, err); e != nil {
		return e
	}
	return nil
}

// ListRead is one chunk of a citizen list's rows (or of the persons holding
// foreldreansvar for them).
type ListRead struct {
	// OrderID names the order in the audit record.
	OrderID string
	// Elements are the ordered elements (decided and audited); Fetch the
	// parts asked upstream to apply the criteria and the graded-address rule.
	Elements, Fetch []string
	// Reveal: the order asks for graded addresses explicitly.
	Reveal bool
	// Keep applies the criteria's exact filters to a reduced person; nil
	// keeps every person. Only kept persons are returned and audited.
	Keep func(*freg.Person) bool
}

// ListRows looks up ≤ MaxBulkIDs persons for a list and returns the kept
// ones, reduced, keyed like FREG's bulk answer. The record naming every
// person (and every related person) in the rows is durable before it
// returns.
func (s *Service) ListRows(ctx context.Context, c Caller, ids []string, l ListRead) ([]freg.BulkResult, error) {
	r := s.begin(&c, store.PurposeCitizenLists)
	r.rec.Reason = "order " + l.OrderID
	out, err := r.listRows(ctx, ids, l)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return out, nil
}

func (r *read) listRows(ctx context.Context, ids []string, l ListRead) ([]freg.BulkResult, error) {
	if len(ids) > MaxBulkIDs {
		return nil, Invalid(fmt.Sprintf("at most %d identity numbers per chunk", MaxBulkIDs))
	}
	if err := r.authorize(Touched(l.Elements, nil), nil, false); err != nil {
		return nil, err
	}
	res, err := upstream(ctx, r, "bulkoppslag", func(ctx context.Context) ([]freg.BulkResult, error) {
		return r.s.upstream.BulkLookup(ctx, ids, l.Fetch)
	})
	if err != nil {
		return nil, err
	}
	rules := Rules(r.c.Role, r.c.Area, roleSelection(r.c.Role), l.Reveal)
	out := make([]freg.BulkResult, 0, len(res))
	var persons []string
	for _, it := range res {
		if it.Folkeregisterperson == nil {
			continue // died or left between uttrekk and lookup: not in the list
		}
		p, revealed := reduce.Person(it.Folkeregisterperson, rules)
		if l.Keep != nil && !l.Keep(p) {
			continue
		}
		out = append(out, freg.BulkResult{FoedselsEllerDNummer: it.FoedselsEllerDNummer, Folkeregisterperson: p})
		persons = append(persons, it.FoedselsEllerDNummer)
		persons = disclosedPersons(persons, p)
		r.rec.GradedRevealed = r.rec.GradedRevealed || revealed
	}
	r.setPersons(persons)
	return out, nil
}

// roleSelection selects every element of the role, current values only:
// lists and oppvekst show what the role allows, never history.
func roleSelection(role store.Role) freg.Selection {
	sel := freg.Selection{}
	for _, el := range role.Elements {
		if el != freg.ElementHistorikk {
			sel.Elements = append(sel.Elements, el)
		}
	}
	slices.Sort(sel.Elements)
	return sel
}

// OppvekstElements are the elements a role needs for the oppvekst dataset
// (freg.md §10), besides the purpose search; historikk is among them.
var OppvekstElements = []string{
	IDElement, "status", "foedsel", "statsborgerskap", "kjoenn", "navn", "bostedsadresse",
	"oppholdsadresse", "deltBosted", "postadresse", "adressebeskyttelse", "utenlandskPersonidentifikasjon",
	"familierelasjon", "foreldreansvar", freg.ElementHistorikk,
}

// MaxOppvekst is the most fødselsnumre one oppvekst request takes.
const MaxOppvekst = 1000

// oppvekstAdultParts are the elements read of the adults holding
// foreldreansvar.
var oppvekstAdultParts = []string{IDElement, "status", "navn", "statsborgerskap", "kjoenn", "adressebeskyttelse",
	"bostedsadresse", "oppholdsadresse", "postadresse", "foedsel"}

// Oppvekst reads children and the adults holding foreldreansvar for them,
// reduced by the role, for the oppvekst dataset. Unknown identity numbers
// are left out. Every child, adult and related person is audited.
func (s *Service) Oppvekst(ctx context.Context, c Caller, ids []string) (kids []*freg.Person, adults map[string]*freg.Person, err error) {
	r := s.begin(&c, store.PurposeSearch)
	kids, adults, err = r.oppvekst(ctx, ids)
	if e := r.finish(ctx, err); e != nil {
		return nil, nil, e
	}
	return kids, adults, nil
}

func (r *read) oppvekst(ctx context.Context, ids []string) ([]*freg.Person, map[string]*freg.Person, error) {
	// The role first: a role that cannot have the dataset learns nothing
	// about the input.
	if err := r.authorize(OppvekstElements, nil, false); err != nil {
		return nil, nil, err
	}
	switch n := len(ids); {
	case n == 0:
		return nil, nil, Invalid("foedselsnumre: needs at least one fødselsnummer")
	case n > MaxOppvekst:
		return nil, nil, Invalid(fmt.Sprintf("foedselsnumre: at most %d per request, got %d", MaxOppvekst, n))
	}
	for i, id := range ids {
		if err := ident.Validate(id); err != nil {
			return nil, nil, Invalid(fmt.Sprintf("foedselsnumre[%d]: is not a valid fødselsnummer or D-nummer", i))
		}
	}
	ids = uniq(ids)
	// The children's own elements, current entries plus history (for
	// tidligereIdentifikasjonsnummer), as the role allows them.
	childParts := append(slices.DeleteFunc(slices.Clone(OppvekstElements), func(e string) bool { return e == freg.ElementHistorikk }), freg.PartHistorikk)
	res, err := upstream(ctx, r, "bulkoppslag", func(ctx context.Context) ([]freg.BulkResult, error) {
		return r.s.upstream.BulkLookup(ctx, ids, childParts)
	})
	if err != nil {
		return nil, nil, err
	}
	rules := Rules(r.c.Role, r.c.Area, roleSelection(r.c.Role), false)
	var kids []*freg.Person
	var adultIDs, persons []string
	for _, it := range res {
		if it.Folkeregisterperson == nil {
			continue
		}
		p, revealed := reduce.Person(it.Folkeregisterperson, rules)
		r.rec.GradedRevealed = r.rec.GradedRevealed || revealed
		kids = append(kids, p)
		persons = disclosedPersons(append(persons, it.FoedselsEllerDNummer), p)
		for _, fa := range p.Foreldreansvar {
			if fa.ErGjeldende && fa.Ansvarlig != "" {
				adultIDs = append(adultIDs, fa.Ansvarlig)
			}
		}
	}
	adults := map[string]*freg.Person{}
	for chunk := range slices.Chunk(uniq(adultIDs), MaxBulkIDs) {
		res, err := upstream(ctx, r, "bulkoppslag", func(ctx context.Context) ([]freg.BulkResult, error) {
			return r.s.upstream.BulkLookup(ctx, chunk, oppvekstAdultParts)
		})
		if err != nil {
			return nil, nil, err
		}
		for _, it := range res {
			if it.Folkeregisterperson != nil {
				p, revealed := reduce.Person(it.Folkeregisterperson, rules)
				r.rec.GradedRevealed = r.rec.GradedRevealed || revealed
				adults[it.FoedselsEllerDNummer] = p
				persons = disclosedPersons(append(persons, it.FoedselsEllerDNummer), p)
			}
		}
	}
	r.setPersons(persons)
	return kids, adults, nil
}

// Note durably records an allowed step of an earlier, audited read that
// discloses no further person (a list finished, a list file downloaded).
func (s *Service) Note(ctx context.Context, c Caller, purpose string, elements []string, note string) error {
	r := s.begin(&c, purpose)
	r.allowed = true
	r.rec.Elements, r.rec.Reason = elements, note
	if e := r.finish(ctx, nil); e != nil {
		return e
	}
	return nil
}

// Check decides whether the caller holds its role for purpose, for requests
// that read no FREG data themselves (a list order's status, the role's
// orders). A refusal is audited; an allowed check writes nothing.
func (s *Service) Check(ctx context.Context, c Caller, purpose string) error {
	r := s.begin(&c, purpose)
	err := r.authorize(Touched(nil, nil), nil, false)
	if err == nil {
		return nil
	}
	if e := r.finish(ctx, err); e != nil {
		return e
	}
	return nil
}
