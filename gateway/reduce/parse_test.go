package reduce

import (
	"math/rand/v2"
	"testing"
)

// TestSkipPlain holds the eight-bytes-at-a-time scan to the byte table.
func TestSkipPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("aZ09 ~\x7f\"\\\x00\x1f\x80\xc3\xff")
	for range 100000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(8) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = byte(' ' + rng.IntN(0x5f))
			}
		}
		from := 0
		if len(b) > 0 {
			from = rng.IntN(len(b) + 1)
		}
		want := from
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got := skipPlain(b, from); got != want {
			t.Fatalf("skipPlain(%q, %d) = %d, want %d", b, from, got, want)
		}
	}
}

// TestPersonJSONAllocations keeps a lookup to one allocation, its answer.
func TestPersonJSONAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector empties pools at random")
	}
	e := register(t).Examples()
	doc := personDoc(t, e.Fortrolig, allParts)
	r := Rules{Selection: selection(t, allParts), Confidential: true, RevealGraded: true}
	PersonJSON(doc, r) // fill the pool
	if n := testing.AllocsPerRun(100, func() { PersonJSON(doc, r) }); n > 1 {
		t.Errorf("%v allocations per lookup, want 1", n)
	}
}

// TestSchemaField holds schema.field to the fields map: every name is
// found, and no name one byte off, longer or shorter.
func TestSchemaField(t *testing.T) {
	seen := map[*schema]bool{}
	var walk func(s *schema)
	walk = func(s *schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		walk(s.elem)
		for name, fs := range s.fields {
			walk(fs)
			tries := []string{name, name + "x", name[:len(name)-1], "x" + name}
			for i := range name {
				b := []byte(name)
				b[i] ^= 0x20
				tries = append(tries, string(b))
			}
			for _, try := range tries {
				f := s.field([]byte(try))
				want := s.fields[try]
				if f == nil && want != nil || f != nil && (f.sch != want || f.name != try) {
					t.Errorf("field(%q) = %+v, want %v", try, f, want)
				}
			}
		}
	}
	walk(personSchema)
	if len(seen) < 30 {
		t.Fatalf("walked %d schemas", len(seen))
	}
}
