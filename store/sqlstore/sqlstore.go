// Package sqlstore implements store.Store on SQL databases through sqlx:
// SQLite (mattn/go-sqlite3), the embedded default for one process, and
// PostgreSQL (pgx), shared by several instances. The SQL is written once;
// engine differences live in the dialects (dialect.go,
// dialect_postgres.go) and in the migrations of each engine.
//
// Within a process, writes go through one connection and a mutex, so every
// mutating call is one transaction and hooks see changes in Seq order.
// Across processes (PostgreSQL only) a transaction lock around change rows
// keeps change Seq order equal to commit order, and a lock per chain head
// keeps each organisation's audit log one chain. Reads use a separate pool
// and never wait for writers.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"folkevakt/store"
)

var _ store.Store = (*Store)(nil)

// Options configure Open.
type Options struct {
	Path string // SQLite database file
	URL  string // PostgreSQL URL (postgres://…); when set, Path is unused
	// Exclusive (SQLite): hold a lock for the store's lifetime and fail if
	// another process holds it (see lock.go). The serving process sets it.
	Exclusive bool
	Logger    *slog.Logger
	Now       func() time.Time // default time.Now
	NewID     func() string    // default random UUID (v4)
}

// Store is the SQL implementation of store.Store.
type Store struct {
	d     dialect
	w     *sqlx.DB // single writer connection
	r     *sqlx.DB // read pool
	log   *slog.Logger
	now   func() time.Time
	newID func() string
	wmu   sync.Mutex // serialises writers and OnChange delivery
	hmu   sync.Mutex
	hooks []func(store.Change)
	audit auditState // see audit.go
	lock  *os.File   // the SQLite lock file, when Exclusive
	url   string     // the PostgreSQL URL, for the change feed's own connection
	feed  feedState  // see feed.go
}

// Open opens the PostgreSQL database at o.URL or else (creating it if
// needed) the SQLite database at o.Path. It does not migrate: call
// SchemaVersion and Migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" && o.URL == "" {
		return nil, store.Invalid("path", "required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = uuid.NewString
	}
	s := &Store{log: o.Logger, now: o.Now, newID: o.NewID}
	writerDSN, readerDSN := o.URL, o.URL
	if o.URL != "" {
		if !IsPostgresURL(o.URL) {
			return nil, store.Invalid("url", "not a postgres:// URL")
		}
		s.d, s.url = postgresDialect{}, o.URL
	} else {
		registerSQLite()
		s.d = sqliteDialect{}
		writerDSN, readerDSN = sqliteDSN(o.Path, true), sqliteDSN(o.Path, false)
		if err := restrictSQLiteFiles(o.Path, o.Logger); err != nil {
			return nil, err
		}
		if o.Exclusive {
			var err error
			if s.lock, err = lockFile(o.Path); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if s.w, err = s.connect(ctx, writerDSN, 1); err != nil {
		s.unlock()
		return nil, err
	}
	if s.r, err = s.connect(ctx, readerDSN, max(4, runtime.NumCPU())); err != nil {
		s.w.Close()
		s.unlock()
		return nil, err
	}
	return s, nil
}

func (s *Store) unlock() {
	if s.lock != nil {
		s.lock.Close() // closing the descriptor releases the flock
		s.lock = nil
	}
}

// Postgres reports whether the store is on PostgreSQL (shared by several
// instances) rather than SQLite.
func (s *Store) Postgres() bool { return s.d.name() == "postgres" }

func (s *Store) connect(ctx context.Context, dsn string, conns int) (*sqlx.DB, error) {
	db, err := sql.Open(s.d.driver(), dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	x := sqlx.NewDb(db, s.d.name())
	// An unreachable server must fail the start, not hang it.
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := x.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open: %w", oneLine{err})
	}
	return x, nil
}

// oneLine prints err on one line: pgx lists each address it tried on a line
// of its own, and a refused start should say why in one line.
type oneLine struct{ err error }

func (o oneLine) Error() string { return strings.Join(strings.Fields(o.err.Error()), " ") }
func (o oneLine) Unwrap() error { return o.err }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.GetContext(ctx, &one, "SELECT 1"); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.audit.close()
	err := errors.Join(s.r.Close(), s.w.Close())
	s.unlock()
	return err
}

// OnChange registers a hook; see store.Store.
func (s *Store) OnChange(fn func(store.Change)) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.hooks = append(s.hooks, fn)
}

// qtx is a transaction with its context; queries use ? placeholders.
type qtx struct {
	tx  *sqlx.Tx
	ctx context.Context
}

func (q qtx) get(dest any, query string, args ...any) error {
	return q.tx.GetContext(q.ctx, dest, q.tx.Rebind(query), args...)
}

func (q qtx) sel(dest any, query string, args ...any) error {
	return q.tx.SelectContext(q.ctx, dest, q.tx.Rebind(query), args...)
}

