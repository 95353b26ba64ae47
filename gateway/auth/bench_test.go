package auth

import (
	"testing"
	"time"

	"folkevakt/store"
)

// BenchmarkMachine is the per-request cost for a fagsystem whose password is
// already cached: integration lookup in SQLite, RS256 verification, checks.
func BenchmarkMachine(b *testing.B) {
	f := newFixture(b)
	tok, err := MintMaskinportenToken(f.dir, orgNumber, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.a.Machine(f.ctx, f.integ.ID, f.password, tok, testAddr); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEmployee: RS256 verification and the SCIM user lookup by oid.
func BenchmarkEmployee(b *testing.B) {
	f := newFixture(b)
	f.users(store.User{UserName: "kari@storevik.kommune.no", ExternalID: "oid-kari", Active: true})
	tok, err := MintEmployeeToken(f.dir, "kari@storevik.kommune.no", "oid-kari", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.a.Employee(f.ctx, f.org.ID, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
