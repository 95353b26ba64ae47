package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/casbin/casbin/v2/model"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/fregclient"
	"folkevakt/store/sqlstore"
)

func init() {
	commands["check-config"] = command{"check serve's configuration: data directory, database, policy model, upstream, issuers", runCheckConfig}
}

// errCheckFailed marks a check-config run with at least one failed check
// (already reported line by line).
var errCheckFailed = errors.New("configuration check failed")

// checkTimeout bounds each network check, so that a black-holed address
// is reported instead of hanging the command.
const checkTimeout = 10 * time.Second

// runCheckConfig takes serve's flags and environment and reaches everything
// serve would use, printing one line per check ("ok" or "FAIL" with what is
// wrong). It changes nothing: it creates no directory, no database and no
// dev key.
func runCheckConfig(ctx context.Context, e env, args []string) error {
	cfg, err := loadServeConfig(e, "check-config", args)
	if err != nil {
		return err
	}
	failed := 0
	report := func(what string, detail string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(e.stdout, "FAIL  %s: %v\n", what, err)
			return
		}
		fmt.Fprintf(e.stdout, "ok    %s: %s\n", what, detail)
	}
	dataDirOK := requireDir(cfg.DataDir) == nil
	report("data-dir", cfg.DataDir+" exists and is writable", checkDataDir(cfg.DataDir))
	report("policy-model", cfg.PolicyModel, checkModel(cfg.PolicyModel))
	detail, err := checkDatabase(ctx, cfg)
	report("database", detail, err)
	detail, err = checkUpstream(ctx, cfg)
	report("upstream", detail, err)
	detail, err = checkIssuer(ctx, cfg.Maskinporten, dataDirOK, auth.CheckMaskinportenIssuer)
	report("maskinporten", detail, err)
	detail, err = checkIssuer(ctx, cfg.OIDCIssuer, dataDirOK, auth.CheckOIDCIssuer)
	report("oidc-issuer", detail, err)
	if failed > 0 {
		return fmt.Errorf("%w: %d problem(s)", errCheckFailed, failed)
	}
	return nil
}

func checkDataDir(dir string) error {
	if err := requireDir(dir); err != nil {
		return errors.New("does not exist (serve creates it at start; check the path)")
	}
	f, err := os.CreateTemp(dir, ".check-config-*")
	if err != nil {
		return fmt.Errorf("not writable: %v", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func checkModel(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if _, err := model.NewModelFromString(string(text)); err != nil {
		return fmt.Errorf("not a Casbin model: %v", err)
	}
	return nil
}

func checkDatabase(ctx context.Context, cfg *serveConfig) (string, error) {
	if err := requireExisting(cfg); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	st, err := sqlstore.Open(ctx, cfg.storeOptions(slog.New(slog.DiscardHandler)))
	if err != nil {
		return "", fmt.Errorf("open %s: %v", cfg.databaseName(), err)
	}
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		return "", fmt.Errorf("%s does not answer: %v", cfg.databaseName(), err)
	}
	cur, latest, err := st.SchemaVersion(ctx)
	switch {
	case err != nil:
		return "", fmt.Errorf("schema of %s: %v", cfg.databaseName(), err)
	case cur > latest:
		return "", fmt.Errorf("%s is at schema version %d, newer than this binary's %d", cfg.databaseName(), cur, latest)
	case cur < latest && !cfg.AutoMigrate:
		return "", fmt.Errorf("%s is at schema version %d, this binary needs %d: run 'folkevakt migrate'", cfg.databaseName(), cur, latest)
	case cur < latest:
		return fmt.Sprintf("%s at schema version %d; serve migrates it to %d at start (--auto-migrate)", cfg.databaseName(), cur, latest), nil
	}
	return fmt.Sprintf("%s at schema version %d", cfg.databaseName(), cur), nil
}

func checkUpstream(ctx context.Context, cfg *serveConfig) (string, error) {
	if cfg.Upstream == "embedded" {
		return upstreamName(cfg), nil
	}
	c, err := fregclient.New(fregclient.Config{BaseURL: cfg.Upstream, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	seq, err := c.LastSequence(ctx)
	if err != nil {
		return "", fmt.Errorf("%s does not answer as Folkeregisteret: %v", cfg.Upstream, err)
	}
	return fmt.Sprintf("%s answers (last hendelse sequence %d)", cfg.Upstream, seq), nil
}

// checkIssuer fetches a remote issuer's discovery document and keys; the dev
// issuer needs only the data directory, where it keeps its key.
func checkIssuer(ctx context.Context, setting string, dataDirOK bool,
	check func(context.Context, string, *http.Client) (int, error)) (string, error) {
	if setting == auth.Dev {
		if !dataDirOK {
			return "", errors.New("the dev issuer keeps its key in --data-dir, which does not exist")
		}
		return "dev issuer (local key in the data directory; not for production)", nil
	}
	n, err := check(ctx, setting, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %v", setting, err)
	}
	return fmt.Sprintf("%s: discovery and JWKS reachable, %d signing key(s)", setting, n), nil
}