// exec returns the number of rows affected.
func (q qtx) exec(query string, args ...any) (int64, error) {
	res, err := q.tx.ExecContext(q.ctx, q.tx.Rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// wtx is a write transaction with the time and actor fixed at its start and
// the changes it recorded, delivered to hooks after commit.
type wtx struct {
	qtx
	d       dialect
	now     time.Time
	actor   string
	changes []store.Change
}

// writeAttempts bounds how often a write that lost a deadlock to another
// process is run again.
const writeAttempts = 3

// write runs fn in the single write transaction, then delivers the recorded
// changes to the hooks in Seq order while still holding the writer lock.
func (s *Store) write(ctx context.Context, op string, fn func(*wtx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var w *wtx
	for attempt := 1; ; attempt++ {
		var err error
		w, err = s.writeOnce(ctx, fn)
		if err == nil {
			break
		}
		if attempt == writeAttempts || !s.d.retry(err) {
			return s.fail(op, err)
		}
	}
	s.deliverLocal(ctx, w.changes)
	return nil
}

func (s *Store) writeOnce(ctx context.Context, fn func(*wtx) error) (*wtx, error) {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	w := &wtx{qtx: qtx{tx, ctx}, d: s.d, now: s.now().UTC().Truncate(time.Microsecond), actor: store.ActorFrom(ctx)}
	if err := fn(w); err != nil {
		tx.Rollback()
		return nil, err
	}
	if n := len(w.changes); n > 0 && s.d.notifyChanges() != "" {
		if _, err := w.exec(s.d.notifyChanges(), strconv.FormatInt(w.changes[n-1].Seq, 10)); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return w, nil
}

// read runs fn in one read transaction (a consistent snapshot).
func (s *Store) read(ctx context.Context, op string, fn func(qtx) error) error {
	tx, err := s.r.BeginTxx(ctx, s.d.readTx())
	if err != nil {
		return s.fail(op, err)
	}
	defer tx.Rollback()
	if err := fn(qtx{tx, ctx}); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// fail maps err for callers: store errors pass through, constraint
// violations become sentinels, and anything else (I/O, context) is wrapped.
// Error text never carries SQL or row values.
func (s *Store) fail(op string, err error) error {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid),
		errors.Is(err, store.ErrUnavailable):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if se := s.d.sentinel(err); se != nil {
		return fmt.Errorf("%s: %w", op, se)
	}
	if s.d.unavailable(err) {
		return fmt.Errorf("sqlstore: %s: %w: %w", op, store.ErrUnavailable, oneLine{err})
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// record writes a Change row in the transaction. before/after are entities
// marshalled to JSON (nil for none).
func (w *wtx) record(orgID, action, entity, entityID string, before, after any) error {
	c := store.Change{OrgID: orgID, Time: w.now, Actor: w.actor, Action: action, Entity: entity, EntityID: entityID}
	if len(w.changes) == 0 && w.d.lockChanges() != "" {
		if _, err := w.exec(w.d.lockChanges()); err != nil {
			return err
		}
	}
	var err error
	if c.Before, err = marshalOpt(before); err != nil {
		return err
	}
	if c.After, err = marshalOpt(after); err != nil {
		return err
	}
	err = w.get(&c.Seq, `INSERT INTO changes (org_id, time, actor, action, entity, entity_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		orgID, micros(w.now), c.Actor, action, entity, entityID, nullJSON(c.Before), nullJSON(c.After))
	if err != nil {
		return err
	}
	w.changes = append(w.changes, c)
	return nil
}

func marshalOpt(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// micros is the stored form of a time.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func microsPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	us := micros(*t)
	return &us
}

func fromMicrosPtr(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := fromMicros(*us)
	return &t
}

// nullJSON stores empty JSON as NULL.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func rawJSON(s sql.NullString) json.RawMessage {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.RawMessage(s.String)
}

// checkJSON rejects malformed JSON before it reaches a JSON column.
func checkJSON(field string, b json.RawMessage) error {
	if len(b) > 0 && !json.Valid(b) {
		return store.Invalid(field, "not valid JSON")
	}
	return nil
}

// list is a []string stored as JSON text (never NULL; nil reads back as nil).
func listJSON(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	if b, ok := store.AppendPlainJSONList(make([]byte, 0, 256), l); ok {
		return string(b)
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

func parseList(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" || s.String == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s.String), &l); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return l, nil
}

// page normalises paging: StartIndex is 1-based, Count 0 means the default
// and a negative Count means no items.
func page(startIndex, count int) (offset, limit, start int) {
	if startIndex < 1 {
		startIndex = 1
	}
	switch {
	case count == 0:
		count = defaultCount
	case count < 0:
		count = 0
	}
	return startIndex - 1, count, startIndex
}

const defaultCount = 100
