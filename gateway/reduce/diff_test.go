package reduce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
)

// The differential tests hold PersonJSON to oldPersonJSON (old_test.go):
// same bytes, same revealed, an error exactly when the old one errs.

// sameAsOld reports how PersonJSON differs from oldPersonJSON on doc and r,
// or "" when it does not.
func sameAsOld(doc []byte, r Rules) string {
	orig := bytes.Clone(doc)
	wantOut, wantRev, wantErr := oldPersonJSON(doc, r)
	gotOut, gotRev, gotErr := PersonJSON(doc, r)
	switch {
	case !bytes.Equal(doc, orig):
		return "document modified"
	case (gotErr != nil) != (wantErr != nil):
		return fmt.Sprintf("error %v, want %v (old output %.300s)", gotErr, wantErr, wantOut)
	case gotErr != nil && !errors.Is(gotErr, ErrMalformed):
		return fmt.Sprintf("error %v, want ErrMalformed", gotErr)
	case gotRev != wantRev:
		return fmt.Sprintf("revealed %v, want %v", gotRev, wantRev)
	case !bytes.Equal(gotOut, wantOut) || (gotOut == nil) != (wantOut == nil):
		return fmt.Sprintf("output\n%s\nwant\n%s", gotOut, wantOut)
	}
	return ""
}

// quick is set by -short and under the race detector (which slows the old
// implementation twentyfold): the tests then read fewer documents.
func quick() bool { return testing.Short() || raceEnabled }

func checkSame(t *testing.T, what string, doc []byte, rules ...Rules) {
	t.Helper()
	for _, r := range rules {
		if d := sameAsOld(doc, r); d != "" {
			t.Errorf("%s, rules %+v, document\n%.2000q\n%s", what, r, doc, d)
			return
		}
	}
}

// testSelections are selections of different parts: person-basis, every
// element, single elements and the address group.
func testSelections(tb testing.TB) []freg.Selection {
	parts := [][]string{
		nil,
		allParts,
		{"status"},
		{"navn", "bostedsadresse", "status"},
		{"bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet", "preferertKontaktadresse", "adressebeskyttelse"},
		{"innflytting", "utflytting", "doedsfall", "falskIdentitet"},
		{freg.PartRelasjonUtvidet},
	}
	var out []freg.Selection
	for _, p := range parts {
		s := selection(tb, p)
		s.Historikk = false
		out = append(out, s)
	}
	// Nothing at all, and a hand-made (unsorted) one: both paths must ask
	// Selection.Contains alike.
	out = append(out, freg.Selection{}, freg.Selection{Elements: []string{"status", "navn", "bostedsadresse"}})
	return out
}

// allRules is every selection with and without historikk, confidential
// access and the reveal rule.
func allRules(tb testing.TB) []Rules {
	var out []Rules
	for _, s := range testSelections(tb) {
		for bits := range 8 {
			s := s
			s.Historikk = bits&1 != 0
			out = append(out, Rules{Selection: s, Confidential: bits&2 != 0, RevealGraded: bits&4 != 0})
		}
	}
	return out
}

// fewRules are what mutated documents are reduced with.
func fewRules(tb testing.TB) []Rules {
	basis, all := selection(tb, nil), selection(tb, allParts)
	basisHist := basis
	basisHist.Historikk = true
	allNow := all
	allNow.Historikk = false
	return []Rules{
		{Selection: basis},
		{Selection: all, Confidential: true, RevealGraded: true},
		{Selection: allNow, Confidential: true},
		{Selection: basisHist, RevealGraded: true},
	}
}

// baseDocs are real documents: the example persons with person-basis,
// every part with and without history.
func baseDocs(tb testing.TB) [][]byte {
	allNow := allParts[:0:0]
	for _, p := range allParts {
		if p != freg.PartHistorikk {
			allNow = append(allNow, p)
		}
	}
	var docs [][]byte
	for _, id := range exampleIDs(tb) {
		for _, parts := range [][]string{nil, allParts, allNow} {
			docs = append(docs, personDoc(tb, id, parts))
		}
	}
	return docs
}

