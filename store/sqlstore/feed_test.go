package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"folkevakt/store"
)

// seqRecorder collects the Seqs a store's hooks see.
type seqRecorder struct {
	mu   sync.Mutex
	seqs []int64
}

func (r *seqRecorder) hook(c store.Change) {
	r.mu.Lock()
	r.seqs = append(r.seqs, c.Seq)
	r.mu.Unlock()
}

func (r *seqRecorder) last() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seqs) == 0 {
		return 0
	}
	return r.seqs[len(r.seqs)-1]
}

// waitFor waits until the recorder has seen seq.
func (r *seqRecorder) waitFor(t *testing.T, seq int64, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for r.last() < seq {
		if time.Since(start) > within {
			t.Fatalf("change %d not delivered within %s (last %d)", seq, within, r.last())
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// Two instances on one database: what either writes reaches the other's
// hooks at once (NOTIFY), both see one gap-free sequence in commit order,
// and a listener whose connection is killed reconnects and misses nothing.
func TestPostgresChangeFeed(t *testing.T) {
	url := newPostgresStore(t).url
	ctx := context.Background()
	a, b := openPostgres(t, url), openPostgres(t, url)
	var seenA, seenB seqRecorder
	a.OnChange(seenA.hook)
	b.OnChange(seenB.hook)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, s := range []*Store{a, b} {
		if err := s.Follow(runCtx); err != nil {
			t.Fatal(err)
		}
	}
	org, err := a.CreateOrganisation(ctx, store.Organisation{OrgNumber: "921000006", Name: "Storevik", Kommunenummer: []string{"4627"}})
	if err != nil {
		t.Fatal(err)
	}
	tb := b.Tenant(org.ID)
	u, err := tb.CreateUser(ctx, store.User{UserName: "kari", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	last := lastSeq(t, a)
	if d := seenA.waitFor(t, last, time.Second); d > time.Second {
		t.Fatalf("delivery took %s", d)
	}

	// Writers on both instances at once.
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn := s.Tenant(org.ID)
			for j := range 10 {
				if _, err := tn.CreateGroup(ctx, store.Group{DisplayName: fmt.Sprintf("g%d-%d", i, j)}, []string{u.ID}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	last = lastSeq(t, a)
	seenA.waitFor(t, last, 2*time.Second)
	seenB.waitFor(t, last, 2*time.Second)
	all := allSeqs(t, a)
	for name, r := range map[string]*seqRecorder{"A": &seenA, "B": &seenB} {
		r.mu.Lock()
		got := r.seqs
		r.mu.Unlock()
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Fatalf("instance %s saw %v, the log holds %v", name, got, all)
		}
	}

	// Kill A's listening connection: it reconnects and resyncs.
	if _, err := b.w.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.UpdateUser(ctx, u.ID, func(x store.User) (store.User, error) { x.Active = false; return x, nil }); err != nil {
		t.Fatal(err)
	}
	seenA.waitFor(t, lastSeq(t, a), 10*time.Second)
	if st := a.FeedStats(); !st.Following || st.Resyncs < 2 {
		t.Fatalf("feed stats after reconnect: %+v", st)
	}
}

func lastSeq(t *testing.T, s *Store) int64 {
	t.Helper()
	var n int64
	if err := s.r.Get(&n, "SELECT MAX(seq) FROM changes"); err != nil {
		t.Fatal(err)
	}
	return n
}

func allSeqs(t *testing.T, s *Store) []int64 {
	t.Helper()
	var seqs []int64
	if err := s.r.Select(&seqs, "SELECT seq FROM changes ORDER BY seq"); err != nil {
		t.Fatal(err)
	}
	return seqs
}
