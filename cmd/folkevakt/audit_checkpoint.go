package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/audit/checkpoint"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

// runAuditCheckpoint signs each organisation's current chain head and
// writes the checkpoints (and the public key) into --out, for the
// organisation to keep outside folkevakt. Run it from cron for periodic
// checkpoints.
func runAuditCheckpoint(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "audit checkpoint")
	dataDir := fs.String("data-dir", "./data", "directory holding the database and the checkpoint signing key")
	database := fs.String("database", "", "SQLite file (default <data-dir>/folkevakt.db) or postgres:// URL")
	orgNumber := fs.String("org", "", "only this organisation (organisation number)")
	keyPath := fs.String("key", "", "Ed25519 signing key, PKCS #8 PEM (default <data-dir>/"+checkpoint.KeyFile+", created on first use)")
	out := fs.String("out", "", "directory to write the checkpoints and "+checkpoint.PublicKeyFile+" into")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError(e, "audit checkpoint", "--out is required")
	}
	cfg := &serveConfig{DataDir: *dataDir, Database: *database}
	if err := requireExisting(cfg); err != nil {
		return err
	}
	key, err := loadCheckpointKey(*dataDir, *keyPath, true)
	if err != nil {
		return err
	}
	st, orgs, err := openAuditOrgs(ctx, cfg, *orgNumber)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.WriteFile(filepath.Join(*out, checkpoint.PublicKeyFile), checkpoint.PublicKeyPEM(key.Public().(ed25519.PublicKey)), 0o644); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	tr := checkpoint.NewTracker()
	for _, o := range orgs {
		h, err := tr.Head(ctx, st, o.ID)
		if err != nil {
			return fmt.Errorf("organisation %s: %w", o.OrgNumber, err)
		}
		c := checkpoint.Sign(key, checkpoint.Checkpoint{OrgNumber: o.OrgNumber, OrgID: o.ID, Seq: h.Seq, Hash: h.Hash, Time: time.Now()})
		if err := checkpoint.WriteFile(*out, c); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s %s: checkpoint at seq %d written to %s\n", o.OrgNumber, o.Name, c.Seq, filepath.Join(*out, c.FileName()))
	}
	return nil
}

// loadCheckpointKey reads the operator's key, or the data directory's.
func loadCheckpointKey(dataDir, keyPath string, create bool) (ed25519.PrivateKey, error) {
	if keyPath != "" {
		k, err := checkpoint.LoadOrCreateKey(keyPath, false)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		return k, nil
	}
	return checkpoint.LoadOrCreateKey(filepath.Join(dataDir, checkpoint.KeyFile), create)
}

// openAuditOrgs opens the store and returns the organisations to act on.
func openAuditOrgs(ctx context.Context, cfg *serveConfig, orgNumber string) (*sqlstore.Store, []store.Organisation, error) {
	st, err := sqlstore.Open(ctx, cfg.storeOptions(nil))
	if err != nil {
		return nil, nil, fmt.Errorf("open database %s: %w", cfg.databaseName(), err)
	}
	if orgNumber != "" {
		o, err := st.GetOrganisationByNumber(ctx, orgNumber)
		if err != nil {
			st.Close()
			return nil, nil, fmt.Errorf("--org %s: %w", orgNumber, err)
		}
		return st, []store.Organisation{o}, nil
	}
	orgs, err := st.ListOrganisations(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, orgs, nil
}

// checkpointProblems checks an organisation's log against the checkpoints
// of dir that name it; pub defaults to dir's public-key.pem.
func checkpointProblems(ctx context.Context, t store.Tenant, o store.Organisation, cps []checkpoint.Checkpoint, pub ed25519.PublicKey) (int, []string, error) {
	var mine []checkpoint.Checkpoint
	want := map[int64]bool{}
	for _, c := range cps {
		if c.OrgNumber == o.OrgNumber {
			mine = append(mine, c)
			want[c.Seq] = true
		}
	}
	hashes, err := checkpoint.Recompute(ctx, t, o.ID, want)
	if err != nil {
		return 0, nil, err
	}
	problems := checkpoint.Check(pub, o.ID, mine, func(seq int64) (string, bool) { h, ok := hashes[seq]; return h, ok })
	return len(mine), problems, nil
}

// loadCheckpoints reads dir and the public key (--public-key, else the
// key file in dir).
func loadCheckpoints(dir, pubPath string) ([]checkpoint.Checkpoint, ed25519.PublicKey, error) {
	cps, err := checkpoint.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("--checkpoints: %w", err)
	}
	if pubPath == "" {
		pubPath = filepath.Join(dir, checkpoint.PublicKeyFile)
	}
	b, err := os.ReadFile(pubPath)
	if err != nil {
		return nil, nil, fmt.Errorf("--public-key: %w", err)
	}
	pub, err := checkpoint.ParsePublicKeyPEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("--public-key %s: %w", pubPath, err)
	}
	return cps, pub, nil
}

// startCheckpoints starts serve's periodic checkpoint signer (unless
// --checkpoint-interval is 0) and returns the mount of their URL and a
// function that waits for the signer to stop once ctx is done.
func startCheckpoints(ctx context.Context, cfg *serveConfig, st store.Store, logger *slog.Logger) (func(*gin.Engine), func(), error) {
	if cfg.CheckpointInterval == 0 {
		return func(*gin.Engine) {}, func() {}, nil
	}
	key, err := loadCheckpointKey(cfg.DataDir, cfg.CheckpointKey, true)
	if err != nil {
		return nil, nil, fmt.Errorf("--checkpoint-key: %w", err)
	}
	p := &checkpoint.Publisher{Store: st, Key: key, Dir: filepath.Join(cfg.DataDir, "checkpoints"), Interval: cfg.CheckpointInterval, Logger: logger}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	return p.Mount, func() { <-done }, nil
}
