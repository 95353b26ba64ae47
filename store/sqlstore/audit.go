package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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

// auditState is the audit writer's memory: the head of every
// organisation's chain seen since Open, and the prepared multi-row inserts.
// Keeping the head here spares every batch two queries; it is loaded (and
// the head record's hash checked) the first time an organisation appends,
// updated only after a commit, and dropped on any failure, so a head that
// went stale (an outside writer) costs one failed batch, then is reloaded.
type auditState struct {
	mu    sync.Mutex // serialises AppendAudit; taken before the writer lock
	heads map[string]auditHead
	stmts map[stmtKey]*sql.Stmt // prepared on the writer pool
}

// personBucket is how many consecutive records share a bucket of the person
// index: small enough that a bucket's index pages stay few and hot, large
// enough that a person query seeks few buckets (2,500 per 10 million
// records).
const personBucket = 4096

// indexEvery: the batch whose seqs cross a multiple of indexEvery catches
// its organisation's person index up, in the same transaction: one bulk
// insert into the current bucket instead of a random index write per
// record. Derived from seq alone, it holds across processes sharing the
// database.
const indexEvery = 512

type stmtKey struct {
	prefix string
	rows   int
}

type auditHead struct {
	Seq  int64  `db:"seq"`
	Hash string `db:"hash"`
}

// auditChunks are the row counts of the prepared multi-row INSERTs; a batch
// is split greedily into them, so a handful of statements serve any batch.
var auditChunks = []int{256, 64, 16, 4, 1}

// AppendAudit chains and stores recs in one transaction (see store.Store).
// A zero Time is set to now; Time is kept to the microsecond in UTC, which
// is what the hash covers and what reads return.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) ([]store.AuditRecord, error) {
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.heads == nil {
		a.heads = map[string]auditHead{}
	}
	if err := a.prepare(ctx, s); err != nil {
		return nil, s.fail("append audit", err)
	}
	out := make([]store.AuditRecord, len(recs))
	var orgs []string
	for _, r := range recs {
		orgs = append(orgs, r.OrgID)
	}
	orgs = uniqSorted(orgs)         // locked in one order, so that batches never deadlock
	heads := map[string]auditHead{} // this batch's heads, published after commit
	err := s.write(ctx, "append audit", func(w *wtx) error {
		clear(heads)
		before := map[string]int64{} // each organisation's seq before the batch
		for _, org := range orgs {
			h, err := a.head(w, org)
			if err != nil {
				return err
			}
			heads[org], before[org] = h, h.Seq
		}
		for i, r := range recs {
			if err := checkJSON("criteria", r.Criteria); err != nil {
				return err
			}
			h := heads[r.OrgID]
			if r.Time.IsZero() {
				r.Time = w.now
			}
			r.Time = r.Time.UTC().Truncate(time.Microsecond)
			r.Seq, r.PrevHash = h.Seq+1, h.Hash
			r.Hash = store.ChainHash(r.PrevHash, r)
			heads[r.OrgID] = auditHead{r.Seq, r.Hash}
			out[i] = r
		}
		args := make([]any, 0, len(out)*21)
		for _, r := range out {
			args = append(args, r.OrgID, r.Seq, micros(r.Time), r.RequestID, r.SubjectKind, r.SubjectID, r.SubjectName, r.RoleID,
				r.ServiceArea, listJSON(r.LegalBasis), r.Purpose, r.Action, listJSON(r.Persons), nullJSON(r.Criteria),
				listJSON(r.Elements), r.GradedRevealed, r.Decision, r.Status, r.Reason, r.PrevHash, r.Hash)
		}
		if err := a.insert(w, auditInsert, args); err != nil {
			return err
		}
		for org, h := range heads {
			if h.Seq/indexEvery != before[org]/indexEvery {
				if _, err := a.indexPersons(w, org); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// The failed batch may have met a head that moved under us: reload.
		for _, r := range recs {
			delete(a.heads, r.OrgID)
		}
		return nil, err
	}
	for org, h := range heads {
		a.heads[org] = h
	}
	return out, nil
}

// head returns org's chain head for the batch in w. With one writing
// process the remembered head is the head. With several (PostgreSQL), the
// head is locked until commit, which makes the batches of all instances
// take turns per organisation, and the remembered head is used only if the
// database's head is still that record.
func (a *auditState) head(w *wtx, org string) (auditHead, error) {
	cached, ok := a.heads[org]
	if w.d.lockAuditHead() == "" {
		if ok {
			return cached, nil
		}
		return loadAuditHead(w, org)
	}
	if _, err := w.exec(w.d.lockAuditHead(), org); err != nil {
		return auditHead{}, err
	}
	if ok {
		var current auditHead
		err := w.get(&current, `SELECT seq, hash FROM audit WHERE org_id = ? ORDER BY seq DESC LIMIT 1`, org)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return auditHead{}, err
		}
		if err == nil && current == cached {
			return cached, nil
		}
	}
	return loadAuditHead(w, org)
}

// indexPersons brings org's person index up to its last record: it indexes
// the persons of every record after audit_index_state's mark, read from
// the audit table itself (so it also heals a tail lost in a crash), and
// moves the mark, all in w. It returns the last record's seq.
func (a *auditState) indexPersons(w *wtx, org string) (int64, error) {
	var from int64
	if err := w.get(&from, `SELECT indexed_seq FROM audit_index_state WHERE org_id = ?`, org); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	var rows []struct {
		Seq     int64          `db:"seq"`
		Persons sql.NullString `db:"persons"`
	}
	if err := w.sel(&rows, `SELECT seq, persons FROM audit WHERE org_id = ? AND seq > ? ORDER BY seq`, org, from); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return from, nil
	}
	var args []any
	for _, r := range rows {
		persons, err := parseList(r.Persons)
		if err != nil {
			return 0, err
		}
		for _, p := range uniqSorted(persons) {
			args = append(args, org, r.Seq/personBucket, p, r.Seq)
		}
	}
	if err := a.insert(w, auditPersonsInsert, args); err != nil {
		return 0, err
	}
	last := rows[len(rows)-1].Seq
	_, err := w.exec(`INSERT INTO audit_index_state (org_id, indexed_seq) VALUES (?, ?)
		ON CONFLICT (org_id) DO UPDATE SET indexed_seq = excluded.indexed_seq`, org, last)
	return last, err
}

