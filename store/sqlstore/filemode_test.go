package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"folkevakt/store"
)

// The database and its WAL and shared-memory files are readable by the
// owner only, even with a permissive umask, and an existing database left
// world-readable by an older version is tightened at open.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()

	path := filepath.Join(dir, "folkevakt.db")
	s := openStore(t, path)
	if _, err := s.CreateOrganisation(context.Background(), store.Organisation{OrgNumber: "974760673", Name: "Storevik kommune", Kommunenummer: []string{"4627"}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}

	legacy := filepath.Join(dir, "legacy.db")
	if err := os.WriteFile(legacy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacy+"-wal", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	openStore(t, legacy)
	wantMode(t, legacy, 0o600)
	wantMode(t, legacy+"-wal", 0o600)
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}
