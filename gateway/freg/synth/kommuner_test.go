package synth

import (
	"testing"
)

// The embedded table is SSB classification 131 as of 2024+: 357 kommuner,
// each in a current fylke, with population and postnummer.
func TestKommuneTableIsEveryKommune(t *testing.T) {
	if len(kommuneTable) != 357 {
		t.Fatalf("%d kommuner, want 357", len(kommuneTable))
	}
	fylker := map[string]bool{"03": true, "11": true, "15": true, "18": true, "31": true, "32": true, "33": true, "34": true,
		"39": true, "40": true, "42": true, "46": true, "50": true, "55": true, "56": true}
	total := 0
	posts := map[string]string{}
	for _, k := range kommuneTable {
		if !fylker[k.nr[:2]] {
			t.Errorf("%s %s: fylke %s is not current", k.nr, k.name, k.nr[:2])
		}
		if k.name == "" || len(k.post) == 0 {
			t.Errorf("%s: no name or no postnummer", k.nr)
		}
		for _, p := range k.post {
			if other, dup := posts[p.nr]; dup {
				t.Errorf("postnummer %s in both %s and %s", p.nr, other, k.nr)
			}
			posts[p.nr] = k.nr
		}
		total += k.weight
	}
	// SSB's folkemengde of 1 January 2024.
	if total != 5550203 {
		t.Errorf("populations sum to %d, want 5550203", total)
	}
	for nr, want := range map[string]string{"5036": "Frosta", "0301": "Oslo - Oslove", "1151": "Utsira", "5610": "Kárášjohka - Karasjok", "1580": "Haram"} {
		if got, ok := KommuneName(nr); !ok || got != want {
			t.Errorf("KommuneName(%s) = %q, %v; want %q", nr, got, ok, want)
		}
	}
	for _, nr := range []string{"9999", "2111", "1201", "0219", ""} {
		if _, ok := KommuneName(nr); ok {
			t.Errorf("KommuneName(%q) is known; it is not a current kommune", nr)
		}
	}
}

func TestParseKommunerRejectsMalformedData(t *testing.T) {
	for name, data := range map[string]string{
		"fields":     "5036\tFrosta\t2645\n",
		"nummer":     "503\tFrosta\t2645\t7633 FROSTA\n",
		"repeated":   "5036\tFrosta\t2645\t7633 FROSTA\n5036\tFrosta\t2645\t7634 FROSTA\n",
		"population": "5036\tFrosta\tmany\t7633 FROSTA\n",
		"post":       "5036\tFrosta\t2645\t7633FROSTA\n",
	} {
		if _, err := parseKommuner(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rows, err := parseKommuner("# comment\n5036\tFrosta\t2645\t7633 FROSTA|7634 FROSTA\n")
	if err != nil || len(rows) != 1 || len(rows[0].post) != 2 || rows[0].post[1].sted != "FROSTA" {
		t.Fatalf("%+v, %v", rows, err)
	}
}

// An organisation may be in any kommune: the register then houses most of
// its population there, at that kommune's own postnummer.
func TestEveryKommuneCanBeTheOrganisations(t *testing.T) {
	for _, k := range kommuneTable {
		r, err := Generate(Config{Seed: 3, N: 150, Kommuner: []string{k.nr}})
		if err != nil {
			t.Fatalf("%s: %v", k.nr, err)
		}
		own := 0
		for i := range r.persons {
			p := &r.persons[i]
			if p.homeKind() != homeBosted || r.kommuneOf(p.home) != k.nr {
				continue
			}
			own++
			post := r.posts[r.streets[p.home.street].post]
			if !hasPost(k, post.nr) {
				t.Fatalf("%s: resident at postnummer %s, not one of the kommune's", k.nr, post.nr)
			}
		}
		// About 60 % of households live in the organisation's kommune.
		if own < 40 {
			t.Errorf("%s %s: %d of 150 persons live there", k.nr, k.name, own)
		}
		if e := r.Examples(); e.Ordinary == "" {
			t.Errorf("%s: no ordinary resident", k.nr)
		}
	}
}

func hasPost(k kommuneRow, nr string) bool {
	for _, p := range k.post {
		if p.nr == nr {
			return true
		}
	}
	return false
}

// Frosta, end to end through the public API: a resident's bostedsadresse
// carries the kommune and its postnummer.
func TestFrostaResidents(t *testing.T) {
	r, err := Generate(Config{Seed: 1, N: 2000, Kommuner: []string{"5036"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Person(ctx, r.Examples().Ordinary, []string{"bostedsadresse"})
	if err != nil {
		t.Fatal(err)
	}
	v := p.Bostedsadresse[0].Vegadresse
	if v == nil || v.Kommunenummer != "5036" || v.Poststed == nil || v.Poststed.Postnummer != "7633" || v.Poststed.Poststedsnavn != "FROSTA" {
		t.Fatalf("bostedsadresse %+v", p.Bostedsadresse[0])
	}
}
