package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"folkevakt/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// runOnce runs one folkevakt command to its end and returns exit code and
// stderr.
func runOnce(env map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), args, &stdout, &stderr, lookup)
	return code, stdout.String(), stderr.String()
}

// wantOneLine checks that a refused start says so on exactly one line that
// contains want.
func wantOneLine(t *testing.T, code int, stderr, want string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, want a refusal; stderr %q", stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q: want one line containing %q", stderr, want)
	}
}

// A second serve on the SQLite file of a running one is refused at start
// with one line, instead of sharing the file and answering 503s.
func TestServeRefusesSharedSQLite(t *testing.T) {
	dir := t.TempDir()
	first := startServe(t, dir, nil)
	code, _, stderr := runOnce(nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--population", "100",
		"--policy-model", "../../model.conf")
	wantOneLine(t, code, stderr, "in use by another folkevakt process")
	// The CLI still works beside the server (SQLite's own locking).
	if code, _, stderr := runOnce(nil, "org", "list", "--data-dir", dir); code != 0 {
		t.Fatalf("org list beside serve: %d %s", code, stderr)
	}
	// The lock dies with its holder: after a stop the next serve starts.
	first.stop()
	startServe(t, dir, nil)
}

// A wrong, unreachable or too new database stops the start with one line.
func TestServeBadDatabase(t *testing.T) {
	dir := t.TempDir()
	serve := func(database string) (int, string) {
		code, _, stderr := runOnce(nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--population", "100",
			"--policy-model", "../../model.conf", "--database", database)
		return code, stderr
	}
	code, stderr := serve("mysql://db.example/folkevakt")
	if code == 0 || !strings.Contains(stderr, "--database") {
		t.Fatalf("mysql:// URL: %d %q", code, stderr)
	}
	code, stderr = serve("postgres://folkevakt:hemmelig@/folkevakt?host=" + dir + "/nosocket&connect_timeout=2")
	wantOneLine(t, code, stderr, "open database")
	if strings.Contains(stderr, "hemmelig") {
		t.Fatalf("the password reached the error: %q", stderr)
	}

	url := pgtest.New(t)
	if code, out, stderr := runOnce(nil, "migrate", "--data-dir", dir, "--database", url); code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d %q %q", code, out, stderr)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	code, stderr = serve(url)
	wantOneLine(t, code, stderr, "newer than this binary")
	code, _, stderr = runOnce(nil, "migrate", "--data-dir", dir, "--database", url)
	wantOneLine(t, code, stderr, "newer than this binary")
}
