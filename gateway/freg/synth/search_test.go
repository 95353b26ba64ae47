package synth

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
)

// oracle answers a search by scanning the materialised documents: an
// implementation independent of the indexes.
func oracle(all []*freg.Person, q freg.SearchQuery) []string {
	var out []string
	cur := q.Opplysningsgrunnlag != "historisk"
	hist := q.Opplysningsgrunnlag == "historisk" || q.Opplysningsgrunnlag == "begge"
	key := strings.ToLower
	if q.SoekFonetisk {
		key = phonetic
	}
	for _, p := range all {
		if !q.InkluderDoede && p.Status[0].Status == "doed" {
			continue
		}
		if q.Kjoenn != "" && p.Kjoenn[0].Kjoenn != q.Kjoenn {
			continue
		}
		if q.Foedselsdato != "" && p.Foedsel[0].Foedselsdato != q.Foedselsdato {
			continue
		}
		if y := p.Foedsel[0].Foedselsaar; (q.FoedselsaarFraOgMed != 0 && y < strconv.Itoa(q.FoedselsaarFraOgMed)) ||
			(q.FoedselsaarTilOgMed != 0 && y > strconv.Itoa(q.FoedselsaarTilOgMed)) {
			continue
		}
		if q.Navn != "" && !slices.ContainsFunc(p.Navn, func(n freg.Navn) bool {
			if (n.ErGjeldende && !cur) || (!n.ErGjeldende && !hist) {
				return false
			}
			var ws []string
			for _, w := range strings.Fields(n.Fornavn + " " + n.Mellomnavn + " " + n.Etternavn) {
				ws = append(ws, key(w))
			}
			for _, w := range strings.Fields(q.Navn) {
				if !slices.Contains(ws, key(w)) {
					return false
				}
			}
			return true
		}) {
			continue
		}
		type place struct {
			v       *freg.Vegadresse
			current bool
		}
		var places []place
		for _, b := range p.Bostedsadresse {
			places = append(places, place{b.Vegadresse, b.ErGjeldende})
		}
		if q.InkluderOppholdsadresse {
			for _, o := range p.Oppholdsadresse {
				places = append(places, place{o.Vegadresse, o.ErGjeldende})
			}
		}
		addressed := q.Postnummer != "" || q.Kommunenummer != "" || q.Fylkesnummer != "" || q.Adressenavn != "" || q.Husnummer != ""
		if addressed && !slices.ContainsFunc(places, func(a place) bool {
			nr := a.v.Adressenummer.Husnummer + a.v.Adressenummer.Husbokstav
			return (a.current && cur || !a.current && hist) &&
				(q.Postnummer == "" || a.v.Poststed.Postnummer == q.Postnummer) &&
				(q.Kommunenummer == "" || a.v.Kommunenummer == q.Kommunenummer) &&
				(q.Fylkesnummer == "" || strings.HasPrefix(a.v.Kommunenummer, q.Fylkesnummer)) &&
				(q.Adressenavn == "" || strings.HasPrefix(strings.ToLower(a.v.Adressenavn), strings.ToLower(q.Adressenavn))) &&
				(q.Husnummer == "" || nr == q.Husnummer)
		}) {
			continue
		}
		out = append(out, p.Identifikasjonsnummer[0].FoedselsEllerDNummer)
	}
	return out
}

