package lists

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// createTemp opens the file a list is written to, readable by the owner
// only whatever the umask or the mode of a partial file left behind; tests
// replace it to reach a full disk.
var createTemp = func(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// errCancelled ends a job whose order was cancelled (status already set).
var errCancelled = errors.New("cancelled")

// runOrder runs one queued order to its end state.
func (s *Service) runOrder(ctx context.Context, ref orderRef) {
	t := s.o.Store.Tenant(ref.orgID)
	o, err := t.UpdateListOrder(ctx, ref.id, func(o store.ListOrder) (store.ListOrder, error) {
		if o.Status != store.OrderQueued {
			return o, ErrConflict
		}
		o.Status = store.OrderRunning
		return o, nil
	})
	if err != nil {
		return // cancelled while queued, or shutting down
	}
	// Start and end are logged with ids and counts only: criteria and rows
	// may name or single out persons.
	started := time.Now()
	outcome, rows := outcomeFailed, 0
	s.log.Info("list order started", "order_id", o.ID, "org_id", o.OrgID, "role_id", o.RoleID, "format", o.Format)
	defer func() {
		s.stats.finished(outcome)
		s.log.Info("list order finished", "order_id", o.ID, "org_id", o.OrgID, "outcome", outcome,
			"rows", rows, "duration", time.Since(started).Round(time.Millisecond).String())
	}()
	jctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.running[o.ID] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, o.ID)
		s.mu.Unlock()
		cancel()
	}()
	tmp := s.tempPath(o)
	rows, err = s.run(jctx, o, tmp)
	if err != nil {
		_ = os.Remove(tmp)
		switch {
		case ctx.Err() != nil:
			outcome = outcomeInterrupted
			s.fail(ctx, o, "interrupted by a shutdown of folkevakt; it runs again at the next start")
		case jctx.Err() != nil || errors.Is(err, errCancelled):
			outcome = outcomeCancelled // Cancel already recorded the status.
		default:
			s.log.Error("list order failed", "order_id", o.ID, "org_id", o.OrgID, "err", err)
			s.fail(ctx, o, failMessage(err))
		}
		return
	}
	final := filepath.Join(s.o.DataDir, fileName(o))
	_, err = t.UpdateListOrder(context.WithoutCancel(ctx), o.ID, func(cur store.ListOrder) (store.ListOrder, error) {
		if cur.Status != store.OrderRunning {
			return cur, ErrConflict
		}
		// Rename inside the update: the order says done only once the
		// complete file is in place, and a cancelled order never gets it.
		if err := os.Rename(tmp, final); err != nil {
			return cur, err
		}
		if err := syncDir(filepath.Dir(final)); err != nil {
			return cur, err
		}
		now := s.o.Now()
		exp := now.Add(s.o.Retention)
		cur.Status, cur.Rows, cur.File, cur.FinishedAt, cur.ExpiresAt = store.OrderDone, rows, fileName(o), &now, &exp
		cur.Done = cur.Total
		return cur, nil
	})
	if err != nil {
		_ = os.Remove(tmp)
		_ = os.Remove(final)
		if errors.Is(err, ErrConflict) {
			outcome = outcomeCancelled
		} else {
			s.log.Error("list order completion failed", "order_id", o.ID, "err", err)
			s.fail(ctx, o, failMessage(err))
		}
		return
	}
	outcome = outcomeDone
	c := s.jobCaller(o, store.Role{ID: o.RoleID}, store.ServiceArea{})
	c.Action = ActionListDone
	if err := s.o.Access.Note(context.WithoutCancel(ctx), c, store.PurposeCitizenLists, o.Elements, fmt.Sprintf("order %s done, %d rows", o.ID, rows)); err != nil {
		s.log.Error("list order audit failed", "order_id", o.ID, "err", err)
	}
}

// failMessage is the status message of a failed order: what happened in
// terms an operator can act on, never personal data.
func failMessage(err error) string {
	var denied *access.Error
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the data disk is full; no file was kept"
	case errors.As(err, &denied) && denied.Status() < 500 && denied.Reason != access.ReasonUpstreamThrottle:
		return "the order is no longer valid: " + denied.Message
	case errors.As(err, &denied) && denied.Reason != access.ReasonInternal && denied.Reason != access.ReasonAudit:
		return "Folkeregisteret failed during the run (" + string(denied.Reason) + "); no file was kept"
	case errors.Is(err, freg.ErrGone):
		return "Folkeregisteret no longer holds the uttrekk job (expired during the run); no file was kept"
	case errors.Is(err, freg.ErrThrottled), errors.Is(err, freg.ErrUpstream), errors.Is(err, freg.ErrTimeout),
		errors.Is(err, freg.ErrForbidden), errors.Is(err, freg.ErrInvalid):
		return "Folkeregisteret failed during the run (" + upstreamKind(err) + "); no file was kept"
	}
	return "internal error while writing the list; no file was kept"
}