func TestPersonJSONSameAsOldOnRegister(t *testing.T) {
	rules := allRules(t)
	for i, doc := range baseDocs(t) {
		checkSame(t, fmt.Sprint("example document ", i), doc, rules...)
	}
	n := 300
	if quick() {
		n = 30
	}
	for _, id := range populationIDs(t, n) {
		for _, parts := range [][]string{nil, allParts} {
			checkSame(t, id, personDoc(t, id, parts), rules...)
		}
	}
}

// TestPersonJSONSameAsOldHandMade covers what an upstream should never
// send, each a case the rewrite could get subtly wrong.
func TestPersonJSONSameAsOldHandMade(t *testing.T) {
	deep := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	addr := `{"erGjeldende":true,"adressegradering":"ugradert","vegadresse":{"adressenavn":"Gata"}}`
	docs := []string{
		``, ` `, `null`, `[]`, `"x"`, `1`, `{}`, ` {} `, "\t\n\r{\t\n\r}\t\n\r", `{}{}`, `{} x`, `{},`, `{`, `}`,
		"\ufeff{}", "{}\x00", "{\f}", "{\v}", "{\u00a0}",
		`{"navn":null}`, `{"navn":[]}`, `{"navn":[null]}`, `{"navn":[1]}`, `{"navn":[[]]}`, `{"navn":[{}]}`,
		`{"navn":{}}`, `{"navn":"x"}`, `{"navn":1}`, `{"navn":true}`,
		`{"doedsfall":null}`, `{"doedsfall":{}}`, `{"doedsfall":[]}`, `{"doedsfall":{"erGjeldende":true,"doedsdato":"2020-01-01"}}`,
		`{"doedsfall":{"erGjeldende":"true"}}`, `{"doedsfall":{"x":1}}`, `{"falskIdentitet":{"erFalsk":true,"rettIdentitetVedOpplysninger":{"personnavn":{"fornavn":"A"},"statsborgerskap":["NOR"]}}}`,
		`{"falskIdentitet":{"erFalsk":true,"rettIdentitetVedOpplysninger":{"personnavn":{"fornavn":"A"},"statsborgerskap":[1]}}}`,
		`{"ukjent":1,"navn":[{"erGjeldende":true,"fornavn":"A"}]}`,
		`{"n\u0061vn":[{"erGjeldende":true,"fornavn":"A"}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A"}],"n\u0061vn":[]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A"}],"navn":[]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","fornavn":"B"}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","f\u006frnavn":"B"}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":{"fornavn":"B","fornavn":"C"}}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":{"fornavn":"B","fornav\u006e":"C"}}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":{"fornavn":"B","Fornavn":"C"}}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":{"fornavn":"B","x":{"a":1,"a":2}}}]}`,
		`{"ukjent":{"a":1,"\u0061":2}}`, `{"ukjent":{"a":1,"b":{"a":1}}}`, `{"ukjent":[{"a":1},{"a":1}]}`,
		`{"ukjent":{"\ud83d\ude00":1,"😀":2}}`, `{"ukjent":{"\ud83d\ude00":1,"\uD83D\uDE00":2}}`, `{"ukjent":{"é":1,"\u00e9":2}}`, `{"ukjent":{"/":1,"\/":2}}`,
		`{"ukjent":{"\"":1,"\u0022":2}}`, `{"ukjent":{"\\":1,"\u005c":2}}`, `{"ukjent":{"\b\f\n\r\t":1,"\u0008\u000c\u000a\u000d\u0009":2}}`,
		`{"ukjent":{"a\u0000":1,"a":2}}`, `{"ukjent":{"ab":1,"a":2,"b":3,"":4}}`, `{"ukjent":{"":1,"":2}}`,
		`{"\u0000":1}`, `{"":1}`, `{"\ud800":1}`, `{"\udc00":1}`, `{"\ud800\u0041":1}`, `{"\ud800\ud800":1}`, `{"\udbff\udfff":1}`,
		`{"\udc00\udc00":1}`, `{"\udc00\ud800":1}`, `{"\ud800\udc0":1}`, `{"\ud800\\udc00":1}`, `{"\u12":1}`, `{"\u12g4":1}`, `{"\x":1}`, `{"\'":1}`, `{"\U0041":1}`,
		"{\"a\x01\":1}", "{\"a\x7f\":1}", "{\"a\t\":1}", "{\"\xff\":1}", "{\"\xc3\":1}", "{\"\xc3\xa9\":1}", "{\"\xed\xa0\x80\":1}",
		"{\"\xc0\xaf\":1}", "{\"\xf4\x90\x80\x80\":1}", "{\"\xf0\x9f\x98\x80\":1}", "{\"\xef\xbf\xbd\":1}", "{\"\xe2\x80\xa8\":1}",
		"{\"navn\":[{\"erGjeldende\":true,\"fornavn\":\"\xff\"}]}",
		"{\"navn\":[{\"erGjeldende\":true,\"fornavn\":\"\xc3\xa5\"}]}",
		`{"a":01}`, `{"a":-0}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e5}`, `{"a":1E+5}`, `{"a":1e-5}`, `{"a":1e}`,
		`{"a":1.5e+}`, `{"a":0.0}`, `{"a":00}`, `{"a":-01}`, `{"a":1x}`, `{"a":0x1}`, `{"a":1 2}`, `{"a":Infinity}`, `{"a":NaN}`,
		`{"a":tru}`, `{"a":nul}`, `{"a":true false}`, `{"a":truex}`, `{"a":nullnull}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`,
		`{"a" : 1 , "b" : [ 1 , 2 ] }`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":{"b":1]}`, `{"a":[1}`, `{1:2}`, `{a:1}`, `{'a':1}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":1e5}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":-0}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":1.0}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":99999999999999999999}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":"1"}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","grunnkrets":null}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"strengt\u0046ortrolig"}],"navn":[{"erGjeldende":true,"fornavn":"A"}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"\u0075gradert","vegadresse":{"adressenavn":"Gata"}}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","vegadresse":{"adressenavn":"<&>\u2028"}}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","vegadresse":{"adressenavn":"<&>"},"x":1}]}`,
		`{"bostedsadresse":[{"erGjeldende":"true","adressegradering":"ugradert"}]}`,
		`{"bostedsadresse":[{"erGjeldende":1,"adressegradering":"ugradert"}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":1}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":null}]}`,
		`{"bostedsadresse":[{"erGjeldende":true}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"klientadresse"}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"fortrolig"},` + addr + `]}`,
		`{"bostedsadresse":{"erGjeldende":true}}`, `{"bostedsadresse":"x"}`, `{"bostedsadresse":null}`, `{"bostedsadresse":[]}`,
		`{"oppholdsadresse":7}`, `{"adressebeskyttelse":{}}`, `{"adressebeskyttelse":null,"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeldende":"true","graderingsnivaa":"fortrolig"}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"fortrolig","x":1}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeld\u0065nde":true,"graderingsnivaa":"fortrolig"}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"strengt\u0046ortrolig"}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeldende":false,"graderingsnivaa":"strengtFortrolig"}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[1,"x",null,[],{"erGjeldende":true,"graderingsnivaa":"fortrolig"}],"bostedsadresse":[` + addr + `]}`,
		`{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":{"a":"strengtFortrolig"}}],"bostedsadresse":[` + addr + `]}`,
		`{"oppholdsadresse":[{"adressegradering":"strengtFortrolig","x":1}],"bostedsadresse":[` + addr + `]}`,
		`{"oppholdsadresse":[{"adressegradering":"strengtFortrolig"}],"innflytting":[{"erGjeldende":true}],"utflytting":[{"erGjeldende":true}]}`,
		`{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"fortrolig"}],"innflytting":[{"erGjeldende":true}],"preferertKontaktadresse":[{"erGjeldende":true,"valg":"x"},{"erGjeldende":true,"valg":"y","adressegradering":"ugradert"},{"erGjeldende":true,"valg":"z","adressegradering":"fortrolig"}]}`,
		`{"preferertKontaktadresse":[{"erGjeldende":true,"valg":"x"},{"erGjeldende":true,"valg":"y","adressegradering":""}]}`,
		`{"status":[{"erGjeldende":true,"status":"forsvunnet"}]}`,
		`{"status":[{"erGjeldende":true,"status":"forsvunne\u0074"}]}`,
		`{"status":[{"erGjeldende":true,"status":"bosat\u0074"},{"erGjeldende":false,"status":"midlertidig"}]}`,
		`{"status":[{"erGjeldende":true,"status":"aktiv"},{"erGjeldende":true,"status":""},{"erGjeldende":true}]}`,
		`{"status":[{"erGjeldende":true,"status":"midlertidig","kilde":"<&>"}]}`,
		`{"status":[{"erGjeldende":true,"status":"midlertidig","kilde":"\u00e9\/"}]}`,
		`{"status":[{"erGjeldende":true,"status":"midlertidig","x":1}]}`,
		`{"status":[{"erGjeldende":true,"status":"midlertidig"} , { "erGjeldende" : false , "status" : "bosatt" } ]}`,
		`{"status":[ {"erGjeldende":true,"status":"bosatt"} ]}`,
		`{ "navn" : [ { "erGjeldende" : true , "fornavn" : "A" } , { "erGjeldende" : false } ] , "status" : [ ] }`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","Fornavn":"B"}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":null}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":{}}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":"A","originaltNavn":[]}]}`,
		`{"navn":[{"erGjeldende":true,"fornavn":null}]}`,
		`{"brukAvSamiskSpraak":[{"erGjeldende":true,"spraak":["a","b"]}]}`,
		`{"brukAvSamiskSpraak":[{"erGjeldende":true,"spraak":["a",1]}]}`,
		`{"brukAvSamiskSpraak":[{"erGjeldende":true,"spraak":null}]}`,
		`{"brukAvSamiskSpraak":[{"erGjeldende":true,"spraak":[]}]}`,
		`{"vergemaalEllerFremtidsfullmakt":[{"erGjeldende":true,"verge":{"omfangetErInnenPersonligOmraade":true,"tjenesteomraade":[{"tjenesteoppgave":"x","tjenestevirksomhet":"y"}]}}]}`,
		`{"vergemaalEllerFremtidsfullmakt":[{"erGjeldende":true,"verge":{"omfangetErInnenPersonligOmraade":null}}]}`,
		`{"oppholdPaaSvalbard":[{"erGjeldende":true,"startdato":"x","antattOppholdsvarighet":"y","antallTidligereOpphold":-1}]}`,
		`{"oppholdPaaSvalbard":[{"erGjeldende":true,"startdato":"x","antattOppholdsvarighet":"y","antallTidligereOpphold":-0}]}`,
		`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","matrikkeladresse":{"matrikkelnummer":{"kommunenummer":"0301","gaardsnummer":1e2}}}]}`,
		`{"ukjent":` + deep(9998, "[", "]") + `}`,
		`{"ukjent":` + deep(9999, "[", "]") + `}`,
		`{"ukjent":` + deep(10000, "[", "]") + `}`,
		`{"navn":` + deep(9999, "[", "]") + `}`,
		`{"navn":` + deep(10000, "[", "]") + `}`,
		`{"ukjent":` + strings.Repeat(`{"a":`, 9998) + `1` + strings.Repeat("}", 9998) + `}`,
		`{"ukjent":` + strings.Repeat(`{"a":`, 9999) + `1` + strings.Repeat("}", 9999) + `}`,
		`{"ukjent":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat("}", 10000) + `}`,
	}
	// A wide object: many names, and a duplicate at its very end.
	var wide strings.Builder
	wide.WriteString(`{"ukjent":{`)
	for i := range 300 {
		fmt.Fprintf(&wide, `"k%d":%d,`, i, i)
	}
	docs = append(docs, wide.String()+`"end":1}}`, wide.String()+`"k7":1}}`, wide.String()+`"k\u0037":1}}`)
	// Every escape letter, valid or not.
	for c := range 128 {
		docs = append(docs, `{"ukjent":"\`+string(rune(c))+`","navn":[{"erGjeldende":true,"fornavn":"\`+string(rune(c))+`"}]}`)
	}
	// Every value the rules compare with, and near misses, where they read it.
	for _, v := range []string{"", "true", "false", "ugradert", "fortrolig", "strengtFortrolig", "klientadresse", "bosatt", "utflyttet",
		"doed", "opphoert", "inaktiv", "aktiv", "midlertidig", "forsvunnet", "ikkeBosatt", "iBruk", "Bosatt", "ugradert ", "x"} {
		q := `"` + v + `"`
		docs = append(docs,
			`{"status":[{"erGjeldende":true,"status":`+q+`},{"erGjeldende":false,"status":`+q+`}]}`,
			`{"bostedsadresse":[{"erGjeldende":true,"adressegradering":`+q+`}],"oppholdsadresse":[{"erGjeldende":true,"adressegradering":`+q+`}],"preferertKontaktadresse":[{"erGjeldende":true,"adressegradering":`+q+`}]}`,
			`{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":`+q+`}],"postadresse":[{"erGjeldende":true,"adressegradering":"ugradert"}],"innflytting":[{"erGjeldende":true}]}`,
			`{"adressebeskyttelse":[{"erGjeldende":`+q+`,"graderingsnivaa":"fortrolig"}],"postadresse":[{"erGjeldende":true,"adressegradering":"ugradert"}]}`,
			`{"navn":[{"erGjeldende":`+q+`,"fornavn":"A"}]}`,
		)
	}
	rules := append(fewRules(t), Rules{Selection: freg.Selection{Elements: []string{"ukjent"}}})
	for _, d := range docs {
		checkSame(t, "hand-made", []byte(d), rules...)
	}
}