func TestSearchAgainstOracle(t *testing.T) {
	r := testRegister(t)
	all := docs(t, r)
	e := r.Examples()
	ord, _ := r.Person(ctx, e.Ordinary, nil)
	addr := ord.Bostedsadresse[0].Vegadresse
	married := r.persons[slices.IndexFunc(r.persons, func(p person) bool { return p.oldEtter != 0 })]
	maiden := r.names[married.oldEtter]
	tests := []struct {
		name string
		q    freg.SearchQuery
		min  int // the query must find at least this many
	}{
		{"full name", freg.SearchQuery{Navn: ord.Navn[0].Fornavn + " " + ord.Navn[0].Etternavn}, 1},
		{"name any case", freg.SearchQuery{Navn: strings.ToUpper(ord.Navn[0].Etternavn)}, 1},
		{"partial word finds nothing", freg.SearchQuery{Navn: ord.Navn[0].Etternavn[:3]}, 0},
		{"phonetic", freg.SearchQuery{Navn: "Christianssen", SoekFonetisk: true}, 1},
		{"not phonetic", freg.SearchQuery{Navn: "Christianssen"}, 0},
		{"maiden name current", freg.SearchQuery{Navn: maiden, MaksTreff: 10000}, 1},
		{"maiden name historic", freg.SearchQuery{Navn: maiden, Opplysningsgrunnlag: "historisk", MaksTreff: 10000}, 1},
		{"maiden name both", freg.SearchQuery{Navn: maiden, Opplysningsgrunnlag: "begge", MaksTreff: 10000}, 1},
		{"birth date", freg.SearchQuery{Foedselsdato: ord.Foedsel[0].Foedselsdato}, 1},
		{"birth year range and sex", freg.SearchQuery{FoedselsaarFraOgMed: 1950, FoedselsaarTilOgMed: 1951, Kjoenn: "kvinne", MaksTreff: 10000}, 10},
		{"postnummer", freg.SearchQuery{Postnummer: addr.Poststed.Postnummer, MaksTreff: 10000}, 10},
		{"street prefix and number", freg.SearchQuery{Adressenavn: strings.ToLower(addr.Adressenavn[:4]), Husnummer: addr.Adressenummer.Husnummer + addr.Adressenummer.Husbokstav, Kommunenummer: addr.Kommunenummer, MaksTreff: 10000}, 1},
		{"kommune", freg.SearchQuery{Kommunenummer: "5001", MaksTreff: 10000}, 10},
		{"fylke", freg.SearchQuery{Fylkesnummer: "46", Navn: "Hansen", MaksTreff: 10000}, 10},
		{"historic addresses", freg.SearchQuery{Kommunenummer: "5001", Opplysningsgrunnlag: "historisk", MaksTreff: 10000}, 10},
		{"both with opphold", freg.SearchQuery{Kommunenummer: "5001", Opplysningsgrunnlag: "begge", InkluderOppholdsadresse: true, MaksTreff: 10000}, 100},
		{"opphold", freg.SearchQuery{Kommunenummer: "4627", InkluderOppholdsadresse: true, MaksTreff: 10000}, 100},
		{"deceased included", freg.SearchQuery{Kommunenummer: "4627", InkluderDoede: true, MaksTreff: 10000}, 100},
		{"husnummer only", freg.SearchQuery{Husnummer: "7", MaksTreff: 10000}, 10},
		{"maksTreff default", freg.SearchQuery{Kommunenummer: "4601"}, 100},
		{"maksTreff 3", freg.SearchQuery{Kommunenummer: "4601", MaksTreff: 3}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Search(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := oracle(all, tt.q)
			limit := tt.q.MaksTreff
			if limit == 0 {
				limit = 100
			}
			want = want[:min(limit, len(want))]
			if !slices.Equal(got, want) {
				t.Fatalf("got %d hits, oracle %d (first got %v, want %v)", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
			}
			if len(got) < tt.min {
				t.Fatalf("only %d hits, want at least %d", len(got), tt.min)
			}
		})
	}
}

func TestSearchInvalid(t *testing.T) {
	r := testRegister(t)
	for name, q := range map[string]freg.SearchQuery{
		"no criteria":           {},
		"only flags":            {InkluderDoede: true, SoekFonetisk: true},
		"too many hits":         {FoedselsaarFraOgMed: 1800, InkluderDoede: true},
		"maksTreff too high":    {Navn: "Hansen", MaksTreff: 10001},
		"bad kjoenn":            {Kjoenn: "annet"},
		"bad date":              {Foedselsdato: "19990231"},
		"bad grunnlag":          {Navn: "Hansen", Opplysningsgrunnlag: "alt"},
		"empty year range":      {FoedselsaarFraOgMed: 2000, FoedselsaarTilOgMed: 1990},
		"non-numeric husnummer": {Husnummer: "x1"},
	} {
		if _, err := r.Search(ctx, q); !errors.Is(err, freg.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// Strengt fortrolig persons have no address, so no address or kommune
// criterion may find them, whatever opplysningsgrunnlag.
func TestStrengtFortroligNotFoundByAddress(t *testing.T) {
	r := testRegister(t)
	var sf []string
	for i := range r.persons {
		if r.persons[i].grad == gStrengtFortrolig {
			sf = append(sf, r.persons[i].ident())
		}
	}
	if len(sf) == 0 {
		t.Fatal("no strengt fortrolig persons")
	}
	// Postnumre cover every address; the organisation's kommuner hold too
	// many persons for one search.
	var queries []freg.SearchQuery
	for _, p := range r.posts {
		queries = append(queries, freg.SearchQuery{Postnummer: p.nr})
	}
	for _, k := range kommuneTable {
		if !slices.Contains(testKommuner, k.nr) {
			queries = append(queries, freg.SearchQuery{Kommunenummer: k.nr}, freg.SearchQuery{Fylkesnummer: k.nr[:2], Kommunenummer: k.nr})
		}
	}
	for _, q := range queries {
		for _, g := range []string{"gjeldende", "historisk", "begge"} {
			q.Opplysningsgrunnlag, q.InkluderOppholdsadresse, q.InkluderDoede, q.MaksTreff = g, true, true, 10000
			hits, err := r.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range sf {
				if slices.Contains(hits, id) {
					t.Fatalf("strengt fortrolig person found by address")
				}
			}
		}
	}
	// They are still found by name and birth date, as in FREG.
	p, _ := r.Person(ctx, sf[0], nil)
	hits, err := r.Search(ctx, freg.SearchQuery{Navn: p.Navn[0].Fornavn + " " + p.Navn[0].Etternavn, Foedselsdato: p.Foedsel[0].Foedselsdato})
	if err != nil || !slices.Contains(hits, sf[0]) {
		t.Fatalf("strengt fortrolig person not found by name and birth date: %v", err)
	}
}

func TestUniqueSearch(t *testing.T) {
	r := testRegister(t)
	e := r.Examples()
	p, _ := r.Person(ctx, e.Ordinary, nil)
	name := p.Navn[0].Fornavn + " " + p.Navn[0].Etternavn
	a := p.Bostedsadresse[0].Vegadresse
	tests := []struct {
		name string
		q    freg.SearchQuery
		err  error
	}{
		{"name and birth date", freg.SearchQuery{Navn: name, Foedselsdato: strings.ReplaceAll(p.Foedsel[0].Foedselsdato, "-", "")}, nil},
		{"name and identity number", freg.SearchQuery{Navn: name, Identifikasjonsnummer: e.Ordinary}, nil},
		{"name and street", freg.SearchQuery{Navn: name, Adressenavn: a.Adressenavn, Husnummer: a.Adressenummer.Husnummer + a.Adressenummer.Husbokstav}, nil},
		{"only first name", freg.SearchQuery{Navn: p.Navn[0].Fornavn, Foedselsdato: p.Foedsel[0].Foedselsdato}, freg.ErrInvalid},
		{"name without second criterion", freg.SearchQuery{Navn: name, Kjoenn: p.Kjoenn[0].Kjoenn}, freg.ErrInvalid},
		{"street too short", freg.SearchQuery{Navn: name, Adressenavn: "St"}, freg.ErrInvalid},
		{"none", freg.SearchQuery{Navn: "Ingen Slik", Postnummer: a.Poststed.Postnummer}, freg.ErrNotFound},
		{"several", freg.SearchQuery{Navn: "Hansen Hansen", Postnummer: "0150"}, freg.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.UniqueSearch(ctx, tt.q, []string{"navn"})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && (got.Identifikasjonsnummer[0].FoedselsEllerDNummer != e.Ordinary || got.Bostedsadresse != nil) {
				t.Fatal("wrong person or parts")
			}
		})
	}
}

func TestPhonetic(t *testing.T) {
	groups := [][]string{
		{"Kristiansen", "Christiansen", "Kristianssen"},
		{"Nilsen", "Nielsen", "Nillsen"},
		{"Jakobsen", "Jacobsen"},
		{"Aas", "Ås"},
		{"Sæther", "Seter"},
	}
	for _, g := range groups {
		for _, w := range g[1:] {
			if phonetic(w) != phonetic(g[0]) {
				t.Errorf("phonetic(%s) = %s, phonetic(%s) = %s", w, phonetic(w), g[0], phonetic(g[0]))
			}
		}
	}
	if phonetic("Hansen") == phonetic("Jensen") {
		t.Error("distinct names merged")
	}
}
