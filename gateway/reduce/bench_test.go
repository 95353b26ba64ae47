package reduce

import "testing"

// BenchmarkPersonJSON reduces person documents as the upstream sends them,
// for the lookups the gateway serves most: an ordinary person's
// person-basis, a fortrolig person (graded addresses, with and without the
// reveal rule), every part with history, and a mix of the population.
func BenchmarkPersonJSON(b *testing.B) { benchmarkPersonJSON(b, PersonJSON) }

// BenchmarkPersonJSONBefore is BenchmarkPersonJSON on the implementation
// before the single-pass rewrite (old_test.go), to compare the two in one
// run on a busy machine.
func BenchmarkPersonJSONBefore(b *testing.B) { benchmarkPersonJSON(b, oldPersonJSON) }

func benchmarkPersonJSON(b *testing.B, personJSON func([]byte, Rules) ([]byte, bool, error)) {
	e := register(b).Examples()
	basis := selection(b, nil)
	all := selection(b, allParts)
	// The example with the largest all-parts document.
	var rich []byte
	for _, id := range exampleIDs(b) {
		if d := personDoc(b, id, allParts); len(d) > len(rich) {
			rich = d
		}
	}
	type input struct {
		doc   []byte
		rules Rules
	}
	cases := []struct {
		name   string
		inputs []input
	}{
		{"ordinary/person-basis", []input{{personDoc(b, e.Ordinary, nil), Rules{Selection: basis}}}},
		{"fortrolig/person-basis", []input{{personDoc(b, e.Fortrolig, nil), Rules{Selection: basis}}}},
		{"fortrolig/person-basis/reveal", []input{{personDoc(b, e.Fortrolig, nil), Rules{Selection: basis, Confidential: true, RevealGraded: true}}}},
		{"strengt-fortrolig/person-basis", []input{{personDoc(b, e.StrengtFortrolig, nil), Rules{Selection: basis}}}},
		{"all-parts/historikk", []input{{rich, Rules{Selection: all, Confidential: true, RevealGraded: true}}}},
		{"population/person-basis", func() []input {
			var in []input
			for _, id := range populationIDs(b, 200) {
				in = append(in, input{personDoc(b, id, nil), Rules{Selection: basis}})
			}
			return in
		}()},
	}
	for _, c := range cases {
		size := 0
		for _, in := range c.inputs {
			size += len(in.doc)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size / len(c.inputs)))
			i := 0
			for b.Loop() {
				in := c.inputs[i%len(c.inputs)]
				i++
				if _, _, err := personJSON(in.doc, in.rules); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
