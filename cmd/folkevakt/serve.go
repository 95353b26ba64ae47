package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"folkevakt/gateway"
	"folkevakt/gateway/access"
	"folkevakt/gateway/adminapi"
	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/gateway/freg/synth"
	"folkevakt/gateway/web"
	"folkevakt/policy"
	"folkevakt/policy/admin"
	"folkevakt/policy/secret"
	"folkevakt/scim"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

func init() {
	commands["serve"] = command{"run the gateway, SCIM endpoint, admin API and web pages", runServe}
	commands["migrate"] = command{"apply pending database migrations and exit", runMigrate}
}

// loadServeConfig parses flags and environment and validates everything,
// reporting every bad setting on its own line.
func loadServeConfig(e env, name string, args []string) (*serveConfig, error) {
	cfg := &serveConfig{}
	fs := newFlagSet(e, name)
	cfg.register(fs)
	if err := parseFlags(fs, e, args); err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, errHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	b, err := loadBootstrap(e)
	if verr := cfg.validate(); verr != nil || err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", errors.Join(verr, err))
	}
	cfg.Bootstrap = b
	return cfg, nil
}

// openStore opens the configured database; with migrate it applies pending
// migrations, otherwise it refuses an outdated schema. exclusive (serve)
// refuses a SQLite file another process serves.
func openStore(ctx context.Context, cfg *serveConfig, logger *slog.Logger, migrate, exclusive bool) (*sqlstore.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	opts := cfg.storeOptions(logger)
	opts.Exclusive = exclusive
	st, err := sqlstore.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.databaseName(), err)
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	cur, latest, err := st.SchemaVersion(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("database schema: %w", err)
	}
	if cur > latest {
		st.Close()
		return nil, fmt.Errorf("database schema is at version %d, newer than this binary's %d: run a newer folkevakt", cur, latest)
	}
	if cur != latest {
		st.Close()
		return nil, fmt.Errorf("database schema is at version %d, this binary needs %d: run 'folkevakt migrate' (or start with --auto-migrate)", cur, latest)
	}
	return st, nil
}

func runMigrate(ctx context.Context, e env, args []string) error {
	cfg, err := loadServeConfig(e, "migrate", args)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	st, err := openStore(ctx, cfg, logger, true, false)
	if err != nil {
		return err
	}
	defer st.Close()
	cur, _, _ := st.SchemaVersion(ctx)
	fmt.Fprintf(e.stdout, "database %s is at schema version %d\n", cfg.databaseName(), cur)
	return nil
}

