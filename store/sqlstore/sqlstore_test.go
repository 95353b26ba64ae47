package sqlstore

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"folkevakt/store"
	"folkevakt/store/storetest"
)

// openStore opens and migrates the store at path.
func openStore(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// newStore is a migrated store on a fresh file.
func newStore(tb testing.TB) *Store {
	return openStore(tb, filepath.Join(tb.TempDir(), "folkevakt.db"))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil || cur != 0 || latest < 1 {
		t.Fatalf("fresh database: current %d latest %d err %v", cur, latest, err)
	}
	for range 2 { // migrating twice is a no-op
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	cur, latest2, err := s.SchemaVersion(ctx)
	if err != nil || cur != latest || latest2 != latest {
		t.Fatalf("after Migrate: current %d latest %d err %v", cur, latest2, err)
	}
}

// TestIndexedEquality asserts through EXPLAIN QUERY PLAN that eq on the
// typed attributes searches an index instead of scanning the table.
func TestIndexedEquality(t *testing.T) {
	s := newStore(t)
	for _, tc := range []struct {
		res  *resource
		cols string
		attr string
		col  string // the indexed column the search must constrain
	}{
		{userResource, userCols, "userName", "user_name_ci"},
		{userResource, userCols, "externalId", "external_id"},
		{userResource, userCols, "displayName", "display_name_ci"},
		{userResource, userCols, "id", "id"},
		{groupResource, groupCols, "displayName", "display_name_ci"},
		{groupResource, groupCols, "externalId", "external_id"},
		{groupResource, groupCols, "id", "id"},
	} {
		t.Run(tc.res.table+"."+tc.attr, func(t *testing.T) {
			where, args, err := compileFilter(s.d, tc.res, &store.Filter{Op: store.OpEq, Attr: tc.attr, Value: "x"})
			if err != nil {
				t.Fatal(err)
			}
			count, items := tc.res.listSQL(tc.cols, where)
			args = append([]any{"org"}, args...)
			for _, q := range []struct {
				sql  string
				args []any
			}{{count, args}, {items, append(args, 10, 0)}} {
				var plan []struct {
					ID, Parent, NotUsed int
					Detail              string
				}
				if err := s.r.Select(&plan, "EXPLAIN QUERY PLAN "+q.sql, q.args...); err != nil {
					t.Fatal(err)
				}
				var details []string
				used := false
				for _, p := range plan {
					details = append(details, p.Detail)
					if strings.HasPrefix(p.Detail, "SCAN") {
						t.Fatalf("full scan in plan %q for %s", details, q.sql)
					}
					used = used || strings.HasPrefix(p.Detail, "SEARCH") && strings.Contains(p.Detail, " "+tc.col+"=?")
				}
				if !used {
					t.Fatalf("no index search on %s; plan %q", tc.col, details)
				}
			}
		})
	}
}
