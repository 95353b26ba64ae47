package lists

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"folkevakt/store"
)

func oppvekstRole(f *fixture, drop ...string) store.Role {
	els := slices.DeleteFunc(slices.Clone(OppvekstElements), func(e string) bool { return slices.Contains(drop, e) })
	return f.createRole([]string{store.PurposeSearch}, els)
}

func TestOppvekst(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 3000, noStart: true})
	ex := f.reg.Examples()
	if ex.ChildFelles == "" || ex.Ordinary == "" {
		t.Fatal("population lacks examples")
	}
	role := oppvekstRole(f)
	path := "/register/api/v1/ks/" + role.ID + "/oppvekst"
	w := do(t, f.router(f.caller(role)), http.MethodPost, path, map[string]any{"foedselsnumre": []string{ex.ChildFelles, ex.Ordinary}})
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var got []PersonDefinisjon
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	kid, err := f.reg.Person(f.ctx, ex.ChildFelles, []string{"navn", "foreldreansvar", "familierelasjon", "foedsel"})
	if err != nil {
		t.Fatal(err)
	}
	var d *PersonDefinisjon
	for i := range got {
		if got[i].Identifikasjonsnummer.FoedselsEllerDNummer == ex.ChildFelles {
			d = &got[i]
		}
	}
	if len(got) != 2 || d == nil {
		t.Fatalf("answer %s", w.Body)
	}
	if d.Navn == nil || d.Navn.Etternavn != kid.Navn[0].Etternavn || d.Foedselsdato != kid.Foedsel[0].Foedselsdato || d.Foreldreansvarstype != "felles" {
		t.Fatalf("child %+v", d)
	}
	if len(d.Foreldreansvarlige) != len(kid.Foreldreansvar) || len(d.Foreldreansvarlige) != 2 {
		t.Fatalf("foreldreansvarlige %+v, want %d", d.Foreldreansvarlige, len(kid.Foreldreansvar))
	}
	for i, a := range d.Foreldreansvarlige {
		parent, err := f.reg.Person(f.ctx, kid.Foreldreansvar[i].Ansvarlig, []string{"navn"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Ansvar != "felles" || a.Identifikasjonsnummer.FoedselsEllerDNummer != kid.Foreldreansvar[i].Ansvarlig ||
			a.Navn == nil || a.Navn.Fornavn != parent.Navn[0].Fornavn || a.Foedsel == "" || a.Personstatus == "" {
			t.Fatalf("foreldreansvarlig %d: %+v", i, a)
		}
	}
	if len(d.Familierelasjoner) != len(kid.Familierelasjon) || len(d.Familierelasjoner) == 0 {
		t.Fatalf("familierelasjoner %+v, want %d", d.Familierelasjoner, len(kid.Familierelasjon))
	}
	last := f.audit[len(f.audit)-1]
	if last.Action != ActionOppvekst || !slices.Contains(last.Persons, ex.ChildFelles) || !slices.Contains(last.Persons, kid.Foreldreansvar[0].Ansvarlig) {
		t.Fatalf("audit %+v", last)
	}
}

func TestOppvekstRefusals(t *testing.T) {
	f := newFixture(t, fixtureOpts{n: 300, noStart: true})
	ok := oppvekstRole(f)
	lacking := oppvekstRole(f, "historikk", "foreldreansvar")
	noSearch := f.createRole([]string{store.PurposeCitizenLists}, OppvekstElements)
	valid := f.reg.Examples().Ordinary
	many := make([]string, MaxOppvekst+1)
	for i := range many {
		many[i] = valid
	}
	for _, tc := range []struct {
		name   string
		role   store.Role
		body   any
		status int
		want   []string
	}{
		{"lacks elements", lacking, map[string]any{"foedselsnumre": []string{valid}}, 403,
			[]string{"element-not-in-role", "foreldreansvar"}},
		{"lacks purpose", noSearch, map[string]any{"foedselsnumre": []string{valid}}, 403, []string{"purpose-not-in-role"}},
		{"lacking role before bad body", lacking, map[string]any{"foedselsnumre": []string{"123"}}, 403, []string{"foreldreansvar"}},
		{"too many", ok, map[string]any{"foedselsnumre": many}, 400, []string{"foedselsnumre", "1000"}},
		{"none", ok, map[string]any{"foedselsnumre": []string{}}, 400, []string{"foedselsnumre"}},
		{"invalid id", ok, map[string]any{"foedselsnumre": []string{valid, "12345678901"}}, 400, []string{"foedselsnumre[1]"}},
		{"unknown field", ok, map[string]any{"fnr": []string{valid}}, 400, []string{"fnr"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, f.router(f.caller(tc.role)), http.MethodPost, "/register/api/v1/ks/"+tc.role.ID+"/oppvekst", tc.body)
			if w.Code != tc.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("%s does not name %q", w.Body, s)
				}
			}
		})
	}
	// Every refusal is audited, as a denial.
	if len(f.audit) != 7 {
		t.Fatalf("%d audit records for 7 refusals", len(f.audit))
	}
	for _, r := range f.audit {
		if r.Decision != store.DecisionDeny || r.Action != ActionOppvekst {
			t.Fatalf("refusal audited as %+v", r)
		}
	}
}
