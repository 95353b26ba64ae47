package sqlstore

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"

	"folkevakt/store"
	"folkevakt/store/pgtest"
	"folkevakt/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openPostgres opens and migrates a store on url.
func openPostgres(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), Options{URL: url, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// newPostgresStore is a migrated store on a fresh database.
func newPostgresStore(tb testing.TB) *Store { return openPostgres(tb, pgtest.New(tb)) }

func TestPostgresConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newPostgresStore(t) })
}

// TestPostgresMigrateConcurrently starts several instances on one empty
// database at once: the advisory lock makes one migrate and the others
// find nothing to do.
func TestPostgresMigrateConcurrently(t *testing.T) {
	url := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), Options{URL: url})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	s := openPostgres(t, url)
	cur, latest, err := s.SchemaVersion(context.Background())
	if err != nil || cur != latest || latest < 1 {
		t.Fatalf("after Migrate: current %d latest %d err %v", cur, latest, err)
	}
}

// TestPostgresSchemaNewer: a database migrated by a newer binary is refused
// with a clear error instead of being used.
func TestPostgresSchemaNewer(t *testing.T) {
	s := newPostgresStore(t)
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(ctx)
	if err == nil {
		t.Fatal("Migrate accepted a schema newer than the binary")
	}
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil || cur != 9999 || latest >= cur {
		t.Fatalf("SchemaVersion = %d, %d, %v", cur, latest, err)
	}
}

func TestPostgresBadURL(t *testing.T) {
	_, err := Open(context.Background(), Options{URL: "postgres://nobody@/nodb?host=/nonexistent&connect_timeout=2"})
	if err == nil {
		t.Fatal("Open succeeded on an unreachable database")
	}
	_, err = Open(context.Background(), Options{URL: "mysql://x"})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Open(mysql://) = %v, want ErrInvalid", err)
	}
}
