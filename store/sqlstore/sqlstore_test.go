package sqlstore_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"folkevakt/store"
	"folkevakt/store/sqlstore"
	"folkevakt/store/storetest"
)

// openStore opens and migrates a store on a fresh SQLite file.
func openStore(tb testing.TB, path string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), sqlstore.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func newStore(tb testing.TB) *sqlstore.Store {
	return openStore(tb, filepath.Join(tb.TempDir(), "folkevakt.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}
