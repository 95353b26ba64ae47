package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"folkevakt/gateway/audit/checkpoint"
	"folkevakt/policy/admin"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

func init() {
	commands["audit"] = command{"audit log tools: 'audit verify' checks hash chains (and checkpoints), 'audit checkpoint' signs chain heads", runAudit}
}

// errChainBroken marks a failed verification (exit 1 after the report).
var errChainBroken = errors.New("audit chain broken")

func runAudit(ctx context.Context, e env, args []string) error {
	const usage = "Usage: folkevakt audit verify [--org <orgNumber>] [--checkpoints DIR] [--data-dir D] [--database F]\n" +
		"       folkevakt audit checkpoint --out DIR [--org <orgNumber>] [--key FILE] [--data-dir D] [--database F]"
	if wantsHelp(args) {
		fmt.Fprintln(e.stdout, usage)
		return errHelp
	}
	if len(args) > 0 && args[0] == "checkpoint" {
		return runAuditCheckpoint(ctx, e, args[1:])
	}
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(e.stderr, usage)
		return errUsage
	}
	fs := newFlagSet(e, "audit verify")
	dataDir := fs.String("data-dir", "./data", "directory holding the SQLite database")
	database := fs.String("database", "", "SQLite file (default <data-dir>/folkevakt.db) or postgres:// URL")
	orgNumber := fs.String("org", "", "verify only this organisation (organisation number)")
	cpDir := fs.String("checkpoints", "", "directory of checkpoints (from 'audit checkpoint') the log must still extend")
	pubPath := fs.String("public-key", "", "public key of the checkpoints (default <checkpoints>/"+checkpoint.PublicKeyFile+")")
	if err := parseFlags(fs, e, args[1:]); err != nil {
		return err
	}
	var cps []checkpoint.Checkpoint
	var pub ed25519.PublicKey
	if *cpDir != "" {
		var err error
		if cps, pub, err = loadCheckpoints(*cpDir, *pubPath); err != nil {
			return err
		}
	}
	cfg := &serveConfig{DataDir: *dataDir, Database: *database}
	if err := requireExisting(cfg); err != nil {
		return err
	}
	st, err := sqlstore.Open(ctx, cfg.storeOptions(nil))
	if err != nil {
		return fmt.Errorf("open database %s: %w", cfg.databaseName(), err)
	}
	defer st.Close()
	var orgs []store.Organisation
	if *orgNumber != "" {
		o, err := st.GetOrganisationByNumber(ctx, *orgNumber)
		if err != nil {
			return fmt.Errorf("--org %s: %w", *orgNumber, err)
		}
		orgs = []store.Organisation{o}
	} else if orgs, err = st.ListOrganisations(ctx); err != nil {
		return err
	}
	svc := admin.New(st, admin.Options{})
	actx := store.WithActor(ctx, "cli:"+osUser(e))
	failed := 0
	for _, o := range orgs {
		orgFailed := false
		n, err := verifyChain(ctx, st.Tenant(o.ID), o.ID)
		switch {
		case errors.Is(err, errChainBroken):
			orgFailed = true
			fmt.Fprintf(e.stdout, "%s %s: FAILED after %d good records: %v\n", o.OrgNumber, o.Name, n, err)
		case err != nil:
			return fmt.Errorf("organisation %s: %w", o.OrgNumber, err)
		default:
			fmt.Fprintf(e.stdout, "%s %s: OK, %d records\n", o.OrgNumber, o.Name, n)
		}
		if *cpDir != "" {
			checked, problems, err := checkpointProblems(ctx, st.Tenant(o.ID), o, cps, pub)
			if err != nil {
				return fmt.Errorf("organisation %s: %w", o.OrgNumber, err)
			}
			for _, p := range problems {
				fmt.Fprintf(e.stdout, "%s %s: FAILED %s\n", o.OrgNumber, o.Name, p)
			}
			if len(problems) > 0 {
				orgFailed = true
			} else {
				fmt.Fprintf(e.stdout, "%s %s: OK, the log extends all %d checkpoints\n", o.OrgNumber, o.Name, checked)
			}
		}
		if orgFailed {
			failed++
		}
		// Verification reads every record: audited like any audit read.
		if err := svc.NoteAuditRead(actx, o.ID, admin.ActionAuditVerify, "", map[string]int64{"verified": n}); err != nil {
			return fmt.Errorf("organisation %s: %w", o.OrgNumber, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w in %d of %d organisations", errChainBroken, failed, len(orgs))
	}
	return nil
}

// verifyChain recomputes an organisation's chain: Seq runs 1, 2, 3 … without
// gaps, each PrevHash is the previous Hash, and each Hash is ChainHash of the
// record. It returns the number of records verified before the first break.
func verifyChain(ctx context.Context, t store.Tenant, orgID string) (int64, error) {
	var n int64
	prev := ""
	err := t.ScanAudit(ctx, 0, func(r store.AuditRecord) error {
		want := n + 1
		switch {
		case r.Seq != want:
			return fmt.Errorf("%w: seq %d found where %d was expected (record missing or reordered)", errChainBroken, r.Seq, want)
		case r.PrevHash != prev:
			return fmt.Errorf("%w: seq %d does not link to seq %d", errChainBroken, r.Seq, n)
		}
		r.OrgID = orgID
		if r.Hash != store.ChainHash(prev, r) {
			return fmt.Errorf("%w: seq %d was altered (hash mismatch)", errChainBroken, r.Seq)
		}
		prev = r.Hash
		n++
		return nil
	})
	return n, err
}
