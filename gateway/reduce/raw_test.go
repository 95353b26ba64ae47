package reduce

import (
	"encoding/json"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
)

// TestPersonJSONHostileUpstream feeds documents an upstream should never
// send and checks that the JSON path still emits nothing outside the rules.
func TestPersonJSONHostileUpstream(t *testing.T) {
	basis := Rules{Selection: freg.Selection{Elements: []string{"bostedsadresse", "identifikasjonsnummer", "navn", "status"}}}
	addr := func(g string, current bool) string {
		return `{"erGjeldende":` + map[bool]string{true: "true", false: "false"}[current] +
			`,"adressegradering":"` + g + `","vegadresse":{"adressenavn":"Gata ` + g + `"}}`
	}
	cases := []struct {
		name, doc string
		rules     Rules
		want      []string // substrings that must be present
		never     []string // substrings that must be absent
		err       bool
	}{
		{name: "element outside the selection", rules: basis,
			doc:   `{"navn":[{"erGjeldende":true,"fornavn":"Kari","etternavn":"N"}],"familierelasjon":[{"erGjeldende":true,"relatertPerson":"X"}],"ukjent":1}`,
			want:  []string{`"Kari"`},
			never: []string{"familierelasjon", "ukjent"}},
		{name: "graded address without reveal", rules: basis,
			doc:   `{"bostedsadresse":[` + addr("ugradert", true) + `,` + addr("fortrolig", true) + `,` + addr("", true) + `]}`,
			want:  []string{"Gata ugradert"},
			never: []string{"Gata fortrolig", `"adressegradering":""`}},
		{name: "historic entries without historikk", rules: basis,
			doc:   `{"navn":[{"erGjeldende":false,"fornavn":"Gammel","etternavn":"N"},{"erGjeldende":true,"fornavn":"Ny","etternavn":"N"}]}`,
			want:  []string{"Ny"},
			never: []string{"Gammel"}},
		{name: "unknown field inside an entry is dropped", rules: basis,
			doc:   `{"navn":[{"erGjeldende":true,"fornavn":"Kari","etternavn":"N","hemmelig":"x"}]}`,
			want:  []string{"Kari"},
			never: []string{"hemmelig"}},
		{name: "case-folded gradering resolved as the typed model does", rules: basis,
			doc:   `{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","Adressegradering":"fortrolig","vegadresse":{"adressenavn":"Skjult"}}]}`,
			never: []string{"Skjult"}},
		{name: "duplicate names refused", rules: basis,
			doc: `{"bostedsadresse":[{"erGjeldende":true,"adressegradering":"fortrolig","adressegradering":"ugradert"}]}`,
			err: true},
		{name: "strengt fortrolig person keeps no residence", rules: Rules{Selection: basis.Selection, Confidential: true, RevealGraded: true},
			doc:   `{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"strengtFortrolig"}],"bostedsadresse":[` + addr("ugradert", true) + `]}`,
			never: []string{"Gata"}},
		{name: "fortrolig person: ugradert entry hidden too", rules: basis,
			doc:   `{"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"fortrolig"}],"bostedsadresse":[` + addr("ugradert", true) + `]}`,
			never: []string{"Gata", "adressebeskyttelse"}},
		{name: "confidential status masked", rules: basis,
			doc:   `{"status":[{"erGjeldende":true,"status":"forsvunnet"}]}`,
			want:  []string{`"status":"aktiv"`},
			never: []string{"forsvunnet"}},
		{name: "protection level named in another case", rules: Rules{Selection: basis.Selection, Confidential: true, RevealGraded: true},
			doc:   `{"adressebeskyttelse":[{"erGjeldende":true,"Graderingsnivaa":"strengtFortrolig"}],"bostedsadresse":[` + addr("ugradert", true) + `]}`,
			never: []string{"Gata"}},
		{name: "protection level named with an escape", rules: basis,
			doc:   `{"adressebeskyttelse":[{"erGjeldende":true,"gradering\u0073nivaa":"fortrolig"}],"bostedsadresse":[` + addr("ugradert", true) + `]}`,
			never: []string{"Gata"}},
		{name: "strengt fortrolig address named in another case", rules: Rules{Selection: basis.Selection, Confidential: true, RevealGraded: true},
			doc:   `{"bostedsadresse":[{"erGjeldende":true,"ADRESSEGRADERING":"strengtFortrolig","vegadresse":{"adressenavn":"Skjult"}}],"oppholdsadresse":[` + addr("ugradert", true) + `]}`,
			never: []string{"Skjult", "Gata"}},
		{name: "element named in another case refused", rules: basis,
			doc: `{"Adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"strengtFortrolig"}],"bostedsadresse":[` + addr("ugradert", true) + `]}`,
			err: true},
		{name: "element named in another case, escaped, refused", rules: basis,
			doc: `{"\u0041dressebeskyttelse":[],"navn":[]}`,
			err: true},
		{name: "wrong kind is malformed", rules: basis, doc: `{"navn":{"fornavn":"x"}}`, err: true},
		{name: "not JSON", rules: basis, doc: `{"navn":[`, err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := PersonJSON([]byte(c.doc), c.rules)
			if c.err {
				if err == nil {
					t.Fatalf("accepted: %s", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("invalid JSON out: %s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("missing %s in %s", w, out)
				}
			}
			for _, n := range c.never {
				if strings.Contains(string(out), n) {
					t.Errorf("leaked %s in %s", n, out)
				}
			}
			// The typed path agrees wherever it can read the document.
			var p freg.Person
			if json.Unmarshal([]byte(c.doc), &p) == nil {
				typed, _ := Person(&p, c.rules)
				tb, _ := json.Marshal(typed)
				var a, b any
				json.Unmarshal(out, &a)
				json.Unmarshal(tb, &b)
				if ja, _ := json.Marshal(a); string(ja) != string(mustJSON(b)) {
					t.Errorf("JSON path %s, typed path %s", ja, mustJSON(b))
				}
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
