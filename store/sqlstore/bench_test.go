package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"folkevakt/store"
)

// Run: go test -run '^$' -bench . -benchtime 2s ./store/sqlstore

// seedUsers inserts n users in one transaction through the real insert
// path and returns their ids.
func seedUsers(b *testing.B, s *Store, org string, n int) []string {
	b.Helper()
	ids := make([]string, n)
	err := s.write(context.Background(), "seed", func(w *wtx) error {
		for i := range n {
			name := fmt.Sprintf("user%06d@kommune.no", i)
			u := store.User{ID: s.newID(), OrgID: org, UserName: name, DisplayName: fmt.Sprintf("User %d", i),
				ExternalID: fmt.Sprintf("oid-%d", i), Active: true,
				Attributes: json.RawMessage(`{"userName":"` + name + `","emails":[{"value":"` + name + `","type":"work"}]}`)}
			if err := insertUser(w, &u); err != nil {
				return err
			}
			ids[i] = u.ID
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

func benchOrg(b *testing.B, s *Store) string {
	b.Helper()
	o, err := s.CreateOrganisation(context.Background(), store.Organisation{OrgNumber: "910000002", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	return o.ID
}

// reportP99 reports the 99th percentile of the measured latencies.
func reportP99(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
	}
}

// BenchmarkUserNameLookup is Entra's provisioning probe (userName eq, any
// case) against 100,000 users. Target p99 ≤ 5 ms.
func BenchmarkUserNameLookup(b *testing.B) {
	s := newStore(b)
	org := benchOrg(b, s)
	const n = 100_000
	seedUsers(b, s, org, n)
	tn := s.Tenant(org)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("USER%06d@Kommune.no", (i*7919)%n)
		start := time.Now()
		p, err := tn.ListUsers(ctx, store.ListQuery{Filter: &store.Filter{Op: store.OpEq, Attr: "userName", Value: name}})
		lat = append(lat, time.Since(start))
		if err != nil || p.Total != 1 {
			b.Fatalf("lookup %s: %v, %d matches", name, err, p.Total)
		}
		i++
	}
	reportP99(b, lat)
}

// BenchmarkAddMember adds one member to a 50,000-member group (a durable
// commit each). Target ≤ 5 ms.
func BenchmarkAddMember(b *testing.B) {
	s := newStore(b)
	org := benchOrg(b, s)
	const members = 50_000
	ids := seedUsers(b, s, org, members+1)
	tn := s.Tenant(org)
	ctx := context.Background()
	g, err := tn.CreateGroup(ctx, store.Group{DisplayName: "Alle ansatte"}, ids[:members])
	if err != nil {
		b.Fatal(err)
	}
	extra := ids[members:]
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		added, err := tn.AddMembers(ctx, g.ID, extra)
		lat = append(lat, time.Since(start))
		if err != nil || len(added) != 1 {
			b.Fatalf("AddMembers: %v, added %v", err, added)
		}
		b.StopTimer()
		if _, err := tn.RemoveMembers(ctx, g.ID, extra); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportP99(b, lat)
}

// BenchmarkAppendAudit appends batches of audit records to one
// organisation's chain. cpu-µs/batch is the process's CPU time (user and
// system, so the kernel's share of fsync and writeback too) per batch.
// On PostgreSQL the records travel as multi-row INSERTs too; run with
// PGTEST_FSYNC=on for commits as durable as SQLite's.
func BenchmarkAppendAudit(b *testing.B) {
	engines := []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", newStore}, {"postgres", newPostgresStore}}
	for _, e := range engines {
		for _, size := range []int{1, 8, 64, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", e.name, size), func(b *testing.B) { benchAppendAudit(b, e.open(b), size) })
		}
	}
}

func benchAppendAudit(b *testing.B, s *Store, size int) {
	{
		{
			org := benchOrg(b, s)
			batch := make([]store.AuditRecord, size)
			for i := range batch {
				batch[i] = store.AuditRecord{OrgID: org, RequestID: "req", SubjectKind: store.SubjectUser,
					SubjectID: "u1", RoleID: "r1", Action: "person", Persons: []string{"01010112345"},
					Elements: []string{"navn", "bostedsadresse"}, Decision: store.DecisionAllow, Status: 200}
			}
			ctx := context.Background()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := s.AppendAudit(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/batch")
			b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		}
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPolicySnapshotPostgres reads the policy snapshot the engine
// loads at start, at the scale (100,000 users, 5,000 groups,
// 500,000 memberships), from PostgreSQL. The rows are generated in SQL.
func BenchmarkPolicySnapshotPostgres(b *testing.B) {
	s := newPostgresStore(b)
	org := benchOrg(b, s)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO users (id, org_id, user_name, user_name_ci, external_id, display_name, display_name_ci, active,
			attributes, version, created_at, updated_at)
			SELECT 'u' || n, $1, 'user' || n, 'user' || n, '', '', '', true, NULL, 1, n, n FROM generate_series(1, 100000) n`,
		`INSERT INTO groups (id, org_id, display_name, display_name_ci, external_id, attributes, version, created_at, updated_at)
			SELECT 'g' || n, $1, 'group' || n, 'group' || n, '', NULL, 1, n, n FROM generate_series(1, 5000) n`,
		`INSERT INTO memberships (org_id, group_id, user_id)
			SELECT $1, 'g' || (1 + (n * 7 + k * 1009) % 5000), 'u' || n FROM generate_series(1, 100000) n, generate_series(0, 4) k
			ON CONFLICT DO NOTHING`,
	} {
		if _, err := s.w.ExecContext(ctx, q, org); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		snap, err := s.Tenant(org).PolicySnapshot(ctx)
		if err != nil || len(snap.ActiveUsers) != 100000 || len(snap.Memberships) < 490000 {
			b.Fatalf("snapshot: %v, %d users, %d memberships", err, len(snap.ActiveUsers), len(snap.Memberships))
		}
	}
}
