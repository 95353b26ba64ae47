package policy

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// benchSnapshot builds the target policy: users, groups, roles with
// 25 elements each, memberships, one group grant per role.
func benchSnapshot(users, groups, roles, memberships int) store.PolicySnapshot {
	rng := rand.New(rand.NewPCG(1, 2))
	snap := store.PolicySnapshot{ServiceAreas: store.BuiltinServiceAreas()}
	id := func(kind string, i int) string { return fmt.Sprintf("%s-%08d-0000-0000-0000-000000000000", kind, i) }
	for i := range users {
		snap.ActiveUsers = append(snap.ActiveUsers, id("u", i))
	}
	var nonConfidential []string
	for _, e := range freg.Elements {
		if !e.Confidential && e.Name != freg.ElementHistorikk {
			nonConfidential = append(nonConfidential, e.Name)
		}
	}
	for i := range roles {
		snap.Roles = append(snap.Roles, store.Role{ID: id("r", i), Name: "r", ServiceAreaID: "stotte",
			Purposes: []string{store.PurposeSearch, store.PurposeEvents}, Elements: nonConfidential})
		snap.Grants = append(snap.Grants, store.Grant{ID: id("gr", i), RoleID: id("r", i), Kind: store.SubjectGroup, SubjectID: id("g", i%groups)})
	}
	for i := range memberships {
		snap.Memberships = append(snap.Memberships, store.Membership{GroupID: id("g", rng.IntN(groups)), UserID: id("u", i%users)})
	}
	return snap
}

func newBenchEngine(tb testing.TB) *Engine {
	text, err := os.ReadFile("../model.conf")
	if err != nil {
		tb.Fatal(err)
	}
	return &Engine{opts: Options{Model: string(text), Now: time.Now}, orgs: map[string]*orgPolicy{}}
}

// BenchmarkDecide measures Decide as the gateway calls it (decision cache on)
// and, as users=…/uncached, one Casbin evaluation per query.
func BenchmarkDecide(b *testing.B) {
	const users, groups, roles, memberships = 100000, 10000, 1000, 500000
	b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchDecide(b, users, groups, roles, memberships, false) })
	b.Run(fmt.Sprintf("users=%d/uncached", users), func(b *testing.B) { benchDecide(b, users, groups, roles, memberships, true) })
}

func benchDecide(b *testing.B, users, groups, roles, memberships int, uncached bool) {
	{
		e := newBenchEngine(b)
		e.opts.NoDecisionCache = uncached
		snap := benchSnapshot(users, groups, roles, memberships)
		op, err := e.build(snap)
		if err != nil {
			b.Fatal(err)
		}
		e.orgs["org"] = op
		// Queries for members of granted groups, so the allow path is measured.
		var queries []Query
		for _, m := range snap.Memberships {
			gi := 0
			fmt.Sscanf(m.GroupID, "g-%08d", &gi)
			if gi >= roles {
				continue // only the first `roles` groups hold a grant
			}
			if len(queries) == 4096 {
				break
			}
			queries = append(queries, Query{Subject: Subject{store.SubjectUser, m.UserID}, RoleID: fmt.Sprintf("r-%08d-0000-0000-0000-000000000000", gi%roles),
				Purpose: store.PurposeSearch, Elements: []string{"identifikasjonsnummer", "navn", "bostedsadresse", "foedsel", "kjoenn"}})
		}
		allowed := 0
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			qq := queries[i%len(queries)]
			t0 := time.Now()
			d := e.Decide("org", qq)
			lat = append(lat, time.Since(t0))
			if d.Allowed {
				allowed++
			}
		}
		b.StopTimer()
		if allowed == 0 {
			b.Fatal("no query was allowed: the benchmark measures nothing useful")
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

func BenchmarkLoad(b *testing.B) {
	const users, groups, roles, memberships = 100000, 10000, 1000, 500000
	b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			snap := benchSnapshot(users, groups, roles, memberships)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			e := newBenchEngine(b)
			b.StartTimer()
			op, err := e.build(snap)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MiB")
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "retained-MiB")
			runtime.KeepAlive(op)
		}
	})
}