func runServe(ctx context.Context, e env, args []string) error {
	started := time.Now()
	cfg, err := loadServeConfig(e, "serve", args)
	if err != nil {
		return err
	}
	logger := newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	ensureTwoProcs()
	modelText, err := os.ReadFile(cfg.PolicyModel)
	if err != nil {
		return fmt.Errorf("--policy-model: %w", err)
	}
	st, err := openStore(ctx, cfg, logger, cfg.AutoMigrate, true)
	if err != nil {
		return err
	}
	defer st.Close()

	svc := admin.New(st, admin.Options{Logger: logger})
	if err := bootstrap(ctx, svc, cfg.Bootstrap); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	upstream, err := newUpstream(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Before the policy loads: changes made elsewhere from now on reach
	// every OnChange hook (PostgreSQL; a no-op on SQLite).
	if err := st.Follow(runCtx); err != nil {
		return err
	}
	engine, err := policy.New(ctx, policy.Options{Model: string(modelText), Store: st, Logger: logger})
	if err != nil {
		return err
	}
	go engine.Run(runCtx)

	authn, err := auth.New(ctx, auth.Config{Store: st, DataDir: cfg.DataDir, Maskinporten: cfg.Maskinporten, MaskinportenAudience: cfg.MaskinportenAudience,
		OIDCIssuer: cfg.OIDCIssuer, OIDCAudience: cfg.OIDCAudience, Logger: logger})
	if err != nil {
		return err
	}
	clientID := cfg.OIDCClientID
	if clientID == "" {
		clientID = cfg.OIDCAudience
	}
	publishCheckpoints, checkpointsStopped, err := startCheckpoints(runCtx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer func() { cancel(); checkpointsStopped() }()
	tokens := secret.NewTokenAuthenticator(st)
	var handler *gateway.Server
	handler = gateway.New(gateway.Options{
		Logger:   logger,
		Store:    st,
		Policy:   engine,
		Upstream: upstream,
		Auth:     authn,
		SCIM:     scim.NewHandler(st, tokens, logger),
		Version:  version,
		Mounts: []func(*gin.Engine){
			authn.Mount,
			adminapi.Mount(svc, engine, tokens, logger),
			web.Mount(web.Options{Admin: svc, Access: func() *access.Service { return handler.Access() }, Engine: engine, Auth: authn, Store: st, DataDir: cfg.DataDir,
				OIDC:         web.OIDC{Issuer: cfg.OIDCIssuer, ClientID: clientID, ClientSecret: cfg.OIDCSecret, RedirectURL: cfg.OIDCRedirect},
				ConsoleGroup: cfg.ConsoleGroup, Logger: logger}),
			publishCheckpoints,
		},
	})
	// Runs after the HTTP server has shut down: stops list workers and
	// flushes the audit writer.
	defer handler.Close()
	registerFeedMetrics(handler.Metrics(), st)
	if err := handler.EnableLists(runCtx, gateway.ListsOptions{DataDir: cfg.DataDir, Workers: cfg.ListWorkers, Retention: cfg.ListRetention}); err != nil {
		return fmt.Errorf("citizen lists: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("folkevakt ready", "addr", ln.Addr().String(), "upstream", upstreamName(cfg), "startup", time.Since(started).Round(time.Millisecond).String())
	fmt.Fprintf(e.stdout, "folkevakt listening on http://%s\n", ln.Addr())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// ensureTwoProcs runs the scheduler with at least two Ps. The audit writer
// holds its P through SQLite's commit (a cgo call ending in fsync); with one
// P nothing else runs meanwhile, not even the network poller, so no request
// reaches the next batch and group commit degenerates to one record per
// transaction on a one-CPU machine. An explicit GOMAXPROCS is respected.
func ensureTwoProcs() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

func upstreamName(cfg *serveConfig) string {
	if cfg.Upstream == "embedded" {
		return fmt.Sprintf("embedded (population %d, seed %d)", cfg.Population, cfg.PopulationSeed)
	}
	return "http"
}

// newUpstream builds the FREG client: the embedded synthetic register,
// concentrated in the municipalities the organisations serve, or HTTP.
func newUpstream(ctx context.Context, cfg *serveConfig, st store.Store, logger *slog.Logger) (freg.Client, error) {
	if cfg.Upstream != "embedded" {
		c, err := fregclient.New(fregclient.Config{BaseURL: cfg.Upstream, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("--upstream: %w", err)
		}
		return c, nil
	}
	orgs, err := st.ListOrganisations(ctx)
	if err != nil {
		return nil, err
	}
	var kommuner []string
	for _, o := range orgs {
		for _, k := range o.Kommunenummer {
			if !slices.Contains(kommuner, k) {
				kommuner = append(kommuner, k)
			}
		}
	}
	slices.Sort(kommuner)
	reg, err := synth.Generate(synth.Config{Seed: cfg.PopulationSeed, N: cfg.Population, Kommuner: kommuner})
	if err != nil {
		return nil, fmt.Errorf("embedded register: %w", err)
	}
	return reg, nil
}

// bootstrap applies FOLKEVAKT_BOOTSTRAP_* idempotently.
func bootstrap(ctx context.Context, svc *admin.Service, b bootstrapConfig) error {
	if b.OrgNumber == "" {
		return nil
	}
	ctx = store.WithActor(ctx, "bootstrap")
	org, err := svc.EnsureOrganisation(ctx, b.OrgNumber, b.OrgName, b.Kommunenummer)
	if err != nil {
		return err
	}
	if b.AdminToken != "" {
		if err := svc.EnsureToken(ctx, org.ID, store.TokenAdmin, "bootstrap-admin", b.AdminToken); err != nil {
			return fmt.Errorf("FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN: %w", err)
		}
	}
	if b.SCIMToken != "" {
		if err := svc.EnsureToken(ctx, org.ID, store.TokenSCIM, "bootstrap-scim", b.SCIMToken); err != nil {
			return fmt.Errorf("FOLKEVAKT_BOOTSTRAP_SCIM_TOKEN: %w", err)
		}
	}
	return nil
}

// registerFeedMetrics exposes the change feed's listener (PostgreSQL).
func registerFeedMetrics(r prometheus.Registerer, st *sqlstore.Store) {
	gauge := func(name, help string, v func(sqlstore.FeedStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(st.FeedStats()) })
	}
	counter := func(name, help string, v func(sqlstore.FeedStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(st.FeedStats()) })
	}
	r.MustRegister(
		gauge("folkevakt_change_feed_connected", "1 while the change feed's LISTEN connection is up (PostgreSQL; always 0 on SQLite).",
			func(f sqlstore.FeedStats) float64 { return b2f(f.Connected) }),
		counter("folkevakt_change_feed_resyncs_total", "Reads of the change log after a (re)connect, a notification or the safety timer.",
			func(f sqlstore.FeedStats) float64 { return float64(f.Resyncs) }),
		counter("folkevakt_change_feed_notifications_total", "Change notifications received from the database.",
			func(f sqlstore.FeedStats) float64 { return float64(f.Notifications) }),
		gauge("folkevakt_change_feed_lag_seconds", "Commit-to-delivery delay of the last change made by another instance or the CLI.",
			func(f sqlstore.FeedStats) float64 { return f.Lag.Seconds() }),
	)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