// node is a key or value in a compact valid document, found by nodes.
type node struct {
	start, end int
	key        bool
}

// nodes lists every name and value of a compact, valid JSON document.
func nodes(doc []byte) []node {
	var out []node
	i := 0
	var value func()
	str := func() {
		i++
		for doc[i] != '"' {
			if doc[i] == '\\' {
				i++
			}
			i++
		}
		i++
	}
	value = func() {
		start := i
		switch doc[i] {
		case '{':
			i++
			for doc[i] != '}' {
				ks := i
				str()
				out = append(out, node{ks, i, true})
				i++ // ':'
				value()
				if doc[i] == ',' {
					i++
				}
			}
			i++
		case '[':
			i++
			for doc[i] != ']' {
				value()
				if doc[i] == ',' {
					i++
				}
			}
			i++
		case '"':
			str()
		default:
			for i < len(doc) && !strings.ContainsRune(",]}", rune(doc[i])) {
				i++
			}
		}
		out = append(out, node{start, i, false})
	}
	value()
	return out
}

func splice(doc []byte, start, end int, with string) []byte {
	out := make([]byte, 0, len(doc)+len(with))
	out = append(out, doc[:start]...)
	out = append(out, with...)
	return append(out, doc[end:]...)
}

// replacements are values put in place of each value of a document: other
// kinds, odd numbers, escapes, and values the rules read.
var replacements = []string{
	`1`, `-1`, `0`, `-0`, `1e5`, `1.0`, `99999999999999999999`, `"x"`, `""`, `true`, `false`, `null`, `{}`, `[]`, `[{}]`, `[null]`,
	`{"erGjeldende":true}`, `"true"`, `"strengtFortrolig"`, `"strengt\u0046ortrolig"`, `"fortrolig"`, `"ugradert"`,
	`"forsvunnet"`, `"midlertidig"`, `"\ud83d\ude00"`, `"\u00e9\/"`, `"<&>"`,
	// invalid
	`01`, `-`, `1.`, `.5`, `+1`, `tru`, `"\x"`, `"\v"`, `"\a"`, `"\0"`, `"\U0041"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00"`, "\"\xff\"", "\"\xc3\"",
	"\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\x01\"", "\"\t\"", `"`, `[`, `{`, `1 1`,
}

