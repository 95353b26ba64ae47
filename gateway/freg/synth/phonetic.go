package synth

import "strings"

// phoneticRules map Norwegian spelling variants to one form, applied in
// order on lower-case text.
var phoneticRules = strings.NewReplacer(
	"aa", "o", "å", "o", "æ", "e", "ø", "o", "é", "e", "ü", "y",
	"sch", "s", "skj", "s", "sj", "s", "kj", "k", "ch", "k", "ck", "k",
	"ph", "f", "th", "t", "dt", "t", "hj", "j", "hv", "v", "gj", "j",
	"ie", "i", "c", "k", "q", "k", "w", "v", "z", "s", "x", "ks", "y", "i",
)

// phonetic returns a simple Norwegian phonetic key of one word: spelling
// variants merged and doubled letters collapsed, so that Christiansen,
// Kristianssen and Kristiansen share a key.
func phonetic(word string) string {
	s := phoneticRules.Replace(strings.ToLower(word))
	var b strings.Builder
	var prev rune
	for _, c := range s {
		if c != prev {
			b.WriteRune(c)
		}
		prev = c
	}
	return b.String()
}

// words splits a name or query into lower-case whole words.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == ',' || r == '.'
	})
}
