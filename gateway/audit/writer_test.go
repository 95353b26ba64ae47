package audit_test

import (
	"context"
	"errors"
	"fmt"
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

// slowStore stores records in memory, taking delay per transaction, so that
// callers pile up behind a running transaction as they do behind an fsync.
type slowStore struct {
	delay time.Duration
	mu    sync.Mutex
	recs  []store.AuditRecord
	txs   int
	panic bool // the next transaction panics
}

func (s *slowStore) AppendAudit(_ context.Context, recs []store.AuditRecord) ([]store.AuditRecord, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.panic {
		s.panic = false
		panic("disk on fire")
	}
	s.txs++
	out := make([]store.AuditRecord, len(recs))
	for i, r := range recs {
		r.Seq = int64(len(s.recs) + 1)
		s.recs = append(s.recs, r)
		out[i] = r
	}
	return out, nil
}

// Every caller gets its own record back, each record is stored once, the
// lead passes on while callers keep arriving, and Close waits for what was
// handed over.
func TestLeaderHandOff(t *testing.T) {
	st := &slowStore{delay: 2 * time.Millisecond}
	w := audit.New(st, audit.Options{MaxBatch: 8})
	const writers, each = 64, 25
	var wg sync.WaitGroup
	var closed atomic.Int64
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				id := fmt.Sprintf("%d/%d", i, j)
				rec, err := w.Write(context.Background(), store.AuditRecord{RequestID: id})
				if errors.Is(err, audit.ErrClosed) {
					closed.Add(1)
					continue
				}
				if err != nil || rec.RequestID != id || rec.Seq == 0 {
					t.Errorf("write %s: %v, got %q seq %d", id, err, rec.RequestID, rec.Seq)
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	w.Close() // while writers are still busy
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range st.recs {
		if seen[r.RequestID] {
			t.Fatalf("record %s stored twice", r.RequestID)
		}
		seen[r.RequestID] = true
	}
	if int64(len(st.recs))+closed.Load() != writers*each {
		t.Errorf("%d stored + %d refused after close, want %d", len(st.recs), closed.Load(), writers*each)
	}
	if closed.Load() == 0 || len(st.recs) == 0 {
		t.Errorf("Close did not land mid-run: %d stored, %d refused", len(st.recs), closed.Load())
	}
	if st.txs >= len(st.recs) {
		t.Errorf("%d transactions for %d records: no group commit", st.txs, len(st.recs))
	}
}

// A store that panics fails that batch's callers; the writer goes on.
func TestStorePanicFailsBatchOnly(t *testing.T) {
	st := &slowStore{panic: true}
	w := audit.New(st, audit.Options{})
	defer w.Close()
	if _, err := w.Write(context.Background(), store.AuditRecord{RequestID: "a"}); err == nil {
		t.Fatal("write in a panicking transaction succeeded")
	}
	rec, err := w.Write(context.Background(), store.AuditRecord{RequestID: "b"})
	if err != nil || rec.Seq != 1 {
		t.Fatalf("write after the panic: %v, seq %d", err, rec.Seq)
	}
}

// A caller whose context has ended hands nothing over.
func TestCancelledContextStoresNothing(t *testing.T) {
	st := &slowStore{}
	w := audit.New(st, audit.Options{})
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Write(ctx, store.AuditRecord{RequestID: "a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(st.recs) != 0 {
		t.Fatalf("%d records stored", len(st.recs))
	}
}
