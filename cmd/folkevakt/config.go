package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"folkevakt/gateway/freg/ident"
	"folkevakt/store/sqlstore"
)

// serveConfig is the configuration of `folkevakt serve` (contract.md §2).
type serveConfig struct {
	Addr                 string
	DataDir              string
	Database             string
	Upstream             string
	Population           int
	PopulationSeed       int64
	Maskinporten         string
	MaskinportenAudience string
	OIDCIssuer           string
	OIDCAudience         string
	OIDCClientID         string
	OIDCSecret           string
	OIDCRedirect         string
	LogFormat            string
	LogLevel             string
	AutoMigrate          bool
	ListRetention        time.Duration
	ListWorkers          int
	ConsoleGroup         string
	PolicyModel          string
	// CheckpointInterval is how often audit checkpoints are signed (0: never);
	// CheckpointKey the Ed25519 key (default in DataDir).
	CheckpointInterval time.Duration
	CheckpointKey      string

	Bootstrap bootstrapConfig
}

// bootstrapConfig comes from FOLKEVAKT_BOOTSTRAP_* (environment only).
type bootstrapConfig struct {
	OrgNumber     string
	OrgName       string
	Kommunenummer []string
	AdminToken    string
	SCIMToken     string
}

func (c *serveConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for the SQLite database, dev keys and citizen-list files")
	fs.StringVar(&c.Database, "database", "", "SQLite file (default <data-dir>/folkevakt.db) for one instance, or a postgres:// URL for several (prefer the environment variable: the URL may hold a password)")
	fs.StringVar(&c.Upstream, "upstream", "embedded", "'embedded' (built-in synthetic register) or the base URL of a FREG-compatible API up to and including its package prefix")
	fs.IntVar(&c.Population, "population", 50000, "size of the embedded synthetic register")
	fs.Int64Var(&c.PopulationSeed, "population-seed", 1, "seed of the embedded synthetic register")
	fs.StringVar(&c.Maskinporten, "maskinporten", "dev", "'dev' (local dev issuer, keys in data-dir) or a Maskinporten issuer URL whose JWKS is fetched")
	fs.StringVar(&c.MaskinportenAudience, "maskinporten-audience", "", "expected aud of Maskinporten access tokens (the resource fagsystems ask tokens for); required with a Maskinporten issuer URL")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "dev", "issuer of employee ID tokens: 'dev' or e.g. an Entra ID issuer URL")
	fs.StringVar(&c.OIDCAudience, "oidc-audience", "", "expected aud of employee ID tokens (the Entra application's client id); 'folkevakt' with --oidc-issuer dev")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", "", "client id of the web sign-in (default: --oidc-audience)")
	fs.StringVar(&c.OIDCSecret, "oidc-client-secret", "", "client secret of the web sign-in for a confidential client (prefer the environment variable)")
	fs.StringVar(&c.OIDCRedirect, "oidc-redirect-url", "", "absolute URL of /logg-inn/callback as registered with the issuer")
	fs.StringVar(&c.LogFormat, "log-format", "json", "application log format: json or text")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.AutoMigrate, "auto-migrate", true, "apply pending database migrations at start (turn off when several instances share a database and run 'folkevakt migrate' once)")
	fs.DurationVar(&c.ListRetention, "list-retention", 7*24*time.Hour, "how long citizen-list files are kept")
	fs.IntVar(&c.ListWorkers, "list-workers", 2, "citizen-list orders processed at once")
	fs.StringVar(&c.PolicyModel, "policy-model", "model.conf", "path of the Casbin model (model.conf from the repository)")
	fs.DurationVar(&c.CheckpointInterval, "checkpoint-interval", time.Hour, "how often each organisation's audit chain head is signed into <data-dir>/checkpoints and served at /audit/checkpoints/<orgNumber> (0: never)")
	fs.StringVar(&c.CheckpointKey, "checkpoint-key", "", "Ed25519 key (PKCS #8 PEM) that signs audit checkpoints (default <data-dir>/audit-checkpoint-key.pem, created on first use)")
	fs.StringVar(&c.ConsoleGroup, "console-group", "", "displayName of the SCIM group whose members may use the compliance console (empty: console by admin token only)")
}

var kommunenummerRE = regexp.MustCompile(`^[0-9]{4}$`)

