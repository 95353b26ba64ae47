// Package pgtest starts a throwaway PostgreSQL cluster for tests: one
// cluster per test binary (started on first use, stopped by Main), one
// fresh database per test.
//
// The cluster runs Debian's PostgreSQL binaries (/usr/lib/postgresql/N/bin,
// not on PATH) as the postgres user, because initdb refuses root. It
// listens on a Unix socket in its own directory only. Without PostgreSQL
// the tests that need it skip; with CI=true they fail instead, so that CI
// never passes without having run them.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Cluster is a running throwaway PostgreSQL.
type Cluster struct {
	dir    string // owned by the cluster's user; data/ and the socket live here
	bin    string
	runAs  string // "" when the test process may run the binaries itself
	admin  *sql.DB
	nextDB atomic.Int64
}

var (
	once     sync.Once
	shared   *Cluster
	startErr error
)

// Main runs the tests of a package and stops the shared cluster afterwards.
// Use it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// New returns the URL of a new, empty database on the shared cluster,
// starting the cluster on first use. Without PostgreSQL it skips t (fails
// it when CI=true).
func New(tb testing.TB) string {
	tb.Helper()
	c := Shared(tb)
	u, err := c.CreateDatabase(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return u
}

// Shared returns the package's cluster, starting it on first use.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	once.Do(func() { shared, startErr = Start() })
	if startErr != nil {
		if skippable(startErr) {
			tb.Skipf("pgtest: %v (install postgresql to run the PostgreSQL tests)", startErr)
		}
		tb.Fatalf("pgtest: %v", startErr)
	}
	return shared
}

// skippable: a missing PostgreSQL skips the test, except in CI.
func skippable(err error) bool {
	return errors.Is(err, ErrUnavailable) && os.Getenv("CI") != "true"
}

// ErrUnavailable means no PostgreSQL binaries were found.
var ErrUnavailable = errors.New("PostgreSQL server binaries not found")

// BinDir finds initdb, pg_ctl and postgres: $PG_BINDIR, then the newest
// /usr/lib/postgresql/N/bin, then PATH.
func BinDir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("%w in PG_BINDIR %s", ErrUnavailable, d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", ErrUnavailable
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises and starts a cluster in a new temporary directory.
func Start() (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
	}
	c.dir, err = os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	if c.runAs != "" {
		u, err := user.Lookup(c.runAs)
		if err != nil {
			os.RemoveAll(c.dir)
			return nil, fmt.Errorf("%w: no %s user to run it as", ErrUnavailable, c.runAs)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			os.RemoveAll(c.dir)
			return nil, err
		}
	}
	data := filepath.Join(c.dir, "data")
	// A UTF-8 locale makes lower() fold non-ASCII letters as Go does; fsync
	// off only risks the cluster on power loss, which a test never survives.
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := c.start(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("%v %s", err, log)
	}
	c.admin, err = sql.Open("pgx", c.URL("postgres"))
	if err == nil {
		err = c.admin.Ping()
	}
	if err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// URL is the connection URL of database name.
func (c *Cluster) URL(name string) string {
	return "postgres://postgres@/" + name + "?host=" + url.QueryEscape(c.dir) + "&sslmode=disable"
}

// Dir is the cluster's directory (its socket directory).
func (c *Cluster) Dir() string { return c.dir }

// CreateDatabase creates an empty database and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.nextDB.Add(1))
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return c.URL(name), nil
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		err = fmt.Errorf("pg_ctl stop: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// Pause stops the server (fast shutdown) without removing anything; Resume
// starts it again. Tests of database loss use them.
func (c *Cluster) Pause() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "-t", "60", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// start starts the server on the socket in c.dir only.
func (c *Cluster) start() error {
	// fsync off only risks the cluster on power loss, which a test never
	// survives; benchmarks of durable commits set PGTEST_FSYNC=on.
	sync := "-c fsync=off -c full_page_writes=off"
	if os.Getenv("PGTEST_FSYNC") == "on" {
		sync = "-c fsync=on"
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' %s -c max_connections=200", c.dir, sync)
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start")
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// Resume restarts a paused server.
func (c *Cluster) Resume() error {
	if err := c.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.admin.Ping() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