func upstreamKind(err error) string {
	for _, k := range []error{freg.ErrThrottled, freg.ErrUpstream, freg.ErrTimeout, freg.ErrForbidden, freg.ErrInvalid} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "error"
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *Service) jobCaller(o store.ListOrder, role store.Role, area store.ServiceArea) Caller {
	return Caller{OrgID: o.OrgID, SubjectKind: o.SubjectKind, SubjectID: o.SubjectID, RequestID: "order:" + o.ID, Role: role, Area: area,
		Action: ActionListPersons}
}

// run writes the list to tmp and returns its row count. The role is read
// afresh: an order runs only within what the role allows now.
func (s *Service) run(ctx context.Context, o store.ListOrder, tmp string) (int, error) {
	t := s.o.Store.Tenant(o.OrgID)
	role, err := t.GetRole(ctx, o.RoleID)
	if err != nil {
		return 0, fmt.Errorf("role: %w", err)
	}
	area, err := t.GetServiceArea(ctx, role.ServiceAreaID)
	if err != nil {
		return 0, fmt.Errorf("service area: %w", err)
	}
	org, err := s.o.Store.GetOrganisation(ctx, o.OrgID)
	if err != nil {
		return 0, fmt.Errorf("organisation: %w", err)
	}
	var crit access.Criteria
	if err := decodeStrict(o.Criteria, &crit, "criteria"); err != nil {
		return 0, err
	}
	elements, err := listElements(o.Elements)
	if err != nil {
		return 0, err
	}
	if err := crit.Normalise(org.Kommunenummer, o.CreatedAt); err != nil {
		return 0, err
	}
	j := &job{s: s, o: o, t: t, crit: crit, match: newMatcher(&crit), elements: elements,
		caller: s.jobCaller(o, role, area), lastSave: s.o.Now()}
	return j.run(ctx, tmp, org.Kommunenummer)
}

type job struct {
	s        *Service
	o        store.ListOrder
	t        store.Tenant
	crit     access.Criteria
	match    matcher
	elements []string
	caller   Caller

	done, total int
	lastSave    time.Time
}

func (j *job) run(ctx context.Context, tmp string, orgKommuner []string) (rows int, err error) {
	reqs := j.crit.ExtractRequests(orgKommuner)
	jobIDs := make([]string, len(reqs))
	for i, r := range reqs {
		if jobIDs[i], err = j.s.o.Upstream.OrderExtract(ctx, r); err != nil {
			return 0, fmt.Errorf("order uttrekk: %w", err)
		}
	}
	// First pass: wait for every batch and count, so progress has a real
	// total without holding the identity numbers in memory.
	for _, id := range jobIDs {
		for n := 0; ; n++ {
			b, err := j.batch(ctx, id, n)
			if err != nil {
				return 0, err
			}
			if b.Done {
				break
			}
			j.total += len(b.FoedselsEllerDNummer)
		}
	}
	if err := j.progress(ctx, true); err != nil {
		return 0, err
	}

	if err := os.MkdirAll(filepath.Dir(tmp), 0o700); err != nil {
		return 0, err
	}
	f, err := createTemp(tmp)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cols := columnsFor(j.elements)
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	w, err := newFileWriter(j.o.Format, f, headers, j.s.o.SheetRows, fileMeta{role: j.caller.Role.Name, created: j.s.o.Now()})
	if err != nil {
		return 0, err
	}
	defer func() {
		if w != nil {
			_ = w.Close() // error path: only to release excelize's temp files
		}
	}()
	parts := j.parts()
	wantParents := slices.Contains(j.elements, "foreldreansvar")
	cells := make([]cell, len(cols))
	for _, id := range jobIDs {
		for n := 0; ; n++ {
			b, err := j.batch(ctx, id, n)
			if err != nil {
				return 0, err
			}
			if b.Done {
				break
			}
			for ids := range slices.Chunk(b.FoedselsEllerDNummer, maxBulk) {
				written, err := j.chunk(ctx, ids, parts, wantParents, w, cols, cells)
				if err != nil {
					return 0, err
				}
				rows += written
				j.done += len(ids)
				if err := j.progress(ctx, false); err != nil {
					return 0, err
				}
			}
		}
	}
	// Every person in the file was audited before its row was written.
	err = w.Close()
	w = nil
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	return rows, f.Close()
}

