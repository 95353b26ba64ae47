package sqlstore

import (
	"fmt"
	"os"
	"syscall"
)

// SQLite serves one process. Two serve processes on one file would each
// remember their own audit chain heads and answer conflicts (503) to a
// share of requests, so the serving process holds an exclusive lock on a
// file beside the database for its lifetime; a second one is refused at
// start. The lock is flock(2): the kernel drops it when the process dies,
// also on kill -9, so a crash never leaves a stale lock behind. CLI
// commands do not take it: their few writes go through SQLite's own
// locking, and the server learns of them from the change feed.

// lockFile takes the exclusive lock of the SQLite database at path.
func lockFile(path string) (*os.File, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: lock %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("SQLite database %s is in use by another folkevakt process (%s is locked); SQLite serves one process, use PostgreSQL (--database postgres://…) for several instances", path, lockPath)
	}
	return f, nil
}
