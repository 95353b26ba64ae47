package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"folkevakt/store"
)

func testChangeHistory(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	start := time.Now().Add(-time.Second)
	actx := store.WithActor(ctx, "admin:kari")
	u, err := tn.CreateUser(actx, store.User{UserName: "historic", DisplayName: "Before"})
	noErr(t, "CreateUser", err)
	_, err = tn.UpdateUser(actx, u.ID, func(x store.User) (store.User, error) {
		x.DisplayName = "After"
		return x, nil
	})
	noErr(t, "UpdateUser", err)
	noErr(t, "DeleteUser", tn.DeleteUser(actx, u.ID))

	cs := changesOf(t, tn, store.ChangeQuery{Entity: store.EntityUser, EntityID: u.ID})
	if len(cs) != 3 {
		t.Fatalf("%d user changes, want 3", len(cs))
	}
	decode := func(b json.RawMessage) store.User {
		var x store.User
		noErr(t, "decode change JSON", json.Unmarshal(b, &x))
		return x
	}
	for i, want := range []string{store.ActionCreate, store.ActionUpdate, store.ActionDelete} {
		c := cs[i]
		if c.Action != want || c.Actor != "admin:kari" || c.OrgID != tn.OrgID() || c.Time.Before(start) {
			t.Fatalf("change %d = %+v, want action %s by admin:kari", i, c, want)
		}
		if i > 0 && c.Seq <= cs[i-1].Seq {
			t.Fatalf("Seq not increasing: %d then %d", cs[i-1].Seq, c.Seq)
		}
	}
	if cs[0].Before != nil || decode(cs[0].After).DisplayName != "Before" {
		t.Fatalf("create change before/after: %s / %s", cs[0].Before, cs[0].After)
	}
	if decode(cs[1].Before).DisplayName != "Before" || decode(cs[1].After).DisplayName != "After" {
		t.Fatalf("update change before/after: %s / %s", cs[1].Before, cs[1].After)
	}
	if decode(cs[2].Before).DisplayName != "After" || cs[2].After != nil {
		t.Fatalf("delete change before/after: %s / %s", cs[2].Before, cs[2].After)
	}

	// Without an actor the store records "system".
	newUser(t, tn, "plain")
	sys := changesOf(t, tn, store.ChangeQuery{Actor: "admin:kari"})
	if len(sys) != 3 {
		t.Fatalf("ChangeQuery.Actor: %d changes, want 3", len(sys))
	}
	p, err := tn.ListChanges(ctx, store.ChangeQuery{Count: 2})
	noErr(t, "ListChanges", err)
	if len(p.Items) != 2 || p.Items[0].Seq < p.Items[1].Seq || p.Total < 4 {
		t.Fatalf("ListChanges not newest first or wrong total: %+v", p)
	}
	p, err = tn.ListChanges(ctx, store.ChangeQuery{To: start})
	noErr(t, "ListChanges To", err)
	if p.Total != 0 {
		t.Fatalf("ListChanges before start: %d", p.Total)
	}
	p, err = tn.ListChanges(ctx, store.ChangeQuery{From: start, Entity: store.EntityUser})
	noErr(t, "ListChanges From", err)
	if p.Total != 4 {
		t.Fatalf("ListChanges From: %d, want 4", p.Total)
	}
}