// parts are the elements fetched upstream: the columns', the filters' and
// adressebeskyttelse, which the reduction needs to apply the graded-address
// rule (it drops it again when the role lacks it).
func (j *job) parts() []string {
	set := slices.Clone(j.elements)
	set = append(set, j.crit.FetchElements()...)
	set = append(set, "adressebeskyttelse")
	slices.Sort(set)
	return slices.Compact(set)
}

// batch fetches batch n of an uttrekk job, waiting with backoff while it is
// not ready.
func (j *job) batch(ctx context.Context, id string, n int) (freg.ExtractBatch, error) {
	wait := j.s.o.PollMin
	for {
		b, err := j.s.o.Upstream.ExtractBatch(ctx, id, n)
		if !errors.Is(err, freg.ErrNotReady) {
			if err != nil {
				return b, fmt.Errorf("uttrekk batch %d: %w", n, err)
			}
			if b.Feilmelding != "" {
				return b, fmt.Errorf("uttrekk batch %d: %w: feilmelding from Folkeregisteret", n, freg.ErrUpstream)
			}
			return b, nil
		}
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, j.s.o.PollMax)
	}
}

// chunk reads ≤ 1,000 persons through the access service (which filters,
// reduces and audits them) and writes them.
func (j *job) chunk(ctx context.Context, ids, parts []string, wantParents bool, w fileWriter, cols []column, cells []cell) (int, error) {
	show := j.crit.VisGraderteAdresser
	kept, err := j.s.o.Access.ListRows(ctx, j.caller, ids, access.ListRead{OrderID: j.o.ID, Elements: j.elements,
		Fetch: parts, Reveal: show, Keep: j.match.match})
	if err != nil {
		return 0, fmt.Errorf("bulkoppslag: %w", err)
	}
	var parents map[string]*freg.Person
	if wantParents {
		if parents, err = j.parents(ctx, kept, show); err != nil {
			return 0, err
		}
	}
	var rw row
	for _, k := range kept {
		p := k.Folkeregisterperson
		rw.p, rw.parents = p, rw.parents[:0]
		for _, fa := range p.Foreldreansvar {
			rw.parents = append(rw.parents, parents[fa.Ansvarlig])
		}
		for i, c := range cols {
			cells[i] = c.value(&rw)
		}
		if err := w.Row(cells); err != nil {
			return 0, fmt.Errorf("write row: %w", err)
		}
	}
	return len(kept), nil
}

// parents reads the persons holding foreldreansvar for kids through the
// access service, which reduces and audits them.
func (j *job) parents(ctx context.Context, kids []freg.BulkResult, show bool) (map[string]*freg.Person, error) {
	var ids []string
	for _, k := range kids {
		for _, fa := range k.Folkeregisterperson.Foreldreansvar {
			if fa.Ansvarlig != "" {
				ids = append(ids, fa.Ansvarlig)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	set := map[string]bool{}
	for _, e := range j.elements {
		set[e] = true
	}
	parts := parentElements(set)
	out := make(map[string]*freg.Person, len(ids))
	for chunk := range slices.Chunk(ids, maxBulk) {
		res, err := j.s.o.Access.ListRows(ctx, j.caller, chunk, access.ListRead{OrderID: j.o.ID, Elements: parts, Fetch: parts, Reveal: show})
		if err != nil {
			return nil, fmt.Errorf("bulkoppslag foreldreansvarlige: %w", err)
		}
		for _, r := range res {
			out[r.FoedselsEllerDNummer] = r.Folkeregisterperson
		}
	}
	return out, nil
}

// revealsGraded reports whether a reduced person still carries a graded
// address (for the audit record's gradedRevealed).
func revealsGraded(p *freg.Person) bool {
	g := func(s string) bool { return s != "" && s != freg.GraderingUgradert }
	for _, a := range p.Bostedsadresse {
		if g(a.Adressegradering) {
			return true
		}
	}
	for _, a := range p.Oppholdsadresse {
		if g(a.Adressegradering) {
			return true
		}
	}
	for _, a := range p.Postadresse {
		if g(a.Adressegradering) {
			return true
		}
	}
	return false
}

// progress stores Done/Total at most every ProgressInterval (always when
// force), and notices a cancellation made through the store.
func (j *job) progress(ctx context.Context, force bool) error {
	now := j.s.o.Now()
	if !force && now.Sub(j.lastSave) < j.s.o.ProgressInterval {
		return ctx.Err()
	}
	j.lastSave = now
	_, err := j.t.UpdateListOrder(ctx, j.o.ID, func(o store.ListOrder) (store.ListOrder, error) {
		if o.Status != store.OrderRunning {
			return o, errCancelled
		}
		o.Done, o.Total = j.done, j.total
		return o, nil
	})
	return err
}

// maxBulk is the most identity numbers one bulkoppslag takes.
const maxBulk = 1000
