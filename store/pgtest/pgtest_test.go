package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestUnavailableFailsInCI(t *testing.T) {
	t.Setenv("PG_BINDIR", t.TempDir())
	_, err := Start()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Start without binaries: %v, want ErrUnavailable", err)
	}
	t.Setenv("CI", "")
	if !skippable(err) {
		t.Fatal("outside CI a missing PostgreSQL should skip")
	}
	t.Setenv("CI", "true")
	if skippable(err) {
		t.Fatal("with CI=true a missing PostgreSQL must fail the test")
	}
}

// Each test gets an empty database of its own; the cluster survives a
// pause (the database-loss tests).
func TestDatabasePerTestAndPause(t *testing.T) {
	urls := []string{New(t), New(t)}
	if urls[0] == urls[1] {
		t.Fatal("two tests share a database")
	}
	db, err := sql.Open("pgx", urls[0])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", urls[1])
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 't'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the second database sees the first one's table: %d %v", n, err)
	}
	c := Shared(t)
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("ping succeeded while the cluster was stopped")
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatalf("ping after resume: %v", err)
	}
}
