package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"folkevakt/gateway/audit/checkpoint"
	"folkevakt/store"
)

// Signed checkpoints: 'audit verify --checkpoints' passes on an intact log
// and fails on a forged or reordered checkpoint, on a record altered after
// a checkpoint (also when the whole chain after it is rehashed to hide the
// change) and on records removed from the end.
func TestAuditCheckpoints(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	c.ok("org", "create", "--org-number", org, "--name", "Storevik kommune", "--kommunenummer", "4627")
	st := c.openStore()
	o, err := st.GetOrganisationByNumber(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	appendRecords := func(n int) {
		t.Helper()
		recs := make([]store.AuditRecord, n)
		for i := range recs {
			recs[i] = store.AuditRecord{OrgID: o.ID, Time: time.Now(), RequestID: "r", SubjectKind: store.SubjectUser, SubjectID: "u",
				Action: "GET /test", Persons: []string{"01010112345"}, Decision: store.DecisionAllow, Status: 200}
		}
		if _, err := st.AppendAudit(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "checkpoints")
	appendRecords(100)
	if out := c.ok("audit", "checkpoint", "--org", org, "--out", dir); !strings.Contains(out, "checkpoint at seq 100") {
		t.Fatalf("first checkpoint: %s", out)
	}
	appendRecords(20)
	if out := c.ok("audit", "checkpoint", "--out", dir); !strings.Contains(out, "checkpoint at seq 120") {
		t.Fatalf("second checkpoint: %s", out)
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, checkpoint.KeyFile)); err != nil {
		t.Fatalf("signing key: %v", err)
	}
	verify := func() (int, string) {
		t.Helper()
		code, out, errs := c.run("audit", "verify", "--org", org, "--checkpoints", dir)
		return code, out + errs
	}
	if code, out := verify(); code != 0 || !strings.Contains(out, "OK, the log extends all 2 checkpoints") {
		t.Fatalf("intact log: %d %s", code, out)
	}

	read := func(name string) checkpoint.Checkpoint {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var cp checkpoint.Checkpoint
		if err := json.Unmarshal(b, &cp); err != nil {
			t.Fatal(err)
		}
		return cp
	}
	first := read(org + "-000000000100.json")
	write := func(name string, cp checkpoint.Checkpoint) {
		t.Helper()
		b, _ := json.Marshal(cp)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expectFail := func(what, says string) {
		t.Helper()
		if code, out := verify(); code != 1 || !strings.Contains(out, says) {
			t.Fatalf("%s: exit %d, want 1 and %q:\n%s", what, code, says, out)
		}
	}

	// Forged: an edited checkpoint (a lower seq, to excuse a shorter log).
	forged := first
	forged.Seq, forged.Hash = 110, strings.Repeat("0", 64)
	write("forged.json", forged)
	expectFail("forged checkpoint", "checkpoint seq 110: signature does not verify")
	os.Remove(filepath.Join(dir, "forged.json"))

	// Reordered: a validly signed checkpoint of seq 110 dated after seq 120's.
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(c.dataDir, checkpoint.KeyFile), false)
	if err != nil {
		t.Fatal(err)
	}
	second := read(org + "-000000000120.json")
	hashes, err := checkpoint.Recompute(ctx, st.Tenant(o.ID), o.ID, map[int64]bool{110: true})
	if err != nil {
		t.Fatal(err)
	}
	late := checkpoint.Sign(key, checkpoint.Checkpoint{OrgNumber: org, OrgID: o.ID, Seq: 110, Hash: hashes[110], Time: second.Time.Add(time.Hour)})
	write("late.json", late)
	expectFail("reordered checkpoint", "checkpoint seq 120: dated")
	os.Remove(filepath.Join(dir, "late.json"))
	if code, out := verify(); code != 0 {
		t.Fatalf("after removing the bad checkpoints: %d %s", code, out)
	}

	db, err := sql.Open("sqlite3", filepath.Join(c.dataDir, "folkevakt.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// A record altered after the checkpoints were taken.
	exec(`UPDATE audit SET status = 403 WHERE org_id = ? AND seq = 50`, o.ID)
	expectFail("altered record", "checkpoint seq 100: the log holds another record there (rewritten after the checkpoint)")
	exec(`UPDATE audit SET status = 200 WHERE org_id = ? AND seq = 50`, o.ID)
	if code, out := verify(); code != 0 {
		t.Fatalf("after undoing the change: %d %s", code, out)
	}

	// The same change, with every later hash recomputed: the chain alone is
	// consistent again, the checkpoints are not.
	var recs []store.AuditRecord
	if err := st.Tenant(o.ID).ScanAudit(ctx, 0, func(r store.AuditRecord) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	prev := recs[48].Hash
	for _, r := range recs[49:] {
		if r.Seq == 50 {
			r.Status = 403
		}
		r.OrgID = o.ID
		h := store.ChainHash(prev, r)
		exec(`UPDATE audit SET status = ?, prev_hash = ?, hash = ? WHERE org_id = ? AND seq = ?`, r.Status, prev, h, o.ID, r.Seq)
		prev = h
	}
	code, out := verify()
	if code != 1 || strings.Contains(out, "FAILED after") || !strings.Contains(out, "checkpoint seq 100: the log holds another record") ||
		!strings.Contains(out, "checkpoint seq 120: the log holds another record") {
		t.Fatalf("rehashed rewrite: exit %d:\n%s", code, out)
	}

	// Records removed from the end.
	exec(`DELETE FROM audit WHERE org_id = ? AND seq > 105`, o.ID)
	expectFail("truncated log", "checkpoint seq 120: the log ends before it")

	// Bad input: no key file, a directory without checkpoints' key.
	if code, _, errs := c.run("audit", "verify", "--checkpoints", t.TempDir()); code != 1 || !strings.Contains(errs, "--public-key") {
		t.Errorf("directory without a public key: exit %d, %s", code, errs)
	}
	if code, _, errs := c.run("audit", "checkpoint"); code != 2 || !strings.Contains(errs, "--out is required") {
		t.Errorf("checkpoint without --out: exit %d, %s", code, errs)
	}
}

// serve signs checkpoints periodically and publishes them at a stable URL;
// what it publishes verifies against the log.
func TestServePublishesCheckpoints(t *testing.T) {
	dir := t.TempDir()
	const adminToken = "checkpoint-admin-token-0123456789"
	srv := startServe(t, dir, map[string]string{
		"FOLKEVAKT_BOOTSTRAP_ORG":         e2eOrg + ":Storevik kommune:" + e2eKommune,
		"FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN": adminToken,
	}, "--checkpoint-interval", "100ms")
	adminH := map[string]string{"Authorization": "Bearer " + adminToken}
	for range 3 { // reading the audit log is itself audited
		if code, b := call(t, "GET", srv.base+"/admin/api/v1/audit", adminH, nil); code != 200 {
			t.Fatalf("audit query: %d %s", code, b)
		}
	}
	var latest checkpoint.Checkpoint
	for deadline := time.Now().Add(20 * time.Second); latest.Seq < 3; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint at seq 3 published; last %+v", latest)
		}
		code, b := call(t, "GET", srv.base+"/audit/checkpoints/"+e2eOrg+"/latest", nil, nil)
		if code == 200 {
			latest = decode[checkpoint.Checkpoint](t, b)
		} else if code != 404 {
			t.Fatalf("latest: %d %s", code, b)
		}
	}
	code, b := call(t, "GET", srv.base+"/audit/checkpoints/"+e2eOrg, nil, nil)
	if all := decode[[]checkpoint.Checkpoint](t, b); code != 200 || len(all) == 0 || all[len(all)-1].Seq < latest.Seq {
		t.Fatalf("checkpoints: %d %s", code, b)
	}
	code, key := call(t, "GET", srv.base+"/audit/checkpoints/public-key.pem", nil, nil)
	if code != 200 || !strings.Contains(string(key), "BEGIN PUBLIC KEY") {
		t.Fatalf("public key: %d %s", code, key)
	}
	if code, b := call(t, "GET", srv.base+"/audit/checkpoints/12x", nil, nil); code != 400 {
		t.Errorf("bad organisation number: %d %s", code, b)
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, srv.stderr.String())
	}

	// An outsider's copy: the checkpoint and the key fetched over HTTP.
	export := t.TempDir()
	if err := checkpoint.WriteFile(export, latest); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(export, "key.pem"), key, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &cli{t: t, env: map[string]string{}}
	for _, args := range [][]string{
		{"audit", "verify", "--data-dir", dir, "--checkpoints", export, "--public-key", filepath.Join(export, "key.pem")},
		{"audit", "verify", "--data-dir", dir, "--checkpoints", filepath.Join(dir, "checkpoints")},
	} {
		if out := c.ok(args...); !strings.Contains(out, "OK, the log extends all") {
			t.Errorf("folkevakt %s: %s", strings.Join(args, " "), out)
		}
	}
}
