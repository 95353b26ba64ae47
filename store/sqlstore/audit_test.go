package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
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
	var persons int
	if err := s1.r.Get(&persons, `SELECT COUNT(*) FROM audit_persons WHERE org_id = ?`, org.ID); err != nil {
		t.Fatal(err)
	}
	if persons != 2*303 {
		t.Fatalf("audit_persons rows: %d, want %d", persons, 2*303)
	}

	if _, err := s1.w.Exec(`UPDATE audit SET status = 500 WHERE org_id = ? AND seq = 303`, org.ID); err != nil {
		t.Fatal(err)
	}
	s3 := openStore(t, path)
	if _, err := s3.AppendAudit(ctx, batch[:1]); err == nil {
		t.Fatal("appended onto an edited chain head")
	}
}
