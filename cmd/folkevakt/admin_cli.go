package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"

	"folkevakt/policy/admin"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// The operator CLI (org, tokens, service-areas, roles, integrations, grants,
// policy) is a thin layer over policy/admin, writing to the same database as
// running servers (SQLite: WAL lets both in). Running servers pick up CLI
// changes from the change feed: at once on PostgreSQL (NOTIFY), within 2 s
// on SQLite (polling).

// subcommand is one verb of an admin command.
type subcommand struct {
	summary string
	run     func(s *adminSession, args []string) error
	// noOrg: the verb works without --org (operator-wide).
	noOrg bool
}

// adminVerbs are the verbs of every admin command, by command name.
var adminVerbs = map[string]map[string]subcommand{}

// adminCommand builds a command that dispatches to its verbs.
func adminCommand(name string, verbs map[string]subcommand) func(ctx context.Context, e env, args []string) error {
	adminVerbs[name] = verbs
	return func(ctx context.Context, e env, args []string) error {
		if wantsHelp(args) {
			printVerbs(e.stdout, name, verbs)
			return errHelp
		}
		if len(args) == 0 {
			printVerbs(e.stderr, name, verbs)
			return errUsage
		}
		v, ok := verbs[args[0]]
		if !ok {
			fmt.Fprintf(e.stderr, "folkevakt %s: unknown subcommand %q\n", name, args[0])
			printVerbs(e.stderr, name, verbs)
			return errUsage
		}
		s := &adminSession{ctx: ctx, e: e, name: name + " " + args[0], needOrg: !v.noOrg}
		defer s.close()
		return friendly(v.run(s, args[1:]))
	}
}

func printVerbs(w io.Writer, name string, verbs map[string]subcommand) {
	fmt.Fprintf(w, "Usage: folkevakt %s <subcommand> [flags]\n\nSubcommands:\n", name)
	keys := make([]string, 0, len(verbs))
	for k := range verbs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-16s %s\n", k, verbs[k].summary)
	}
	fmt.Fprintf(w, "\nRun 'folkevakt %s <subcommand> -h' for its flags.\n", name)
}

// friendly turns service errors into one readable line.
func friendly(err error) error {
	if err == nil || errors.Is(err, errUsage) {
		return err
	}
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return fmt.Errorf("invalid %s", ve.Error())
	case errors.Is(err, store.ErrNotFound):
		return errors.New(strings.TrimSuffix(err.Error(), ": "+store.ErrNotFound.Error()))
	case errors.Is(err, store.ErrConflict):
		return errors.New(strings.TrimSuffix(err.Error(), ": "+store.ErrConflict.Error()))
	}
	return err
}

// adminSession is one CLI invocation: flags, the store and the service.
type adminSession struct {
	ctx     context.Context
	e       env
	name    string
	needOrg bool
	fs      *flag.FlagSet

	dataDir, database, orgNumber string

	st  *sqlstore.Store
	svc *admin.Service
	org store.Organisation
}

// flags returns the verb's flag set with the common flags registered.
func (s *adminSession) flags() *flag.FlagSet {
	s.fs = newFlagSet(s.e, s.name)
	s.fs.StringVar(&s.dataDir, "data-dir", "./data", "directory of the SQLite database (as for serve)")
	s.fs.StringVar(&s.database, "database", "", "SQLite file (default <data-dir>/folkevakt.db) or postgres:// URL (as for serve)")
	if s.needOrg {
		s.fs.StringVar(&s.orgNumber, "org", "", "organisation number (9 digits) of the organisation to act on")
	}
	return s.fs
}

// open parses args, fills --data-dir, --database and --org from
// FOLKEVAKT_* when not given, opens the store and resolves the organisation.
// Only these three come from the environment: a verb's own flags (--name,
// --file ...) must be given explicitly.
func (s *adminSession) open(args []string) error {
	if s.fs == nil {
		s.flags()
	}
	if err := parseArgs(s.fs, s.e, args); err != nil {
		return err
	}
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range []string{"data-dir", "database", "org"} {
		if f := s.fs.Lookup(name); f != nil && !given[name] {
			if v, ok := s.e.lookup(envName(name)); ok {
				_ = f.Value.Set(v) // string flags accept anything
			}
		}
	}
	if s.needOrg && s.orgNumber == "" {
		fmt.Fprintf(s.e.stderr, "%s: --org <orgNumber> is required (or FOLKEVAKT_ORG)\n", s.fs.Name())
		return errUsage
	}
	cfg := &serveConfig{DataDir: s.dataDir, Database: s.database}
	if err := requireExisting(cfg); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(s.e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := openStore(s.ctx, cfg, logger, false, false)
	if err != nil {
		return err
	}
	s.st = st
	s.svc = admin.New(st, admin.Options{Logger: logger})
	s.ctx = store.WithActor(s.ctx, "cli:"+osUser(s.e))
	if s.needOrg {
		if s.org, err = s.svc.OrganisationByNumber(s.ctx, s.orgNumber); err != nil {
			return fmt.Errorf("--org: %w", err)
		}
	}
	return nil
}

// requireExisting refuses a data directory or SQLite file that does not
// exist: only serve and migrate create them, so that a mistyped --data-dir
// is an error instead of a new, empty database.
func requireExisting(cfg *serveConfig) error {
	if sqlstore.IsPostgresURL(cfg.Database) {
		return nil // a database server, not a file
	}
	if cfg.Database == "" {
		if err := requireDir(cfg.DataDir); err != nil {
			return err
		}
	}
	if _, err := os.Stat(cfg.databasePath()); err != nil {
		return fmt.Errorf("database %s does not exist: run 'folkevakt migrate' (or serve) with this --data-dir first", cfg.databasePath())
	}
	return nil
}

// requireDir refuses a missing data directory. The dev commands need it
// too: a dev key made in a new folder would sign tokens that the server,
// holding its key in the real data directory, refuses.
func requireDir(dataDir string) error {
	if fi, err := os.Stat(dataDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("--data-dir %s is not an existing directory (only serve and migrate create it)", dataDir)
	}
	return nil
}

func (s *adminSession) close() {
	if s.st != nil {
		s.st.Close()
	}
}

// require reports a missing flag as a usage error.
func (s *adminSession) require(vals ...string) error {
	for i := 0; i+1 < len(vals); i += 2 {
		if strings.TrimSpace(vals[i+1]) == "" {
			fmt.Fprintf(s.e.stderr, "%s: --%s is required\n", s.fs.Name(), vals[i])
			return errUsage
		}
	}
	return nil
}

func osUser(e env) string {
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v, ok := e.lookup(k); ok && v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func (s *adminSession) table() *tabwriter.Writer {
	return tabwriter.NewWriter(s.e.stdout, 0, 4, 2, ' ', 0)
}

// jsonFlag registers --json on a list verb.
func (s *adminSession) jsonFlag() *bool {
	if s.fs == nil {
		s.flags()
	}
	return s.fs.Bool("json", false, "print JSON (an array) instead of a table")
}

// printJSONList prints a list verb's result; an empty list is [], not null.
func printJSONList[T any](s *adminSession, v []T) error {
	if v == nil {
		v = []T{}
	}
	return s.printJSON(v)
}

func (s *adminSession) printJSON(v any) error {
	enc := json.NewEncoder(s.e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
