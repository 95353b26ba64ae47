package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"folkevakt/store"
)

// TestAuditHeadInMemory covers the writer's cached chain heads: a head moved
// by another writer costs one failed batch and is then reloaded, a batch
// larger than any prepared chunk is split, and a head record edited on disk
// is refused rather than chained onto.
func TestAuditHeadInMemory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	s1 := openStore(t, path)
	org, err := s1.CreateOrganisation(ctx, store.Organisation{OrgNumber: "910000003", Name: "Heads"})
	if err != nil {
		t.Fatal(err)
	}
	rec := store.AuditRecord{OrgID: org.ID, RequestID: "req", SubjectKind: store.SubjectUser, SubjectID: "u1",
		RoleID: "r1", Action: "person", Persons: []string{"01010112345", "01010112345", "02020212345"},
		Decision: store.DecisionAllow, Status: 200}
	batch := make([]store.AuditRecord, 300) // 256 + 16 + 4·7: every chunk size
	for i := range batch {
		batch[i] = rec
	}
	if _, err := s1.AppendAudit(ctx, batch); err != nil {
		t.Fatal(err)
	}

	s2 := openStore(t, path)
	if _, err := s2.AppendAudit(ctx, batch[:1]); err != nil {
		t.Fatal(err)
	}
	// s1's head is stale: its next batch collides, the one after reloads.
	if _, err := s1.AppendAudit(ctx, batch[:2]); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("append on a stale head: %v, want ErrConflict", err)
	}
	out, err := s1.AppendAudit(ctx, batch[:2])
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Seq != 302 || out[1].Seq != 303 {
		t.Fatalf("seqs after reload: %d, %d", out[0].Seq, out[1].Seq)
	}
	var prev string
	var n int64
	if err := s1.Tenant(org.ID).ScanAudit(ctx, 0, func(r store.AuditRecord) error {
		n++
		if r.Seq != n || r.PrevHash != prev || store.ChainHash(prev, r) != r.Hash {
			t.Fatalf("chain broken at seq %d", r.Seq)
		}
		prev = r.Hash
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Fewer than indexEvery records: the person index catches up when a
	// person query asks.
	var persons int
	if err := s1.r.Get(&persons, `SELECT COUNT(*) FROM audit_person_index WHERE org_id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if persons != 0 {
		t.Fatalf("person index rows before a query: %d, want 0", persons)
	}
	page, err := s1.Tenant(org.ID).ListAudit(ctx, store.AuditQuery{Person: "02020212345", Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 303 {
		t.Fatalf("records of the person: %d, want 303", page.Total)
	}
	if err := s1.r.Get(&persons, `SELECT COUNT(*) FROM audit_person_index WHERE org_id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if persons != 2*303 {
		t.Fatalf("person index rows: %d, want %d", persons, 2*303)
	}

	if _, err := s1.w.Exec(`UPDATE audit SET status = 500 WHERE org_id = ? AND seq = 303`, org.ID); err != nil {
		t.Fatal(err)
	}
	s3 := openStore(t, path)
	if _, err := s3.AppendAudit(ctx, batch[:1]); err == nil {
		t.Fatal("appended onto an edited chain head")
	}
}

// TestAuditPersonIndex covers the bucketed person index: it catches up in
// bulk every indexEvery records, a query sees records not yet indexed, and
// an index whose tail was lost (a crash between the audit commit and the
// next catch-up cannot lose it, but a lagging mark can) is healed from the
// audit table.
func TestAuditPersonIndex(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "audit.db"))
	org, err := s.CreateOrganisation(ctx, store.Organisation{OrgNumber: "910000004", Name: "Index"})
	if err != nil {
		t.Fatal(err)
	}
	// 3 persons in turn over 3 buckets' worth of records.
	ids := []string{"01010112345", "02020212345", "03030312345"}
	total := 3*personBucket + 100
	batch := make([]store.AuditRecord, 0, 64)
	for i := range total {
		batch = append(batch, store.AuditRecord{OrgID: org.ID, RequestID: "r", SubjectKind: store.SubjectUser, SubjectID: "u",
			Action: "person", Persons: []string{ids[i%3]}, Decision: store.DecisionAllow, Status: 200})
		if len(batch) == cap(batch) || i == total-1 {
			if _, err := s.AppendAudit(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	var indexed int64
	if err := s.r.Get(&indexed, `SELECT indexed_seq FROM audit_index_state WHERE org_id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if indexed < int64(total-indexEvery) || indexed > int64(total) {
		t.Fatalf("indexed up to %d of %d: the index did not catch up while appending", indexed, total)
	}
	want := func(person string) int { // records i with i%3 == index of person
		n := 0
		for i := range total {
			if ids[i%3] == person {
				n++
			}
		}
		return n
	}
	check := func(stage string) {
		t.Helper()
		for _, p := range ids {
			page, err := s.Tenant(org.ID).ListAudit(ctx, store.AuditQuery{Person: p, Count: 5})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want(p) {
				t.Fatalf("%s: %s has %d records, want %d", stage, p, page.Total, want(p))
			}
			for _, r := range page.Items {
				if r.Persons[0] != p {
					t.Fatalf("%s: record %d of %s returned for %s", stage, r.Seq, r.Persons[0], p)
				}
			}
		}
	}
	check("caught up")
	// A lost tail: the mark goes back and the last bucket's entries vanish.
	if _, err := s.w.Exec(`DELETE FROM audit_person_index WHERE org_id = ? AND seq > ?`, org.ID, 2*personBucket); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE audit_index_state SET indexed_seq = ? WHERE org_id = ?`, 2*personBucket, org.ID); err != nil {
		t.Fatal(err)
	}
	check("healed")
	var plan []struct {
		ID, Parent, NotUsed int
		Detail              string
	}
	// The query's plan: the index must be probed with its whole key.
	cond, args := personCond(3, "x", "p")
	if err := s.r.Select(&plan, `EXPLAIN QUERY PLAN SELECT seq FROM audit WHERE org_id = 'x' AND `+cond+` ORDER BY seq DESC LIMIT 10`, args...); err != nil {
		t.Fatal(err)
	}
	probes := 0
	for _, p := range plan {
		if strings.HasPrefix(p.Detail, "SEARCH i ") || strings.HasPrefix(p.Detail, "SCAN i") {
			probes++
			if !strings.Contains(p.Detail, "org_id=? AND bucket=? AND person=?") {
				t.Fatalf("the person query does not seek each bucket: %s", p.Detail)
			}
		}
	}
	if probes != 1 {
		t.Fatalf("no probe of the person index in the plan: %+v", plan)
	}
}