// TestPersonJSONSameAsOldMutated reduces real documents changed at every
// name and value: duplicates (plain and escaped), unknown and case-folded
// names, every other kind of value, odd numbers, invalid strings, added
// whitespace, and every truncation.
func TestPersonJSONSameAsOldMutated(t *testing.T) {
	rules := fewRules(t)
	e := register(t).Examples()
	docs := [][]byte{personDoc(t, e.Fortrolig, allParts)}
	if quick() {
		rules = rules[:2]
	} else {
		docs = append(docs, personDoc(t, e.StrengtFortrolig, nil), personDoc(t, e.ChildDeltBosted, allParts),
			personDoc(t, e.Ordinary, nil), personDoc(t, e.Deceased, allParts), personDoc(t, e.DNummer, allParts))
	}
	for _, doc := range docs {
		ns := nodes(doc)
		for _, n := range ns {
			if n.key {
				name := string(doc[n.start+1 : n.end-1])
				escaped := fmt.Sprintf(`"\u%04x%s"`, name[0], name[1:])
				folded := `"` + strings.ToUpper(name[:1]) + name[1:] + `"`
				checkSame(t, "escaped name", splice(doc, n.start, n.end, escaped), rules...)
				checkSame(t, "case-folded name", splice(doc, n.start, n.end, folded), rules...)
				checkSame(t, "unknown name", splice(doc, n.start, n.end, `"ukjent"`), rules...)
				// Duplicates: the same name again, plainly and escaped.
				checkSame(t, "duplicate name", splice(doc, n.start, n.start, `"`+name+`":null,`), rules...)
				checkSame(t, "escaped duplicate name", splice(doc, n.start, n.start, escaped+`:1,`), rules...)
				checkSame(t, "unknown member", splice(doc, n.start, n.start, `"ukjent":{"a":[1]},`), rules...)
				checkSame(t, "whitespace", splice(doc, n.start, n.start, " \t\n\r"), rules...)
				checkSame(t, "whitespace", splice(doc, n.end, n.end, " \t\n\r"), rules...)
				continue
			}
			for _, r := range replacements {
				checkSame(t, "value "+r, splice(doc, n.start, n.end, r), rules...)
			}
			checkSame(t, "whitespace", splice(doc, n.start, n.start, "\n "), rules...)
			checkSame(t, "whitespace", splice(doc, n.end, n.end, "\r\t"), rules...)
			checkSame(t, "bad whitespace", splice(doc, n.end, n.end, "\f"), rules...)
			if doc[n.start] == '{' && doc[n.start+1] != '}' {
				checkSame(t, "unknown member first", splice(doc, n.start+1, n.start+1, `"ukjent":1,`), rules...)
				checkSame(t, "unknown member last", splice(doc, n.end-1, n.end-1, `,"ukjent":1`), rules...)
			}
		}
		var indented bytes.Buffer
		json.Indent(&indented, doc, "\r\n", "\t ")
		checkSame(t, "indented", indented.Bytes(), rules...)
		for i := range len(doc) + 1 {
			checkSame(t, "truncated", doc[:i], rules[0])
		}
	}
}

