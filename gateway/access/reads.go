package access

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
	"folkevakt/gateway/reduce"
	"folkevakt/store"
)

// MaxBulkIDs is FREG's limit for bulkoppslag.
const MaxBulkIDs = 1000

// PersonRequest asks for person documents: FREG `part` values (none: person-
// basis) and whether graded addresses are asked for explicitly
// (visGraderteAdresser=true).
type PersonRequest struct {
	Parts  []string
	Reveal bool
}

// selection parses the parts and returns the elements they touch.
func (p PersonRequest) selection() (freg.Selection, []string, error) {
	sel, err := freg.ParseParts(p.Parts)
	if err != nil {
		return freg.Selection{}, nil, Invalid(err.Error())
	}
	els := sel.Elements
	if sel.Historikk {
		els = append(slices.Clone(els), freg.ElementHistorikk)
	}
	return sel, els, nil
}

// rawPersons is implemented by upstreams that can hand over a person
// document as received (fregclient), sparing the lookup a decode into
// freg.Person and an encode back.
type rawPersons interface {
	PersonJSON(ctx context.Context, id string, parts []string) ([]byte, error)
}

// Person looks up one person and returns the reduced FREG document (JSON).
func (s *Service) Person(ctx context.Context, c Caller, id string, pr PersonRequest) ([]byte, error) {
	r := s.begin(&c, store.PurposeSearch)
	// The record names the person even when the read is refused, so that a
	// person's audit trail shows every attempt.
	r.rec.Persons = []string{id}
	out, err := r.person(ctx, id, pr)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return out, nil
}

func (r *read) person(ctx context.Context, id string, pr PersonRequest) ([]byte, error) {
	sel, els, err := pr.selection()
	if err != nil {
		return nil, err
	}
	if err := ident.Validate(id); err != nil {
		return nil, Invalid("invalid identity number: " + err.Error())
	}
	if err := r.authorize(els, pr.Parts, len(pr.Parts) == 0); err != nil {
		return nil, err
	}
	doc, err := upstream(ctx, r, "person", func(ctx context.Context) ([]byte, error) {
		if rp, ok := r.s.upstream.(rawPersons); ok {
			return rp.PersonJSON(ctx, id, pr.Parts)
		}
		p, err := r.s.upstream.Person(ctx, id, pr.Parts)
		if err != nil {
			return nil, err
		}
		return json.Marshal(p)
	})
	if err != nil {
		return nil, err
	}
	// One reduction for every lookup, whatever the upstream: the JSON one.
	out, revealed, err := reduce.PersonJSON(doc, Rules(r.c.Role, r.c.Area, sel, pr.Reveal))
	if err != nil {
		return nil, fmt.Errorf("%w: person document: %v", freg.ErrUpstream, err)
	}
	r.rec.GradedRevealed = revealed
	r.rec.Persons = uniq(disclosed(r.rec.Persons, out))
	return out, nil
}

// Bulk looks up to MaxBulkIDs persons (bulkoppslag).
func (s *Service) Bulk(ctx context.Context, c Caller, ids []string, pr PersonRequest) ([]freg.BulkResult, error) {
	r := s.begin(&c, store.PurposeSearch)
	out, err := r.bulk(ctx, ids, pr)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return out, nil
}

func (r *read) bulk(ctx context.Context, ids []string, pr PersonRequest) ([]freg.BulkResult, error) {
	sel, els, err := pr.selection()
	if err != nil {
		return nil, err
	}
	switch {
	case len(ids) == 0:
		return nil, Invalid("foedselsEllerDNummer must hold at least one identity number")
	case len(ids) > MaxBulkIDs:
		return nil, Invalid(fmt.Sprintf("at most %d identity numbers per bulkoppslag, got %d", MaxBulkIDs, len(ids)))
	}
	r.setPersons(ids)
	for i, id := range ids {
		if err := ident.Validate(id); err != nil {
			return nil, Invalid(fmt.Sprintf("foedselsEllerDNummer[%d] is not a valid identity number: %v", i, err))
		}
	}
	if err := r.authorize(els, pr.Parts, len(pr.Parts) == 0); err != nil {
		return nil, err
	}
	res, err := upstream(ctx, r, "bulkoppslag", func(ctx context.Context) ([]freg.BulkResult, error) {
		return r.s.upstream.BulkLookup(ctx, ids, pr.Parts)
	})
	if err != nil {
		return nil, err
	}
	defer func() { r.rec.Persons = uniq(r.rec.Persons) }()
	rules := Rules(r.c.Role, r.c.Area, sel, pr.Reveal)
	out := make([]freg.BulkResult, len(res))
	for i, it := range res {
		out[i] = freg.BulkResult{FoedselsEllerDNummer: it.FoedselsEllerDNummer}
		if it.Folkeregisterperson != nil {
			p, revealed := reduce.Person(it.Folkeregisterperson, rules)
			out[i].Folkeregisterperson = p
			r.rec.Persons = disclosedPersons(r.rec.Persons, p)
			r.rec.GradedRevealed = r.rec.GradedRevealed || revealed
		}
		if it.Feilmelding != nil {
			// Our own text: the upstream's may name the person.
			out[i].Feilmelding = &freg.Feilmelding{Feilmelding: msgNoPerson}
		}
	}
	return out, nil
}

