package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// referenceChainHash is ChainHash through encoding/json alone.
func referenceChainHash(prevHash string, rec AuditRecord) string {
	c := rec
	c.PrevHash, c.Hash = prevHash, ""
	c.Time = rec.Time.UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256(append([]byte(prevHash), canonicalJSON(rec.OrgID, c)...))
	return hex.EncodeToString(sum[:])
}

// TestChainHashMatchesReference checks that the reflection-free encoding
// hashes exactly the bytes encoding/json writes, for strings it must escape
// as well as plain ones, so that chains written before it still verify.
func TestChainHashMatchesReference(t *testing.T) {
	pool := []string{"", "a", "Kåre Ødegård", "§ 2-1a", "<b>", "a&b", "q\"uote", `back\slash`, "tab\t", "nl\n",
		"\x01", "\xff\xfe", "line\u2028sep", "para\u2029", "GET /folkeregister/api/v1/:rolleId/v1/personer/:id",
		"6f1f3f5e-8a4b-4c1e-9f00-0123456789ab", "01010112345", "😀", "\u007f"}
	rng := rand.New(rand.NewPCG(1, 2))
	plainPool := []string{"", "a", "Kåre Ødegård", "§ 2-1a", "01010112345", "😀", "GET /x/:id"}
	pick := func() string {
		if rng.IntN(50) == 0 {
			return pool[rng.IntN(len(pool))]
		}
		return plainPool[rng.IntN(len(plainPool))]
	}
	list := func() []string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		l := make([]string, rng.IntN(5)+1)
		for i := range l {
			l[i] = pick()
		}
		return l
	}
	oslo, _ := time.LoadLocation("Europe/Oslo")
	plain := 0
	for i := range 20000 {
		r := AuditRecord{Seq: rng.Int64N(1 << 40), OrgID: pick(), RequestID: pick(), SubjectKind: pick(), SubjectID: pick(),
			SubjectName: pick(), RoleID: pick(), ServiceArea: pick(), LegalBasis: list(), Purpose: pick(), Action: pick(),
			Persons: list(), Elements: list(), GradedRevealed: rng.IntN(2) == 0, Decision: pick(), Status: rng.IntN(600),
			Reason: pick(), PrevHash: pick(), Hash: pick(),
			Time: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9))}
		if i%3 == 0 {
			r.Time = r.Time.In(oslo)
		}
		if i%50 == 0 {
			r.Criteria = json.RawMessage(`{"navn": "<x>"}`)
		}
		prev := pick()
		if got, want := ChainHash(prev, r), referenceChainHash(prev, r); got != want {
			t.Fatalf("record %d: ChainHash %s, reference %s\n%+v", i, got, want, r)
		}
		c := r
		c.PrevHash, c.Hash, c.Time = prev, "", r.Time.UTC().Truncate(time.Microsecond)
		if _, ok := appendCanonical(nil, r.OrgID, &c); ok {
			plain++
		}
	}
	if plain < 100 {
		t.Fatalf("only %d records took the fast path: the test does not exercise it", plain)
	}
}

func TestAppendPlainJSONList(t *testing.T) {
	for _, l := range [][]string{nil, {}, {"a"}, {"a", "æ", "§ 1"}, {"<"}, {"\xff"}} {
		want, _ := json.Marshal(l)
		got, ok := AppendPlainJSONList(nil, l)
		if ok && string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", l, got, want)
		}
		if !ok && PlainJSONString(l[0]) {
			t.Errorf("%q refused", l)
		}
	}
}

func BenchmarkChainHash(b *testing.B) {
	r := AuditRecord{Seq: 12345, OrgID: "6f1f3f5e-8a4b-4c1e-9f00-0123456789ab", Time: time.Now(), RequestID: "0123456789abcdef01234567",
		SubjectKind: "integration", SubjectID: "7f1f3f5e-8a4b-4c1e-9f00-0123456789ab", SubjectName: "Fagsystem", RoleID: "8f1f3f5e-8a4b-4c1e-9f00-0123456789ab",
		ServiceArea: "helse-omsorg", LegalBasis: []string{"Helse- og omsorgstjenesteloven § 2-1a"}, Purpose: "search",
		Action: "GET /folkeregister/api/v1/:rolleId/v1/personer/:id", Persons: []string{"01010112345"},
		Elements: []string{"identifikasjonsnummer", "navn", "bostedsadresse", "foedsel", "kjoenn", "status", "statsborgerskap", "sivilstand", "doedsfall"},
		Decision: "allow", Status: 200}
	prev := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			ChainHash(prev, r)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			referenceChainHash(prev, r)
		}
	})
}
