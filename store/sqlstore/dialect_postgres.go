package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"folkevakt/store"
)

// postgresDialect is PostgreSQL through pgx's database/sql driver. JSON
// columns stay TEXT (the stored text is what the client sent) and are cast
// to jsonb where a filter reads into them.
type postgresDialect struct{}

// Advisory lock keys: the first int4 is a namespace of folkevakt's locks.
const (
	lockSpaceMigrate = 0x66760001 // session lock while migrating
	lockSpaceChanges = 0x66760002 // transaction lock around change rows
	lockSpaceAudit   = 0x66760003 // transaction lock of one organisation's chain head
)

// changesChannel is the NOTIFY channel that carries new change Seqs.
const changesChannel = "folkevakt_changes"

func (postgresDialect) name() string   { return "postgres" }
func (postgresDialect) driver() string { return "pgx" }

func (postgresDialect) tableExists() string {
	return "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
}

// jsonPath is a text[] literal; keys never contain '"', ',', '{' or '}'
// (checked by the filter compiler).
func (postgresDialect) jsonPath(keys []string) string {
	return "{" + strings.Join(keys, ",") + "}"
}

// #>> gives a scalar as text (NULL for JSON null) and a container as its
// JSON text, as SQLite's json_extract does for the comparisons we make.
func (postgresDialect) jsonValue(doc string) string { return "((" + doc + ")::jsonb #>> ?::text[])" }

// jsonb compares with a bool or number argument (sent as jsonb) by value.
func (postgresDialect) jsonTyped(doc string) string { return "((" + doc + ")::jsonb #> ?::text[])" }

func (postgresDialect) jsonPresent(doc string) string {
	return "COALESCE((" + doc + ")::jsonb #>> ?::text[], '') NOT IN ('', '[]', '{}')"
}

// Elements of the array at the path; anything else (absent, a scalar, an
// object) has none, silently, as in SQLite.
func (postgresDialect) jsonElements(doc, alias string) (string, string) {
	return "jsonb_path_query((" + doc + ")::jsonb #> ?::text[], 'strict $[*]', '{}', true) " + alias + "(value)", alias + ".value"
}

// PostgreSQL's SQLSTATE classes: 23 integrity constraint violation, 40
// transaction rollback.
func (postgresDialect) sentinel(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "23505": // unique_violation
		return store.ErrConflict
	case "23503": // foreign_key_violation
		return store.ErrNotFound
	}
	if strings.HasPrefix(pe.Code, "23") {
		return store.ErrInvalid
	}
	return nil
}

func (postgresDialect) retry(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// unavailable: the connection failed or the server is shutting down,
// starting or out of connections (SQLSTATE classes 08, 57P, 53).
func (postgresDialect) unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "53")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed")
}

// Several statements make one read; REPEATABLE READ gives them one snapshot.
func (postgresDialect) readTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

func (postgresDialect) lockChanges() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(lockSpaceChanges) + ", 0)"
}

func (postgresDialect) notifyChanges() string {
	return "SELECT pg_notify('" + changesChannel + "', ?::text)"
}

func (postgresDialect) lockAuditHead() string {
	return "SELECT pg_advisory_xact_lock(" + strconv.Itoa(lockSpaceAudit) + ", hashtext(?))"
}

// IsPostgresURL reports whether database names a PostgreSQL database
// rather than a SQLite file.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}