// msgNoPerson replaces FREG's per-item feilmelding in bulk answers.
const msgNoPerson = "Folkeregisteret returned no person for this identity number"

// Search runs a soek and returns the identity numbers found.
func (s *Service) Search(ctx context.Context, c Caller, q freg.SearchQuery) ([]string, error) {
	r := s.begin(&c, store.PurposeSearch)
	r.rec.Criteria = queryJSON(q)
	ids, err := r.search(ctx, q)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return ids, nil
}

func (r *read) search(ctx context.Context, q freg.SearchQuery) ([]string, error) {
	if err := r.authorize(Touched(nil, searchCriteria{&q}), nil, false); err != nil {
		return nil, err
	}
	ids, err := upstream(ctx, r, "soek", func(ctx context.Context) ([]string, error) { return r.s.upstream.Search(ctx, q) })
	if err != nil {
		return nil, err
	}
	r.setPersons(ids)
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// UniqueSearch runs an entydigsoek and returns the one person found, reduced.
func (s *Service) UniqueSearch(ctx context.Context, c Caller, q freg.SearchQuery, pr PersonRequest) (*freg.Person, error) {
	r := s.begin(&c, store.PurposeSearch)
	r.rec.Criteria = queryJSON(q)
	p, err := r.uniqueSearch(ctx, q, pr)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return p, nil
}

func (r *read) uniqueSearch(ctx context.Context, q freg.SearchQuery, pr PersonRequest) (*freg.Person, error) {
	sel, els, err := pr.selection()
	if err != nil {
		return nil, err
	}
	if err := r.authorize(Touched(els, searchCriteria{&q}), pr.Parts, len(pr.Parts) == 0); err != nil {
		return nil, err
	}
	p, err := upstream(ctx, r, "entydigsoek", func(ctx context.Context) (*freg.Person, error) {
		return r.s.upstream.UniqueSearch(ctx, q, pr.Parts)
	})
	if err != nil {
		return nil, err
	}
	out, revealed := reduce.Person(p, Rules(r.c.Role, r.c.Area, sel, pr.Reveal))
	r.rec.GradedRevealed = revealed
	r.setPersons(disclosedPersons(nil, out))
	return out, nil
}

// Feed reads the event feed from seq, keeping the items the role may read.
func (s *Service) Feed(ctx context.Context, c Caller, seq int64) ([]freg.FeedItem, error) {
	r := s.begin(&c, store.PurposeEvents)
	r.rec.Criteria = criteriaJSON(map[string]string{"seq": fmt.Sprint(seq)})
	items, err := r.feed(ctx, seq)
	if e := r.finish(ctx, err); e != nil {
		return nil, e
	}
	return items, nil
}

func (r *read) feed(ctx context.Context, seq int64) ([]freg.FeedItem, error) {
	if seq < 1 {
		return nil, Invalid("seq must be a positive integer")
	}
	if err := r.authorize(Touched(nil, nil), nil, false); err != nil {
		return nil, err
	}
	items, err := upstream(ctx, r, "feed", func(ctx context.Context) ([]freg.FeedItem, error) { return r.s.upstream.Feed(ctx, seq) })
	if err != nil {
		return nil, err
	}
	kept, unknown := reduce.Feed(items, func(el string) bool { return MayRead(r.c.Role, r.c.Area, el) })
	if unknown > 0 {
		r.s.obs.FeedUnknown(unknown)
	}
	ids := make([]string, len(kept))
	for i, it := range kept {
		ids[i] = it.Hendelse.Folkeregisteridentifikator
	}
	r.setPersons(ids)
	return kept, nil
}

// LastSequence returns the feed's last sequence number.
func (s *Service) LastSequence(ctx context.Context, c Caller) (int64, error) {
	r := s.begin(&c, store.PurposeEvents)
	n, err := func() (int64, error) {
		if err := r.authorize(Touched(nil, nil), nil, false); err != nil {
			return 0, err
		}
		return upstream(ctx, r, "sekvensnummer", func(ctx context.Context) (int64, error) { return r.s.upstream.LastSequence(ctx) })
	}()
	if e := r.finish(ctx, err); e != nil {
		return 0, e
	}
	return n, nil
}

// FREG's uttrekk job ids are bearer capabilities: whoever knows one can read
// the job's batches of identity numbers, so the service records in the store
// which organisation and role ordered each job and hands its batches only to
// them, for jobTTL (FREG keeps jobs for a limited time).
const jobTTL = 24 * time.Hour

// OrderExtract orders a tilpasset uttrekk and returns its job id.
func (s *Service) OrderExtract(ctx context.Context, c Caller, req freg.ExtractRequest) (string, error) {
	r := s.begin(&c, store.PurposeCitizenLists)
	r.rec.Criteria = criteriaJSON(req)
	id, err := r.orderExtract(ctx, req)
	if e := r.finish(ctx, err); e != nil {
		return "", e
	}
	return id, nil
}

func (r *read) orderExtract(ctx context.Context, req freg.ExtractRequest) (string, error) {
	crit := Criteria{ExtractRequest: req}
	if err := crit.checkExtract(r.s.now()); err != nil {
		return "", err
	}
	if err := r.authorize(Touched(nil, &crit), nil, false); err != nil {
		return "", err
	}
	if err := r.kommuneScope(ctx, &crit); err != nil {
		return "", err
	}
	id, err := upstream(ctx, r, "uttrekk", func(ctx context.Context) (string, error) { return r.s.upstream.OrderExtract(ctx, req) })
	if err != nil {
		return "", err
	}
	// Without the record nobody could fetch the batches, so a failure is
	// the caller's 500, not a job id that later answers 410.
	if _, err := r.s.store.Tenant(r.c.OrgID).RecordExtractJob(ctx, store.ExtractJob{ID: id, RoleID: r.c.Role.ID, ExpiresAt: r.s.now().Add(jobTTL)}); err != nil {
		return "", r.internal(err, "record uttrekk job")
	}
	return id, nil
}

// ExtractBatch returns batch n of an uttrekk job the caller's role ordered.
func (s *Service) ExtractBatch(ctx context.Context, c Caller, job string, n int) (freg.ExtractBatch, error) {
	r := s.begin(&c, store.PurposeCitizenLists)
	r.rec.Criteria = criteriaJSON(map[string]any{"jobbId": job, "batch": n})
	b, err := r.extractBatch(ctx, job, n)
	if e := r.finish(ctx, err); e != nil {
		return freg.ExtractBatch{}, e
	}
	return b, nil
}

func (r *read) extractBatch(ctx context.Context, job string, n int) (freg.ExtractBatch, error) {
	if err := r.authorize(Touched(nil, nil), nil, false); err != nil {
		return freg.ExtractBatch{}, err
	}
	j, err := r.s.store.Tenant(r.c.OrgID).GetExtractJob(ctx, job)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && j.RoleID != r.c.Role.ID):
		// Answered like FREG's unknown job, without asking the upstream.
		return freg.ExtractBatch{}, deny(ReasonGone, "no uttrekk job with this id was ordered in this role")
	case err != nil:
		return freg.ExtractBatch{}, r.internal(err, "uttrekk job owner")
	}
	b, err := upstream(ctx, r, "uttrekk-batch", func(ctx context.Context) (freg.ExtractBatch, error) {
		return r.s.upstream.ExtractBatch(ctx, job, n)
	})
	if err != nil {
		return freg.ExtractBatch{}, err
	}
	r.setPersons(b.FoedselsEllerDNummer)
	if b.Feilmelding != "" {
		// Our own text: the upstream's may name persons.
		b.Feilmelding = "Folkeregisteret reported an error for this batch"
	}
	return b, nil
}

// kommuneScope checks criteria against the caller's organisation's
// municipalities (Criteria.scope).
func (r *read) kommuneScope(ctx context.Context, c *Criteria) error {
	org, err := r.s.store.GetOrganisation(ctx, r.c.OrgID)
	if err != nil {
		return r.internal(err, "organisation")
	}
	return c.scope(org.Kommunenummer)
}

// queryJSON is a search's criteria for the audit record: one value per
// parameter.
func queryJSON(q freg.SearchQuery) json.RawMessage {
	v := q.Values()
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	return criteriaJSON(m)
}