// catchUpPersons indexes org's log to its end before a person query and
// returns the last bucket to search.
func (s *Store) catchUpPersons(ctx context.Context, org string) (int64, error) {
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.prepare(ctx, s); err != nil {
		return 0, s.fail("index audit persons", err)
	}
	var last int64
	err := s.write(ctx, "index audit persons", func(w *wtx) error {
		if lock := w.d.lockAuditHead(); lock != "" {
			if _, err := w.exec(lock, org); err != nil {
				return err
			}
		}
		var err error
		last, err = a.indexPersons(w, org)
		return err
	})
	if err != nil {
		return 0, err
	}
	return last / personBucket, nil
}

// loadAuditHead reads an organisation's chain head and checks that the head
// record still carries the hash of its content, so that new records are
// never chained onto an edited one.
func loadAuditHead(w *wtx, orgID string) (auditHead, error) {
	var n int
	if err := w.get(&n, `SELECT COUNT(*) FROM organisations WHERE id = ?`, orgID); err != nil {
		return auditHead{}, err
	}
	if n == 0 {
		return auditHead{}, fmt.Errorf("audit organisation: %w", store.ErrNotFound)
	}
	var row auditRow
	err := w.get(&row, auditSelect+`WHERE org_id = ? ORDER BY seq DESC LIMIT 1`, orgID)
	if errors.Is(err, sql.ErrNoRows) {
		return auditHead{}, nil
	}
	if err != nil {
		return auditHead{}, err
	}
	rec, err := row.domain()
	if err != nil {
		return auditHead{}, err
	}
	if store.ChainHash(rec.PrevHash, rec) != rec.Hash {
		return auditHead{}, fmt.Errorf("audit chain head seq %d does not match its hash", rec.Seq)
	}
	return auditHead{rec.Seq, rec.Hash}, nil
}

