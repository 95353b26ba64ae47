package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"folkevakt/store"
)

// conds builds a WHERE clause from optional conditions.
type conds struct {
	where []string
	args  []any
}

// add appends cond with its args.
func (c conds) add(cond string, args ...any) conds {
	return conds{append(c.where, cond), append(c.args, args...)}
}

// eq adds col = v unless v is empty (empty query fields match all).
func (c conds) eq(col, v string) conds {
	if v == "" {
		return c
	}
	return c.add(col+" = ?", v)
}

// between adds the half-open interval [from, to) on a micros column; zero
// bounds are open.
func (c conds) between(col string, from, to time.Time) conds {
	if !from.IsZero() {
		c = c.add(col+" >= ?", micros(from))
	}
	if !to.IsZero() {
		c = c.add(col+" < ?", micros(to))
	}
	return c
}

func (c conds) sql() (string, []any) {
	if len(c.where) == 0 {
		return "", nil
	}
	return "WHERE " + strings.Join(c.where, " AND "), c.args
}

// pageOf reads Total and one page of T newest first, in one read
// transaction. selectFrom is "SELECT cols FROM table"; order names the
// columns for ORDER BY.
func pageOf[T any, R row[T]](ctx context.Context, s *Store, op, selectFrom, table, order string, c conds, startIndex, count int) (store.Page[T], error) {
	offset, limit, start := page(startIndex, count)
	p := store.Page[T]{StartIndex: start, Items: []T{}}
	where, args := c.sql()
	err := s.read(ctx, op, func(q qtx) error {
		if err := q.get(&p.Total, `SELECT COUNT(*) FROM `+table+` `+where, args...); err != nil {
			return err
		}
		if limit == 0 || offset >= p.Total {
			return nil
		}
		var err error
		p.Items, err = all[T, R](q, selectFrom+` `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
		return err
	})
	return p, err
}

type auditRow struct {
	OrgID          string         `db:"org_id"`
	Seq            int64          `db:"seq"`
	Time           int64          `db:"time"`
	RequestID      string         `db:"request_id"`
	SubjectKind    string         `db:"subject_kind"`
	SubjectID      string         `db:"subject_id"`
	SubjectName    string         `db:"subject_name"`
	RoleID         string         `db:"role_id"`
	ServiceArea    string         `db:"service_area"`
	LegalBasis     sql.NullString `db:"legal_basis"`
	Purpose        string         `db:"purpose"`
	Action         string         `db:"action"`
	Persons        sql.NullString `db:"persons"`
	Criteria       sql.NullString `db:"criteria"`
	Elements       sql.NullString `db:"elements"`
	GradedRevealed bool           `db:"graded_revealed"`
	Decision       string         `db:"decision"`
	Status         int            `db:"status"`
	Reason         string         `db:"reason"`
	PrevHash       string         `db:"prev_hash"`
	Hash           string         `db:"hash"`
}

const auditCols = `org_id, seq, time, request_id, subject_kind, subject_id, subject_name, role_id, service_area,
	legal_basis, purpose, action, persons, criteria, elements, graded_revealed, decision, status, reason, prev_hash, hash`

const auditSelect = `SELECT ` + auditCols + ` FROM audit `

func (r auditRow) domain() (store.AuditRecord, error) {
	var lists [3][]string
	for i, s := range []sql.NullString{r.LegalBasis, r.Persons, r.Elements} {
		l, err := parseList(s)
		if err != nil {
			return store.AuditRecord{}, err
		}
		lists[i] = l
	}
	return store.AuditRecord{Seq: r.Seq, OrgID: r.OrgID, Time: fromMicros(r.Time), RequestID: r.RequestID,
		SubjectKind: r.SubjectKind, SubjectID: r.SubjectID, SubjectName: r.SubjectName, RoleID: r.RoleID,
		ServiceArea: r.ServiceArea, LegalBasis: lists[0], Purpose: r.Purpose, Action: r.Action, Persons: lists[1],
		Criteria: rawJSON(r.Criteria), Elements: lists[2], GradedRevealed: r.GradedRevealed, Decision: r.Decision,
		Status: r.Status, Reason: r.Reason, PrevHash: r.PrevHash, Hash: r.Hash}, nil
}

// AppendAudit chains and stores recs in one transaction (see store.Store).
// A zero Time is set to now; Time is kept to the microsecond in UTC, which
// is what the hash covers and what reads return.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) ([]store.AuditRecord, error) {
	out := make([]store.AuditRecord, len(recs))
	type head struct {
		Seq  int64  `db:"seq"`
		Hash string `db:"hash"`
	}
	err := s.write(ctx, "append audit", func(w *wtx) error {
		heads := map[string]head{}
		for i, r := range recs {
			if err := checkJSON("criteria", r.Criteria); err != nil {
				return err
			}
			h, ok := heads[r.OrgID]
			if !ok {
				var n int
				if err := w.get(&n, `SELECT COUNT(*) FROM organisations WHERE id = ?`, r.OrgID); err != nil {
					return err
				}
				if n == 0 {
					return fmt.Errorf("audit organisation: %w", store.ErrNotFound)
				}
				err := w.get(&h, `SELECT seq, hash FROM audit WHERE org_id = ? ORDER BY seq DESC LIMIT 1`, r.OrgID)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
			}
			if r.Time.IsZero() {
				r.Time = w.now
			}
			r.Time = r.Time.UTC().Truncate(time.Microsecond)
			r.Seq, r.PrevHash = h.Seq+1, h.Hash
			r.Hash = store.ChainHash(r.PrevHash, r)
			if _, err := w.exec(`INSERT INTO audit (`+auditCols+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.OrgID, r.Seq, micros(r.Time), r.RequestID, r.SubjectKind, r.SubjectID, r.SubjectName, r.RoleID,
				r.ServiceArea, listJSON(r.LegalBasis), r.Purpose, r.Action, listJSON(r.Persons), nullJSON(r.Criteria),
				listJSON(r.Elements), r.GradedRevealed, r.Decision, r.Status, r.Reason, r.PrevHash, r.Hash); err != nil {
				return err
			}
			for _, p := range r.Persons {
				if _, err := w.exec(`INSERT INTO audit_persons (org_id, person, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
					r.OrgID, p, r.Seq); err != nil {
					return err
				}
			}
			heads[r.OrgID] = head{r.Seq, r.Hash}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAudit returns matching records newest first; From/To are the
// half-open interval [From, To).
func (t *tenant) ListAudit(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditRecord], error) {
	c := conds{}.eq("org_id", t.org).eq("subject_id", q.SubjectID).eq("role_id", q.RoleID).
		eq("decision", q.Decision).between("time", q.From, q.To)
	if q.Person != "" {
		c = c.add(`seq IN (SELECT seq FROM audit_persons WHERE org_id = ? AND person = ?)`, t.org, q.Person)
	}
	return pageOf[store.AuditRecord, auditRow](ctx, t.s, "list audit", auditSelect, "audit", "seq DESC", c, q.StartIndex, q.Count)
}

// scanChunk bounds how many records ScanAudit reads per read transaction,
// so a long scan never pins an old snapshot (and the WAL) for long.
const scanChunk = 500

// ScanAudit calls fn for every record after afterSeq in Seq order; fn runs
// outside any transaction and its error stops the scan.
func (t *tenant) ScanAudit(ctx context.Context, afterSeq int64, fn func(store.AuditRecord) error) error {
	for {
		recs, err := readAll[store.AuditRecord, auditRow](ctx, t.s, "scan audit",
			auditSelect+`WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`, t.org, afterSeq, scanChunk)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
			afterSeq = r.Seq
		}
		if len(recs) < scanChunk {
			return nil
		}
	}
}

// --- change history ---

type changeRow struct {
	Seq      int64          `db:"seq"`
	OrgID    string         `db:"org_id"`
	Time     int64          `db:"time"`
	Actor    string         `db:"actor"`
	Action   string         `db:"action"`
	Entity   string         `db:"entity"`
	EntityID string         `db:"entity_id"`
	Before   sql.NullString `db:"before"`
	After    sql.NullString `db:"after"`
}

const changeSelect = `SELECT seq, org_id, time, actor, action, entity, entity_id, before, after FROM changes `

func (r changeRow) domain() (store.Change, error) {
	return store.Change{Seq: r.Seq, OrgID: r.OrgID, Time: fromMicros(r.Time), Actor: r.Actor, Action: r.Action,
		Entity: r.Entity, EntityID: r.EntityID, Before: rawJSON(r.Before), After: rawJSON(r.After)}, nil
}

// ListChanges returns the organisation's changes newest first; From/To are
// the half-open interval [From, To).
func (t *tenant) ListChanges(ctx context.Context, q store.ChangeQuery) (store.Page[store.Change], error) {
	c := conds{}.eq("org_id", t.org).eq("entity", q.Entity).eq("entity_id", q.EntityID).eq("actor", q.Actor).
		between("time", q.From, q.To)
	return pageOf[store.Change, changeRow](ctx, t.s, "list changes", changeSelect, "changes", "seq DESC", c, q.StartIndex, q.Count)
}

// ChangesSince returns changes of all organisations after afterSeq in Seq
// order; limit <= 0 means 1000.
func (s *Store) ChangesSince(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	if limit <= 0 {
		limit = 1000
	}
	return readAll[store.Change, changeRow](ctx, s, "changes since", changeSelect+`WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
}
