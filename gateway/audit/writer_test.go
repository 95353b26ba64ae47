package audit_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"folkevakt/gateway/audit"
	"folkevakt/store"
	"folkevakt/store/sqlstore"
)

func openStore(t *testing.T) (*sqlstore.Store, store.Organisation) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Path: filepath.Join(t.TempDir(), "a.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganisation(ctx, store.Organisation{OrgNumber: "974760673", Name: "Storevik", Kommunenummer: []string{"4627"}})
	if err != nil {
		t.Fatal(err)
	}
	return st, org
}

// Concurrent writers share transactions, every record is durable when Write
// returns, and the chain has no gaps.
func TestGroupCommit(t *testing.T) {
	st, org := openStore(t)
	var batches, maxBatch atomic.Int64
	w := audit.New(st, audit.Options{OnBatch: func(n int, _ time.Duration, err error) {
		batches.Add(1)
		if int64(n) > maxBatch.Load() {
			maxBatch.Store(int64(n))
		}
	}})
	defer w.Close()
	const writers, each = 32, 20
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				rec, err := w.Write(context.Background(), store.AuditRecord{OrgID: org.ID, Action: "GET /x", SubjectKind: store.SubjectUser, SubjectID: "u", Decision: store.DecisionAllow, Status: 200})
				if err != nil || rec.Seq == 0 || rec.Hash == "" {
					t.Errorf("write: %v %+v", err, rec)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n int64
	if err := st.Tenant(org.ID).ScanAudit(context.Background(), 0, func(r store.AuditRecord) error {
		n++
		if r.Seq != n {
			t.Fatalf("seq %d at position %d", r.Seq, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Fatalf("%d records, want %d", n, writers*each)
	}
	if batches.Load() >= n || maxBatch.Load() < 2 {
		t.Errorf("%d transactions for %d records (largest %d): no group commit", batches.Load(), n, maxBatch.Load())
	}
}

// A record that cannot be stored fails only its own writer.
func TestBadRecordFailsAlone(t *testing.T) {
	st, org := openStore(t)
	w := audit.New(st, audit.Options{})
	defer w.Close()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := store.AuditRecord{OrgID: org.ID, Action: "GET /x", Decision: store.DecisionDeny, Status: 400}
			if i == 7 {
				rec.OrgID = "no-such-organisation"
			}
			_, errs[i] = w.Write(context.Background(), rec)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 7) {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	w.Close()
	if _, err := w.Write(context.Background(), store.AuditRecord{OrgID: org.ID}); err != audit.ErrClosed {
		t.Errorf("write after close: %v", err)
	}
}
