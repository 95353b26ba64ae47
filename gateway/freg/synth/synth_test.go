package synth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
)

const testN = 20000

var testKommuner = []string{"4627", "4601"}

var shared = sync.OnceValues(func() (*Register, error) {
	return Generate(Config{Seed: 7, N: testN, Kommuner: testKommuner})
})

func testRegister(t testing.TB) *Register {
	t.Helper()
	r, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var ctx = context.Background()

// full is every part with history: the whole document.
var full = func() []string {
	parts := []string{freg.PartHistorikk}
	for _, e := range freg.Elements {
		if e.Name != freg.ElementHistorikk {
			parts = append(parts, e.Name)
		}
	}
	return parts
}()

// docs materialises every person through the public API.
func docs(t testing.TB, r *Register) []*freg.Person {
	t.Helper()
	out := make([]*freg.Person, len(r.persons))
	for i := range r.persons {
		p, err := r.Person(ctx, r.persons[i].ident(), full)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

func digest(t testing.TB, r *Register) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range docs(t, r) {
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	last, _ := r.LastSequence(ctx)
	for seq := int64(1); seq <= last; seq += FeedPageSize {
		items, err := r.Feed(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(items); err != nil {
			t.Fatal(err)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	gen := func(seed int64) *Register {
		r, err := Generate(Config{Seed: seed, N: 5000, Kommuner: []string{"0301"}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b, c := digest(t, gen(1)), digest(t, gen(1)), digest(t, gen(2))
	if a != b {
		t.Fatal("same config gave different populations")
	}
	if a == c {
		t.Fatal("different seeds gave the same population")
	}
}

func TestGenerateInvalidConfig(t *testing.T) {
	for _, cfg := range []Config{{N: 0}, {N: -1}, {N: 10, Kommuner: []string{"9999"}}, {N: 10, Kommuner: []string{"0301", "Oslo"}}} {
		if _, err := Generate(cfg); !errors.Is(err, freg.ErrInvalid) {
			t.Errorf("Generate(%+v) = %v, want ErrInvalid", cfg, err)
		}
	}
	r, err := Generate(Config{Seed: 1, N: 1})
	if err != nil || r.Len() != 1 {
		t.Fatalf("N=1: %v, %d persons", err, r.Len())
	}
}

// mod11 checks an identity number straight from freg.md §6, independently
// of package ident: both weighted sums including the check digit are
// divisible by 11 (pre-2032 numbers).
func mod11(s string) bool {
	w1 := []int{3, 7, 6, 1, 8, 9, 4, 5, 2, 1, 0}
	w2 := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1}
	var s1, s2 int
	for i := range 11 {
		d := int(s[i] - '0')
		s1 += d * w1[i]
		s2 += d * w2[i]
	}
	return len(s) == 11 && s1%11 == 0 && s2%11 == 0
}

func TestIdentityNumbers(t *testing.T) {
	r := testRegister(t)
	if r.Len() != testN {
		t.Fatalf("Len = %d", r.Len())
	}
	seen := map[string]bool{}
	for i := range r.persons {
		p := &r.persons[i]
		id := p.ident()
		if seen[id] {
			t.Fatalf("duplicate identity number at person %d", i)
		}
		seen[id] = true
		if !mod11(id) {
			t.Fatalf("person %d fails the independent mod-11 check", i)
		}
		n, err := ident.Parse(id)
		if err != nil {
			t.Fatalf("person %d: %v", i, err)
		}
		wantKind := ident.Foedselsnummer
		if p.flags&fDNummer != 0 {
			wantKind = ident.DNummer
		}
		if !n.Synthetic || n.Kind != wantKind || n.Birth.IsZero() || dayOf(n.Birth) != p.birth {
			t.Fatalf("person %d: parsed %+v does not match the record", i, n)
		}
		// Ninth digit odd for men.
		if male := (id[8]-'0')%2 == 1; male == p.female() {
			t.Fatalf("person %d: sex digit disagrees", i)
		}
	}
}

func has[T any](xs []T, f func(T) bool) bool { return slices.ContainsFunc(xs, f) }

func current[T any](xs []T, md func(T) freg.Metadata) []T {
	var out []T
	for _, x := range xs {
		if md(x).ErGjeldende {
			out = append(out, x)
		}
	}
	return out
}

func TestInvariants(t *testing.T) {
	r := testRegister(t)
	all := docs(t, r)
	byID := map[string]*freg.Person{}
	for _, p := range all {
		byID[p.Identifikasjonsnummer[0].FoedselsEllerDNummer] = p
	}
	var fortrolig, strengt, inOrg, bosatt, historicAddr, historicName, adults int
	for i, p := range all {
		id := p.Identifikasjonsnummer[0].FoedselsEllerDNummer
		status := p.Status[0].Status
		grading := ""
		if len(p.Adressebeskyttelse) > 0 {
			grading = p.Adressebeskyttelse[0].Graderingsnivaa
		}
		if i%10 == 0 { // decoding to maps is slow; a sample covers every shape
			checkMetadata(t, p)
		}
		// Spouses: sivilstand and familierelasjon both ways.
		for _, s := range p.Sivilstand {
			if s.RelatertVedSivilstand == "" {
				continue
			}
			q := byID[s.RelatertVedSivilstand]
			if q == nil || !has(q.Sivilstand, func(x freg.Sivilstand) bool { return x.RelatertVedSivilstand == id }) {
				t.Fatalf("sivilstand link not symmetric")
			}
		}
		for _, f := range p.Familierelasjon {
			q := byID[f.RelatertPerson]
			if q == nil {
				t.Fatalf("familierelasjon to unknown person")
			}
			back := map[string]string{"barn": f.MinRolleForPerson, "ektefelleEllerPartner": "ektefelleEllerPartner", "mor": "barn", "far": "barn", "medmor": "barn"}
			if !has(q.Familierelasjon, func(x freg.Familierelasjon) bool {
				return x.RelatertPerson == id && x.RelatertPersonsRolle == back[f.RelatertPersonsRolle] && x.MinRolleForPerson == f.RelatertPersonsRolle
			}) {
				t.Fatalf("familierelasjon %s not mirrored", f.RelatertPersonsRolle)
			}
		}
		for _, a := range p.Foreldreansvar {
			switch {
			case a.Ansvarlig != "":
				q := byID[a.Ansvarlig]
				if q == nil || !has(q.Foreldreansvar, func(x freg.Foreldreansvar) bool { return x.Ansvarssubjekt == id && x.Ansvar == a.Ansvar }) {
					t.Fatalf("foreldreansvar not mirrored on the parent")
				}
			case a.Ansvarssubjekt != "":
				q := byID[a.Ansvarssubjekt]
				if q == nil || !has(q.Foreldreansvar, func(x freg.Foreldreansvar) bool { return x.Ansvarlig == id }) {
					t.Fatalf("foreldreansvar not mirrored on the child")
				}
			default:
				t.Fatalf("foreldreansvar without a person")
			}
		}
		dnr := p.Identifikasjonsnummer[0].Identifikatortype == "dNummer"
		curBosted := current(p.Bostedsadresse, func(b freg.Bostedsadresse) freg.Metadata { return b.Metadata })
		switch {
		case grading == freg.GraderingStrengtFortrolig:
			strengt++
			if len(p.Bostedsadresse)+len(p.Oppholdsadresse)+len(p.DeltBosted) > 0 || p.Foedsel[0].FoedekommuneINorge != "" {
				t.Fatalf("strengt fortrolig person has residence data")
			}
			if len(p.Postadresse) != 1 || p.Postadresse[0].Postboksadresse == nil || p.Postadresse[0].Adressegradering != freg.GraderingUgradert {
				t.Fatalf("strengt fortrolig person lacks the forwarding postadresse")
			}
		case dnr:
			if len(p.Bostedsadresse) > 0 || len(p.Oppholdsadresse) != 1 {
				t.Fatalf("D-number person with bostedsadresse or without oppholdsadresse")
			}
			if !slices.Contains([]string{"midlertidig", "inaktiv", "aktiv"}, status) {
				t.Fatalf("D-number person with status %s", status)
			}
		case status == "utflyttet":
			if len(curBosted) != 0 || len(p.PostadresseIUtlandet) != 1 || len(p.Utflytting) != 1 {
				t.Fatalf("emigrant shape wrong")
			}
		default:
			if len(curBosted) != 1 {
				t.Fatalf("person with fødselsnummer has %d current bostedsadresser", len(curBosted))
			}
		}
		if grading == freg.GraderingFortrolig {
			fortrolig++
			for _, b := range p.Bostedsadresse {
				if b.Adressegradering != freg.GraderingFortrolig {
					t.Fatalf("fortrolig person with an address graded %s", b.Adressegradering)
				}
			}
		}
		if status == "doed" && (p.Doedsfall == nil || p.Doedsfall.Doedsdato == "") {
			t.Fatalf("deceased without doedsfall")
		}
		if status == "bosatt" && len(curBosted) == 1 {
			bosatt++
			if slices.Contains(testKommuner, curBosted[0].Vegadresse.Kommunenummer) {
				inOrg++
			}
		}
		if p.Foedsel[0].Foedselsdato < "2008" {
			adults++
			if len(p.Bostedsadresse) > len(curBosted) {
				historicAddr++
			}
			if len(p.Navn) > 1 {
				historicName++
			}
		}
	}
	share := func(n, of int) float64 { return float64(n) / float64(of) }
	checks := []struct {
		what     string
		got      float64
		min, max float64
	}{
		{"fortrolig", share(fortrolig, len(all)), 0.006, 0.015},
		{"strengt fortrolig", share(strengt, len(all)), 0.0003, 0.003},
		{"bosatt in the organisation's kommuner", share(inOrg, bosatt), 0.55, 0.65},
		{"adults with historic addresses", share(historicAddr, adults), 0.3, 0.9},
		{"adults with historic names", share(historicName, adults), 0.03, 0.3},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: share %.4f outside [%.4f, %.4f]", c.what, c.got, c.min, c.max)
		}
	}
}

// checkMetadata requires kilde and timestamps on every entry; historic
// entries carry an opphoerstidspunkt.
func checkMetadata(t *testing.T, p *freg.Person) {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for name, v := range m {
		var entries []map[string]any
		if err := json.Unmarshal(v, &entries); err != nil {
			var one map[string]any
			if err := json.Unmarshal(v, &one); err != nil {
				t.Fatalf("%s is neither an array nor an object", name)
			}
			entries = append(entries, one)
		}
		for _, e := range entries {
			if e["kilde"] != kilde || e["ajourholdstidspunkt"] == nil || e["gyldighetstidspunkt"] == nil {
				t.Fatalf("%s entry without metadata", name)
			}
			if e["erGjeldende"] == false && e["opphoerstidspunkt"] == nil {
				t.Fatalf("historic %s entry without opphoerstidspunkt", name)
			}
		}
	}
}

func TestExamples(t *testing.T) {
	r := testRegister(t)
	e := r.Examples()
	get := func(id string) *freg.Person {
		t.Helper()
		if id == "" {
			t.Fatal("example missing")
		}
		p, err := r.Person(ctx, id, full)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	grading := func(p *freg.Person) string {
		if len(p.Adressebeskyttelse) == 0 {
			return ""
		}
		return p.Adressebeskyttelse[0].Graderingsnivaa
	}
	if p := get(e.Ordinary); p.Bostedsadresse[0].Vegadresse.Kommunenummer != testKommuner[0] || grading(p) != "" || p.Status[0].Status != "bosatt" {
		t.Error("ordinary example")
	}
	if grading(get(e.Fortrolig)) != freg.GraderingFortrolig || grading(get(e.StrengtFortrolig)) != freg.GraderingStrengtFortrolig {
		t.Error("protected examples")
	}
	if get(e.Klientadresse).Bostedsadresse[0].Adressegradering != freg.GraderingKlientadresse {
		t.Error("klientadresse example")
	}
	if get(e.DNummer).Identifikasjonsnummer[0].Identifikatortype != "dNummer" {
		t.Error("D-number example")
	}
	if get(e.Deceased).Status[0].Status != "doed" || get(e.Emigrant).Status[0].Status != "utflyttet" {
		t.Error("status examples")
	}
	if c := get(e.ChildFelles); len(c.Foreldreansvar) != 2 || c.Foreldreansvar[0].Ansvar != "felles" {
		t.Error("child with felles foreldreansvar")
	}
	if len(get(e.ChildDeltBosted).DeltBosted) != 1 {
		t.Error("deltBosted example")
	}
	a, b := get(e.MarriedCouple[0]), get(e.MarriedCouple[1])
	if a.Sivilstand[0].RelatertVedSivilstand != e.MarriedCouple[1] || b.Sivilstand[0].RelatertVedSivilstand != e.MarriedCouple[0] {
		t.Error("married couple")
	}
}

func TestPersonParts(t *testing.T) {
	r := testRegister(t)
	e := r.Examples()
	child := e.ChildFelles
	tests := []struct {
		name  string
		id    string
		parts []string
		err   error
		check func(*freg.Person) bool
	}{
		{"default person-basis", child, nil, nil, func(p *freg.Person) bool {
			return len(p.Navn) > 0 && len(p.Bostedsadresse) > 0 && p.Familierelasjon == nil && p.Foreldreansvar == nil
		}},
		{"relasjon-utvidet", child, []string{"relasjon-utvidet"}, nil, func(p *freg.Person) bool {
			return len(p.Familierelasjon) >= 2 && len(p.Foreldreansvar) == 2 && p.Navn == nil && len(p.Identifikasjonsnummer) == 1
		}},
		{"single element", e.Ordinary, []string{"navn"}, nil, func(p *freg.Person) bool {
			return len(p.Navn) == 1 && p.Navn[0].ErGjeldende && p.Bostedsadresse == nil
		}},
		{"historikk adds history", e.Deceased, []string{"status", "historikk"}, nil, func(p *freg.Person) bool {
			return len(p.Status) == 2 && !p.Status[1].ErGjeldende
		}},
		{"no history without historikk", e.Deceased, []string{"status"}, nil, func(p *freg.Person) bool {
			return len(p.Status) == 1 && p.Status[0].Status == "doed"
		}},
		{"unknown part", child, []string{"skonummer"}, freg.ErrInvalid, nil},
		{"invalid identity number", "12345678901", nil, freg.ErrInvalid, nil},
		{"non-digit", "0101010101x", nil, freg.ErrInvalid, nil},
		{"unknown person", "06076301709", nil, freg.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := r.Person(ctx, tt.id, tt.parts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				if strings.Contains(err.Error(), tt.id) {
					t.Fatal("error echoes the identity number")
				}
				return
			}
			if !tt.check(p) {
				b, _ := json.Marshal(p)
				t.Fatalf("unexpected document: %.300s", b)
			}
		})
	}
}

func TestBulkLookup(t *testing.T) {
	r := testRegister(t)
	e := r.Examples()
	res, err := r.BulkLookup(ctx, []string{e.Ordinary, "06076301709", "123", e.DNummer}, []string{"navn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Folkeregisterperson == nil || res[1].Feilmelding == nil || res[2].Feilmelding == nil ||
		res[3].Folkeregisterperson == nil || res[3].Folkeregisterperson.Bostedsadresse != nil {
		t.Fatalf("unexpected bulk result %+v", res)
	}
	if _, err := r.BulkLookup(ctx, make([]string, MaxBulk+1), nil); !errors.Is(err, freg.ErrInvalid) {
		t.Fatalf("too many ids: %v", err)
	}
	if _, err := r.BulkLookup(ctx, []string{e.Ordinary}, []string{"nope"}); !errors.Is(err, freg.ErrInvalid) {
		t.Fatalf("bad part: %v", err)
	}
}