// A multi-row INSERT: prefix VALUES (…), (…) suffix.
type multiInsert struct {
	prefix, suffix string
	cols           int
}

var (
	auditInsert        = multiInsert{`INSERT INTO audit (` + auditCols + `) VALUES `, "", 21}
	auditPersonsInsert = multiInsert{`INSERT INTO audit_person_index (org_id, bucket, person, seq) VALUES `, ` ON CONFLICT DO NOTHING`, 4}
)

func (m multiInsert) sql(rows int) string { return valuesSQL(m.prefix, m.cols, rows, m.suffix) }

// prepare prepares every chunk of both inserts on the writer pool, once, so
// that Tx.StmtContext later reuses them on the writer connection. It runs
// before the transaction: the writer pool has one connection, which the
// transaction will hold. a.mu is held.
func (a *auditState) prepare(ctx context.Context, s *Store) error {
	if a.stmts != nil {
		return nil
	}
	stmts := map[stmtKey]*sql.Stmt{}
	for _, m := range []multiInsert{auditInsert, auditPersonsInsert} {
		for _, n := range auditChunks {
			st, err := s.w.PrepareContext(ctx, s.w.Rebind(m.sql(n)))
			if err != nil {
				for _, st := range stmts {
					st.Close()
				}
				return err
			}
			stmts[stmtKey{m.prefix, n}] = st
		}
	}
	a.stmts = stmts
	return nil
}

// insert runs m over args in chunks of auditChunks rows.
func (a *auditState) insert(w *wtx, m multiInsert, args []any) error {
	for rows := len(args) / m.cols; rows > 0; {
		n := 1
		for _, c := range auditChunks {
			if c <= rows {
				n = c
				break
			}
		}
		stmt := a.stmts[stmtKey{m.prefix, n}]
		if _, err := w.tx.StmtContext(w.ctx, stmt).ExecContext(w.ctx, args[:n*m.cols]...); err != nil {
			return err
		}
		args, rows = args[n*m.cols:], rows-n
	}
	return nil
}

func (a *auditState) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, st := range a.stmts {
		st.Close()
	}
	a.stmts = nil
}

func valuesSQL(prefix string, cols, rows int, suffix string) string {
	var b strings.Builder
	tuple := "(" + strings.Repeat("?, ", cols-1) + "?)"
	b.WriteString(prefix)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(tuple)
	}
	b.WriteString(suffix)
	return b.String()
}

// uniqSorted returns the distinct values of xs (one person index entry per
// person and record).
func uniqSorted(xs []string) []string {
	if len(xs) < 2 {
		return xs
	}
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// ListAudit returns matching records newest first; From/To are the
// half-open interval [From, To).
func (t *tenant) ListAudit(ctx context.Context, q store.AuditQuery) (store.Page[store.AuditRecord], error) {
	c := conds{}.eq("org_id", t.org).eq("subject_id", q.SubjectID).eq("role_id", q.RoleID).
		eq("decision", q.Decision).between("time", q.From, q.To)
	if q.Person != "" {
		lastBucket, err := t.s.catchUpPersons(ctx, t.org)
		if err != nil {
			return store.Page[store.AuditRecord]{}, err
		}
		cond, args := personCond(lastBucket, t.org, q.Person)
		c = c.add(cond, args...)
	}
	return pageOf[store.AuditRecord, auditRow](ctx, t.s, "list audit", auditSelect, "audit", "seq DESC", c, q.StartIndex, q.Count)
}

// personCond selects the seqs of person's records in org's buckets 0 to
// lastBucket with one index seek per bucket: the buckets are generated, and
// CROSS JOIN keeps them the outer loop (SQLite's way to fix join order), so
// that each probe uses the key (org, bucket, person). The join condition is
// in WHERE because PostgreSQL's CROSS JOIN takes no ON.
func personCond(lastBucket int64, org, person string) (string, []any) {
	return `seq IN (WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM b WHERE n < ?)
		SELECT i.seq FROM b CROSS JOIN audit_person_index i WHERE i.org_id = ? AND i.bucket = b.n AND i.person = ?)`,
		[]any{lastBucket, org, person}
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