// validate checks every setting and returns one line per bad one.
func (c *serveConfig) validate() error {
	var errs []error
	bad := func(flagName, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s (%s): %s", flagName, envName(flagName), fmt.Sprintf(format, args...)))
	}
	if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("addr", "%q is not host:port", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("addr", "port %q is not a number from 0 to 65535", port)
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		bad("addr", "host %q is not an IP address or localhost", host)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("data-dir", "must not be empty")
	}
	if sqlstore.IsPostgresURL(c.Database) {
		if _, err := url.Parse(c.Database); err != nil {
			bad("database", "not a valid postgres:// URL")
		}
	} else if strings.Contains(c.Database, "://") {
		bad("database", "want a SQLite file path or a postgres:// URL")
	}
	if c.Upstream != "embedded" {
		if err := checkURL(c.Upstream); err != nil {
			bad("upstream", "want 'embedded' or a base URL: %v", err)
		}
	}
	if c.Population < 1 || c.Population > 5_000_000 {
		bad("population", "%d is outside 1..5000000", c.Population)
	}
	if c.Maskinporten != "dev" {
		if err := checkURL(c.Maskinporten); err != nil {
			bad("maskinporten", "want 'dev' or an issuer URL: %v", err)
		}
	}
	if c.OIDCIssuer != "dev" {
		if err := checkURL(c.OIDCIssuer); err != nil {
			bad("oidc-issuer", "want 'dev' or an issuer URL: %v", err)
		}
	}
	if c.Maskinporten != "dev" && c.MaskinportenAudience == "" {
		bad("maskinporten-audience", "required when --maskinporten is an issuer URL")
	}
	if c.OIDCIssuer != "dev" && c.OIDCAudience == "" {
		bad("oidc-audience", "required when --oidc-issuer is an issuer URL")
	}
	if c.OIDCIssuer != "dev" {
		if err := checkURL(c.OIDCRedirect); err != nil {
			bad("oidc-redirect-url", "required with a real --oidc-issuer: %v", err)
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log-format", "%q is not json or text", c.LogFormat)
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		bad("log-level", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if c.ListRetention < time.Hour {
		bad("list-retention", "%s is shorter than 1h", c.ListRetention)
	}
	if c.CheckpointInterval < 0 {
		bad("checkpoint-interval", "%s is negative", c.CheckpointInterval)
	}
	if c.ListWorkers < 1 || c.ListWorkers > 64 {
		bad("list-workers", "%d is outside 1..64", c.ListWorkers)
	}
	return errors.Join(errs...)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// loadBootstrap reads FOLKEVAKT_BOOTSTRAP_* (contract.md §2).
func loadBootstrap(e env) (bootstrapConfig, error) {
	var b bootstrapConfig
	var errs []error
	if v, ok := e.lookup("FOLKEVAKT_BOOTSTRAP_ORG"); ok && v != "" {
		parts := strings.SplitN(v, ":", 3)
		if len(parts) != 3 {
			errs = append(errs, errors.New("FOLKEVAKT_BOOTSTRAP_ORG: want <orgNumber>:<name>:<kommunenummer,...>"))
		} else {
			b.OrgNumber, b.OrgName = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
			if err := ident.ValidOrgNumber(b.OrgNumber); err != nil {
				errs = append(errs, fmt.Errorf("FOLKEVAKT_BOOTSTRAP_ORG: organisation number: %v", err))
			}
			if b.OrgName == "" {
				errs = append(errs, errors.New("FOLKEVAKT_BOOTSTRAP_ORG: name is empty"))
			}
			for _, k := range strings.Split(parts[2], ",") {
				k = strings.TrimSpace(k)
				if !kommunenummerRE.MatchString(k) {
					errs = append(errs, fmt.Errorf("FOLKEVAKT_BOOTSTRAP_ORG: kommunenummer %q is not 4 digits", k))
					continue
				}
				b.Kommunenummer = append(b.Kommunenummer, k)
			}
		}
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN", &b.AdminToken}, {"FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN", &b.SCIMToken}} {
		v, ok := e.lookup(t.name)
		if !ok || v == "" {
			continue
		}
		if len(v) < 16 {
			errs = append(errs, fmt.Errorf("%s: must be at least 16 characters", t.name))
		}
		if b.OrgNumber == "" {
			errs = append(errs, fmt.Errorf("%s: needs FOLKEVAKT_BOOTSTRAP_ORG to name its organisation", t.name))
		}
		*t.dst = v
	}
	return b, errors.Join(errs...)
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: logLevels[level]}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// databasePath is the SQLite file or PostgreSQL URL serve and migrate open.
func (c *serveConfig) databasePath() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "folkevakt.db")
}

// databaseName names the database for messages, without a password.
func (c *serveConfig) databaseName() string {
	if !sqlstore.IsPostgresURL(c.Database) {
		return c.databasePath()
	}
	u, err := url.Parse(c.Database)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// storeOptions are the sqlstore options of the configured database.
func (c *serveConfig) storeOptions(logger *slog.Logger) sqlstore.Options {
	if sqlstore.IsPostgresURL(c.Database) {
		return sqlstore.Options{URL: c.Database, Logger: logger}
	}
	return sqlstore.Options{Path: c.databasePath(), Logger: logger}
}