// TestPersonJSONSameAsOldRandomBytes changes random bytes of real
// documents.
func TestPersonJSONSameAsOldRandomBytes(t *testing.T) {
	rules := fewRules(t)
	docs := baseDocs(t)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if quick() {
		n = 2000
	}
	interesting := []byte("{}[]\":,\\ 0-.eEu\x00\x1f\x7f\x80\xc3\xff")
	for range n {
		doc := bytes.Clone(docs[rng.IntN(len(docs))])
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(doc))
			c := interesting[rng.IntN(len(interesting))]
			if rng.IntN(2) == 0 {
				c = byte(rng.IntN(256))
			}
			switch rng.IntN(4) {
			case 0:
				doc[i] = c
			case 1:
				doc = append(doc[:i], doc[i+1:]...)
			case 2:
				doc = append(doc[:i], append([]byte{c}, doc[i:]...)...)
			case 3:
				j := rng.IntN(len(doc))
				doc[i], doc[j] = doc[j], doc[i]
			}
		}
		checkSame(t, "random bytes", doc, rules[rng.IntN(len(rules))])
	}
}

// FuzzPersonJSON compares PersonJSON with oldPersonJSON on arbitrary
// documents; sel picks the rules.
func FuzzPersonJSON(f *testing.F) {
	e := register(f).Examples()
	f.Add([]byte(`{"navn":[{"erGjeldende":true,"fornavn":"A","f\u006frnavn":"B"}]}`), uint8(0))
	f.Add([]byte(`{"status":[{"erGjeldende":true,"status":"midlertidig"}],"ukjent":{"a":1,"\u0061":2}}`), uint8(1))
	f.Add([]byte(`{"adressebeskyttelse":[{"erGjeldende":"true","graderingsnivaa":"fortrolig"}],"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert"}]}`), uint8(2))
	f.Add(personDoc(f, e.Ordinary, nil), uint8(0))
	f.Add(personDoc(f, e.Fortrolig, allParts), uint8(0x3f))
	f.Add(personDoc(f, e.StrengtFortrolig, nil), uint8(0x2b))
	rules := allRules(f)
	f.Fuzz(func(t *testing.T, doc []byte, sel uint8) {
		r := rules[int(sel)%len(rules)]
		if d := sameAsOld(doc, r); d != "" {
			t.Errorf("rules %+v, document %q\n%s", r, doc, d)
		}
	})
}