func testOnChange(t *testing.T, s store.Store) {
	var mu sync.Mutex
	var seen []store.Change
	s.OnChange(func(c store.Change) {
		mu.Lock()
		seen = append(seen, c)
		mu.Unlock()
	})
	tn := newOrg(t, s)
	u := newUser(t, tn, "hooked")
	mu.Lock()
	n := len(seen)
	last := seen[n-1]
	mu.Unlock()
	if last.Entity != store.EntityUser || last.EntityID != u.ID || last.Action != store.ActionCreate {
		t.Fatalf("hook not called before CreateUser returned; last = %+v", last)
	}
	// No-op calls fire nothing.
	_, err := tn.RemoveMembers(ctx, newGroup(t, tn, "g").ID, []string{u.ID})
	noErr(t, "RemoveMembers", err)
	mu.Lock()
	if len(seen) != n+1 {
		t.Fatalf("no-op RemoveMembers fired hooks: %d → %d", n, len(seen))
	}
	mu.Unlock()

	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 5 {
				if _, err := tn.CreateUser(ctx, store.User{UserName: fmt.Sprintf("c%d-%d", w, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(seen); i++ {
		if seen[i].Seq <= seen[i-1].Seq {
			t.Fatalf("hook order: Seq %d after %d", seen[i].Seq, seen[i-1].Seq)
		}
	}
	feed, err := s.ChangesSince(ctx, 0, 1000)
	noErr(t, "ChangesSince", err)
	if len(feed) != len(seen) {
		t.Fatalf("hooks saw %d changes, feed has %d", len(seen), len(feed))
	}
	for i := range feed {
		if feed[i].Seq != seen[i].Seq || feed[i].EntityID != seen[i].EntityID {
			t.Fatalf("hook %d = %+v, feed = %+v", i, seen[i], feed[i])
		}
	}
	part, err := s.ChangesSince(ctx, feed[2].Seq, 2)
	noErr(t, "ChangesSince limit", err)
	if len(part) != 2 || part[0].Seq != feed[3].Seq {
		t.Fatalf("ChangesSince(after, 2) = %+v", part)
	}
}

func testAudit(t *testing.T, s store.Store) {
	a, b := newOrg(t, s), newOrg(t, s)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	rec := func(org store.Tenant, person, subject, decision string, at time.Time) store.AuditRecord {
		return store.AuditRecord{OrgID: org.OrgID(), Time: at, RequestID: "req", SubjectKind: store.SubjectUser,
			SubjectID: subject, RoleID: "role-1", ServiceArea: "skole", LegalBasis: []string{"§ 10-2"},
			Purpose: store.PurposeSearch, Action: "person", Persons: []string{person}, Elements: []string{"navn"},
			Criteria: json.RawMessage(`{"kommunenummer": "0301"}`), Decision: decision, Status: 200}
	}
	out, err := s.AppendAudit(ctx, []store.AuditRecord{
		rec(a, "01010112345", "u1", store.DecisionAllow, t0),
		rec(b, "01010112345", "u9", store.DecisionAllow, t0),
		rec(a, "02020212345", "u2", store.DecisionDeny, t0.Add(time.Minute)),
	})
	noErr(t, "AppendAudit", err)
	if out[0].Seq != 1 || out[1].Seq != 1 || out[2].Seq != 2 || out[0].PrevHash != "" || out[2].PrevHash != out[0].Hash {
		t.Fatalf("per-organisation chain: %+v", out)
	}
	if !out[0].Time.Equal(t0.Truncate(time.Microsecond)) || out[0].Time.Location() != time.UTC {
		t.Fatalf("Time not truncated to µs UTC: %v", out[0].Time)
	}
	_, err = s.AppendAudit(ctx, []store.AuditRecord{
		rec(a, "03030312345", "u1", store.DecisionAllow, time.Time{}),
		rec(a, "01010112345", "u3", store.DecisionAllow, t0.Add(2*time.Minute)),
	})
	noErr(t, "AppendAudit 2", err)
	// A batch with one bad record stores nothing.
	_, err = s.AppendAudit(ctx, []store.AuditRecord{rec(a, "x", "u1", store.DecisionAllow, t0),
		{OrgID: "no-such-org", Decision: store.DecisionAllow}})
	wantErr(t, "AppendAudit unknown organisation", err, store.ErrNotFound)

	var chain []store.AuditRecord
	noErr(t, "ScanAudit", a.ScanAudit(ctx, 0, func(r store.AuditRecord) error {
		chain = append(chain, r)
		return nil
	}))
	if len(chain) != 4 {
		t.Fatalf("ScanAudit: %d records, want 4", len(chain))
	}
	prev := ""
	for i, r := range chain {
		if r.Seq != int64(i+1) || r.PrevHash != prev || store.ChainHash(prev, r) != r.Hash {
			t.Fatalf("record %d breaks the chain: %+v", i, r)
		}
		prev = r.Hash
	}
	if string(chain[0].Criteria) != `{"kommunenummer": "0301"}` || chain[0].Persons[0] != "01010112345" {
		t.Fatalf("record did not round-trip: %+v", chain[0])
	}
	var after []int64
	noErr(t, "ScanAudit after", a.ScanAudit(ctx, 2, func(r store.AuditRecord) error {
		after = append(after, r.Seq)
		return nil
	}))
	if fmt.Sprint(after) != "[3 4]" {
		t.Fatalf("ScanAudit(after 2) = %v", after)
	}
	err = a.ScanAudit(ctx, 0, func(store.AuditRecord) error { return errStop })
	if !errors.Is(err, errStop) {
		t.Fatalf("ScanAudit did not return fn's error: %v", err)
	}

	for _, q := range []struct {
		q    store.AuditQuery
		want string
	}{
		{store.AuditQuery{}, "[4 3 2 1]"},
		{store.AuditQuery{Person: "01010112345"}, "[4 1]"},
		{store.AuditQuery{SubjectID: "u1"}, "[3 1]"},
		{store.AuditQuery{Decision: store.DecisionDeny}, "[2]"},
		{store.AuditQuery{RoleID: "other"}, "[]"},
		{store.AuditQuery{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, "[2]"},
		{store.AuditQuery{Count: 2, StartIndex: 2}, "[3 2]"},
	} {
		p, err := a.ListAudit(ctx, q.q)
		noErr(t, "ListAudit", err)
		var seqs []int64
		for _, r := range p.Items {
			seqs = append(seqs, r.Seq)
		}
		if seqs == nil {
			seqs = []int64{}
		}
		if fmt.Sprint(seqs) != q.want {
			t.Fatalf("ListAudit(%+v) = %v, want %s", q.q, seqs, q.want)
		}
	}
	p, err := b.ListAudit(ctx, store.AuditQuery{Person: "01010112345"})
	noErr(t, "ListAudit b", err)
	if p.Total != 1 || p.Items[0].SubjectID != "u9" {
		t.Fatalf("org b audit = %+v", p)
	}
}

func testListOrders(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	other := newOrg(t, s)
	o, err := tn.CreateListOrder(ctx, store.ListOrder{RoleID: "r", SubjectKind: store.SubjectUser, SubjectID: "u1",
		Criteria: json.RawMessage(`{"foedselsaarFraOgMed":2010}`), Elements: []string{"navn"}, Format: "csv"})
	noErr(t, "CreateListOrder", err)
	if o.Status != store.OrderQueued || o.ID == "" {
		t.Fatalf("CreateListOrder = %+v", o)
	}
	_, err = tn.CreateListOrder(ctx, store.ListOrder{RoleID: "r", Criteria: json.RawMessage(`nope`)})
	wantErr(t, "CreateListOrder bad criteria", err, store.ErrInvalid)
	o2, err := other.CreateListOrder(ctx, store.ListOrder{RoleID: "r", SubjectKind: store.SubjectIntegration, SubjectID: "i1", Format: "xlsx"})
	noErr(t, "CreateListOrder other", err)

	unfinished, err := s.UnfinishedListOrders(ctx)
	noErr(t, "UnfinishedListOrders", err)
	if len(unfinished) != 2 {
		t.Fatalf("UnfinishedListOrders: %d", len(unfinished))
	}
	expires := time.Now().Add(time.Hour)
	done, err := tn.UpdateListOrder(ctx, o.ID, func(x store.ListOrder) (store.ListOrder, error) {
		now := time.Now()
		x.Status, x.Done, x.Total, x.Rows, x.File, x.FinishedAt, x.ExpiresAt = store.OrderDone, 10, 10, 42, "f.csv", &now, &expires
		return x, nil
	})
	noErr(t, "UpdateListOrder", err)
	got, err := tn.GetListOrder(ctx, o.ID)
	noErr(t, "GetListOrder", err)
	if got.Status != store.OrderDone || got.Rows != 42 || got.File != "f.csv" || got.FinishedAt == nil ||
		!got.ExpiresAt.Equal(*done.ExpiresAt) || string(got.Criteria) != `{"foedselsaarFraOgMed":2010}` {
		t.Fatalf("GetListOrder = %+v", got)
	}
	_, err = tn.GetListOrder(ctx, o2.ID)
	wantErr(t, "GetListOrder of another organisation", err, store.ErrNotFound)
	list, err := tn.ListListOrders(ctx, store.ListOrderQuery{Status: store.OrderDone})
	noErr(t, "ListListOrders", err)
	if len(list) != 1 || list[0].ID != o.ID {
		t.Fatalf("ListListOrders = %+v", list)
	}
	list, err = tn.ListListOrders(ctx, store.ListOrderQuery{SubjectID: "u2"})
	noErr(t, "ListListOrders", err)
	if len(list) != 0 {
		t.Fatalf("ListListOrders(u2) = %+v", list)
	}
	expired, err := s.ExpiredListOrders(ctx, expires.Add(time.Second))
	noErr(t, "ExpiredListOrders", err)
	if len(expired) != 1 || expired[0].ID != o.ID {
		t.Fatalf("ExpiredListOrders = %+v", expired)
	}
	expired, err = s.ExpiredListOrders(ctx, expires.Add(-time.Second))
	noErr(t, "ExpiredListOrders early", err)
	if len(expired) != 0 {
		t.Fatalf("ExpiredListOrders before expiry = %+v", expired)
	}
	_, err = tn.UpdateListOrder(ctx, o.ID, func(x store.ListOrder) (store.ListOrder, error) {
		x.Status, x.File = store.OrderExpired, ""
		return x, nil
	})
	noErr(t, "UpdateListOrder expired", err)
	expired, err = s.ExpiredListOrders(ctx, expires.Add(time.Second))
	noErr(t, "ExpiredListOrders after cleanup", err)
	if len(expired) != 0 {
		t.Fatalf("ExpiredListOrders after cleanup = %+v", expired)
	}
}

func testExtractJobs(t *testing.T, s store.Store) {
	tn := newOrg(t, s)
	other := newOrg(t, s)
	expires := time.Now().Add(time.Hour)
	j, err := tn.RecordExtractJob(ctx, store.ExtractJob{ID: "job-1", RoleID: "r1", ExpiresAt: expires})
	noErr(t, "RecordExtractJob", err)
	if j.OrgID != tn.OrgID() || j.CreatedAt.IsZero() {
		t.Fatalf("RecordExtractJob = %+v", j)
	}
	got, err := tn.GetExtractJob(ctx, "job-1")
	noErr(t, "GetExtractJob", err)
	if got.RoleID != "r1" || !got.ExpiresAt.Equal(expires.Truncate(time.Microsecond)) {
		t.Fatalf("GetExtractJob = %+v", got)
	}
	_, err = other.GetExtractJob(ctx, "job-1")
	wantErr(t, "GetExtractJob of another organisation's job", err, store.ErrNotFound)
	_, err = other.RecordExtractJob(ctx, store.ExtractJob{ID: "job-1", RoleID: "r2", ExpiresAt: expires})
	wantErr(t, "RecordExtractJob of a known id", err, store.ErrConflict)
	_, err = tn.GetExtractJob(ctx, "nope")
	wantErr(t, "GetExtractJob unknown", err, store.ErrNotFound)
	_, err = tn.RecordExtractJob(ctx, store.ExtractJob{ID: "job-x", ExpiresAt: expires})
	wantErr(t, "RecordExtractJob without role", err, store.ErrInvalid)

	// An expired job is not handed out, and the next record purges it.
	_, err = tn.RecordExtractJob(ctx, store.ExtractJob{ID: "job-old", RoleID: "r1", ExpiresAt: time.Now().Add(-time.Minute)})
	noErr(t, "RecordExtractJob expired", err)
	_, err = tn.GetExtractJob(ctx, "job-old")
	wantErr(t, "GetExtractJob expired", err, store.ErrNotFound)
	_, err = other.RecordExtractJob(ctx, store.ExtractJob{ID: "job-old", RoleID: "r2", ExpiresAt: expires})
	noErr(t, "RecordExtractJob reusing an expired id", err)
	got, err = other.GetExtractJob(ctx, "job-old")
	noErr(t, "GetExtractJob reused id", err)
	if got.RoleID != "r2" {
		t.Fatalf("reused id belongs to %+v", got)
	}
}
