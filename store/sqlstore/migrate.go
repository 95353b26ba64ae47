package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Migrations are NNNN_name.sql files per dialect; each runs in its own
// transaction together with its schema_migrations row.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	dir := path.Join("migrations", s.d.name())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: bad migration file name %q", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrations: %w", err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion reports the applied and the latest known schema version.
// serve refuses to start while current < latest unless asked to migrate.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	ms, err := s.migrations()
	if err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	current, err = s.currentVersion(ctx)
	return current, latest, err
}

func (s *Store) currentVersion(ctx context.Context) (int, error) {
	var n int
	if err := s.w.GetContext(ctx, &n, s.w.Rebind(s.d.tableExists()), "schema_migrations"); err != nil {
		return 0, fmt.Errorf("sqlstore: schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := s.w.GetContext(ctx, &v, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
		return 0, fmt.Errorf("sqlstore: schema version: %w", err)
	}
	return v, nil
}

// Migrate applies every migration newer than the database, in order. On
// PostgreSQL it holds an advisory lock meanwhile, so instances starting at
// once migrate one after the other (the later ones find nothing to do).
func (s *Store) Migrate(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ms, err := s.migrations()
	if err != nil {
		return err
	}
	if s.Postgres() {
		conn, err := s.w.Connx(ctx)
		if err != nil {
			return fmt.Errorf("sqlstore: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+strconv.Itoa(lockSpaceMigrate)+", 0)"); err != nil {
			return fmt.Errorf("sqlstore: migrate: lock: %w", err)
		}
		// Unlock on the same session; a session that dies unlocks anyway.
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+strconv.Itoa(lockSpaceMigrate)+", 0)")
		return s.migrate(ctx, conn, ms)
	}
	conn, err := s.w.Connx(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	defer conn.Close()
	return s.migrate(ctx, conn, ms)
}

func (s *Store) migrate(ctx context.Context, conn *sqlx.Conn, ms []migration) error {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	var current int
	if err := conn.GetContext(ctx, &current, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
		return fmt.Errorf("sqlstore: schema version: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return fmt.Errorf("sqlstore: database schema version %d is newer than this binary's %d", current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		s.log.Info("schema migrated", "version", m.version, "migration", m.name)
	}
	return nil
}

func (s *Store) apply(ctx context.Context, conn *sqlx.Conn, m migration) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, micros(s.now())); err != nil {
		return err
	}
	return tx.Commit()
}
