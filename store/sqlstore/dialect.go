package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"

	"folkevakt/store"
)

// dialect holds everything that differs between database engines. All other
// SQL in this package is written once, with ? placeholders passed through
// sqlx Rebind, and sticks to syntax SQLite and PostgreSQL share (ON CONFLICT
// DO NOTHING, RETURNING, partial indexes).
type dialect interface {
	// name is the sqlx driver name, which also picks the migrations directory.
	name() string
	// tableExists is a query with one placeholder (the table name) that
	// returns a count.
	tableExists() string
	// jsonPath encodes a key path into the argument that jsonValue and
	// jsonElements take.
	jsonPath(keys []string) string
	// jsonValue is an expression for the scalar at a path (one placeholder)
	// inside the JSON document doc, NULL when absent.
	jsonValue(doc string) string
	// jsonTyped is jsonValue for comparing with a bool or number argument.
	jsonTyped(doc string) string
	// jsonPresent is a condition that the value at a path (one placeholder)
	// is present and not null, empty, [] or {}.
	jsonPresent(doc string) string
	// jsonElements is a table expression, aliased as alias, over the elements
	// of the array at a path (one placeholder); it returns the expression for
	// an element's document.
	jsonElements(doc, alias string) (from, elem string)
	// sentinel maps constraint violations to store sentinels, else nil.
	sentinel(err error) error
	// driver is the database/sql driver to open.
	driver() string
	// readTx are the options of read transactions, which must each see one
	// consistent snapshot.
	readTx() *sql.TxOptions
	// lockChanges is a statement that, run in a write transaction before
	// its first change row, holds every other writer's change rows back
	// until commit, so that change Seq order is commit order across
	// processes ("" when one process is the only writer).
	lockChanges() string
	// notifyChanges is a statement (one placeholder: the last Seq) that
	// tells listening instances at commit that changes exist ("" for none).
	notifyChanges() string
	// lockAuditHead is a statement (one placeholder: the organisation) that
	// holds an organisation's audit chain head until commit ("" when one
	// process is the only writer).
	lockAuditHead() string
	// unavailable reports whether err means the database cannot be
	// reached (store.ErrUnavailable) rather than a fault of the call.
	unavailable(err error) bool
	// retry reports whether a failed write transaction may simply be run
	// again (a deadlock or serialisation failure between processes).
	retry(err error) bool
}

// sqliteDriver is go-sqlite3 with lower() replaced by Go's Unicode-aware
// strings.ToLower, so case-insensitive filters on JSON attributes behave
// for names like "Ødegård" as they will on PostgreSQL. No index uses it.
const sqliteDriver = "sqlite3_folkevakt"

var registerOnce sync.Once

func registerSQLite() {
	registerOnce.Do(func() {
		sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{
			ConnectHook: func(c *sqlite3.SQLiteConn) error {
				return c.RegisterFunc("lower", lower, true)
			},
		})
	})
}

// lower keeps the built-in's handling of NULL and numbers. go-sqlite3
// passes NULL as a nil []byte.
func lower(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return strings.ToLower(v)
	case []byte:
		if v == nil {
			return nil
		}
		return strings.ToLower(string(v))
	default:
		return strings.ToLower(fmt.Sprint(v))
	}
}

type sqliteDialect struct{}

func (sqliteDialect) name() string { return "sqlite3" }

func (sqliteDialect) driver() string { return sqliteDriver }

// The read pool is query-only and WAL gives every transaction a snapshot.
func (sqliteDialect) readTx() *sql.TxOptions { return nil }

// One process writes (see lock.go), through one connection.
func (sqliteDialect) lockChanges() string   { return "" }
func (sqliteDialect) notifyChanges() string { return "" }
func (sqliteDialect) lockAuditHead() string { return "" }
func (sqliteDialect) retry(error) bool      { return false }

// SQLite is a file: busy past the timeout is the only passing condition.
func (sqliteDialect) unavailable(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

func (sqliteDialect) tableExists() string {
	return "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
}

func (sqliteDialect) jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."`)
		b.WriteString(k) // keys never contain '"' (checked by the filter compiler)
		b.WriteString(`"`)
	}
	return b.String()
}

func (sqliteDialect) jsonValue(doc string) string { return "json_extract(" + doc + ", ?)" }

// json_extract returns JSON numbers and booleans as SQL numbers.
func (d sqliteDialect) jsonTyped(doc string) string { return d.jsonValue(doc) }

func (sqliteDialect) jsonPresent(doc string) string {
	// json_extract returns arrays and objects as text, null as NULL.
	return "COALESCE(json_extract(" + doc + ", ?), '') NOT IN ('', '[]', '{}')"
}

func (sqliteDialect) jsonElements(doc, alias string) (string, string) {
	return "json_each(" + doc + ", ?) " + alias, alias + ".value"
}

func (sqliteDialect) sentinel(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
		return store.ErrConflict
	case sqlite3.ErrConstraintForeignKey:
		return store.ErrNotFound
	}
	if se.Code == sqlite3.ErrConstraint {
		return store.ErrInvalid
	}
	return nil
}

// sqliteDSN builds the connection string. synchronous=FULL makes every
// acknowledged commit survive power loss and kill -9; _cslike makes LIKE
// case-sensitive as on PostgreSQL (case-insensitive matching uses folded
// columns or lower()).
func sqliteDSN(path string, writer bool) string {
	dsn := "file:" + path + "?_journal_mode=WAL&_foreign_keys=1&_busy_timeout=10000&_synchronous=FULL&_cslike=1"
	if writer {
		return dsn + "&_txlock=immediate"
	}
	return dsn + "&_query_only=1"
}
