package sqlstore

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
)

// privateMode is the mode of the SQLite files: they hold the audit log,
// the organisations' users and the credential hashes, so only the
// service's own account may read them, whatever the umask.
const privateMode os.FileMode = 0o600

// sqliteSidecars are the files SQLite keeps beside the database. SQLite
// creates them with the database file's mode, so the database's mode
// carries over to new ones; existing ones are tightened here.
var sqliteSidecars = []string{"-wal", "-shm", "-journal"}

// restrictSQLiteFiles creates the database file at path with privateMode
// before SQLite opens it (SQLite itself would create it 0644 less the
// umask) and tightens an existing database and its sidecars. A file of
// another owner cannot be changed; that is logged, not fatal, so that an
// operator may still read a copy.
func restrictSQLiteFiles(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateMode)
	if err != nil {
		return fmt.Errorf("sqlstore: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range append([]string{path}, sidecarPaths(path)...) {
		st, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil && st.Mode().Perm() == privateMode {
			continue
		}
		if err == nil {
			err = os.Chmod(p, privateMode)
		}
		if err != nil {
			log.Warn("sqlstore: cannot restrict the database file to its owner", "file", p, "err", err)
		}
	}
	return nil
}

func sidecarPaths(path string) []string {
	out := make([]string, len(sqliteSidecars))
	for i, s := range sqliteSidecars {
		out[i] = path + s
	}
	return out
}
