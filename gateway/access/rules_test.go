package access

import (
	"errors"
	"slices"
	"testing"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

// One table per rule of the read path.

func TestTouched(t *testing.T) {
	for _, tc := range []struct {
		name  string
		asked []string
		c     filterer
		want  []string
	}{
		{"nothing", nil, nil, []string{IDElement}},
		{"asked", []string{"navn"}, nil, []string{IDElement, "navn"}},
		{"soek by name and address", nil, searchCriteria{&freg.SearchQuery{Navn: "x", Postnummer: "1500", InkluderOppholdsadresse: true}},
			[]string{"bostedsadresse", IDElement, "navn", "oppholdsadresse"}},
		{"soek historic", nil, searchCriteria{&freg.SearchQuery{Kjoenn: "mann", Opplysningsgrunnlag: "begge"}},
			[]string{freg.ElementHistorikk, IDElement, "kjoenn"}},
		{"list default", nil, &Criteria{}, []string{"bostedsadresse", IDElement, "status"}},
		{"list opphold", nil, &Criteria{ExtractRequest: freg.ExtractRequest{Kommunenummer: &freg.KommuneFilter{Oppholdskommunenummer: "0301"}}},
			[]string{IDElement, "oppholdsadresse", "status"}},
		{"list uttrekk filters", []string{"navn"}, &Criteria{ExtractRequest: freg.ExtractRequest{Sivilstandstype: "gift", Kjoenn: "kvinne",
			Statsborgerskap: "SWE", DoedsaarFraOgMed: 2020}},
			[]string{"bostedsadresse", "doedsfall", IDElement, "kjoenn", "navn", "sivilstand", "statsborgerskap", "status"}},
		{"list exact filters", nil, &Criteria{AlderFraOgMed: new(int), Postnummer: []string{"0150"}},
			[]string{"bostedsadresse", "foedsel", IDElement, "status"}},
	} {
		got := Touched(tc.asked, tc.c)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRulesGraded(t *testing.T) {
	open := store.ServiceArea{ID: "open"}
	conf := store.ServiceArea{ID: "conf", ConfidentialAllowed: true}
	hide := store.Role{GradedAddresses: store.GradedHide}
	show := store.Role{GradedAddresses: store.GradedShow}
	for _, tc := range []struct {
		name         string
		role         store.Role
		area         store.ServiceArea
		reveal, want bool
	}{
		{"hide, not asked", hide, conf, false, false},
		{"hide, asked", hide, conf, true, true},
		{"show", show, conf, false, true},
		{"show outside confidential area", show, open, false, false},
		{"hide asked outside confidential area", hide, open, true, false},
	} {
		r := Rules(tc.role, tc.area, freg.Selection{}, tc.reveal)
		if r.RevealGraded != tc.want || r.Confidential != tc.area.ConfidentialAllowed {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
}

func TestMayRead(t *testing.T) {
	role := store.Role{Elements: []string{"navn", "familierelasjon"}}
	for _, tc := range []struct {
		el   string
		conf bool
		want bool
	}{
		{IDElement, false, true},
		{"navn", false, true},
		{"kjoenn", false, false},
		{"familierelasjon", false, false}, // confidential, area does not allow it
		{"familierelasjon", true, true},
		{"nosuchelement", true, false},
	} {
		if got := MayRead(role, store.ServiceArea{ConfidentialAllowed: tc.conf}, tc.el); got != tc.want {
			t.Errorf("%s conf=%v: %v", tc.el, tc.conf, got)
		}
	}
}

func TestDenialPersonBasisAndParts(t *testing.T) {
	for _, tc := range []struct {
		name         string
		d            policy.Decision
		parts        []string
		basisDefault bool
		reason       Reason
		part         string
	}{
		{"no part, basis element missing", policy.Decision{Reason: policy.ReasonElement, Detail: "sivilstand"}, nil, true, ReasonPersonBasis, freg.PartPersonBasis},
		{"part names the element", policy.Decision{Reason: policy.ReasonElement, Detail: "sivilstand"}, []string{"sivilstand"}, false, ReasonElement, ""},
		{"named part brought it in", policy.Decision{Reason: policy.ReasonConfidential, Detail: "familierelasjon"}, []string{"relasjon-utvidet"}, false, ReasonConfidential, "relasjon-utvidet"},
		{"criteria", policy.Decision{Reason: policy.ReasonElement, Detail: "kjoenn"}, nil, false, ReasonElement, ""},
		{"not granted", policy.Decision{Reason: policy.ReasonNotGranted}, nil, false, ReasonNotGranted, ""},
	} {
		e := denial(tc.d, store.PurposeSearch, tc.parts, tc.basisDefault)
		if e == nil || e.Reason != tc.reason || e.Part != tc.part || (tc.d.Detail != "" && e.Element != tc.d.Detail) {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
	if denial(policy.Decision{Reason: policy.ReasonPolicyEvaluation}, "", nil, false) != nil {
		t.Error("a failed evaluation is not a refusal")
	}
}

// The one criteria check: uttrekk and lists share vocabulary, bounds and
// kommune scope.
func TestCriteria(t *testing.T) {
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	org := []string{"0301"}
	k := func(nr string) *freg.KommuneFilter { return &freg.KommuneFilter{Bostedskommunenummer: nr} }
	er := func(f func(*freg.ExtractRequest)) Criteria {
		c := Criteria{ExtractRequest: freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, Kommunenummer: k("0301")}}
		f(&c.ExtractRequest)
		return c
	}
	for _, tc := range []struct {
		name   string
		c      Criteria
		reason Reason // "" = valid
	}{
		{"valid", er(func(*freg.ExtractRequest) {}), ""},
		{"unknown status", er(func(r *freg.ExtractRequest) { r.Personstatustyper = []string{"levende"} }), ReasonInvalid},
		{"two kommune kinds", er(func(r *freg.ExtractRequest) { r.Kommunenummer.Oppholdskommunenummer = "0301" }), ReasonInvalid},
		{"year too early", er(func(r *freg.ExtractRequest) { r.FoedselsaarFraOgMed = 1200 }), ReasonInvalid},
		{"year in the future", er(func(r *freg.ExtractRequest) { r.DoedsaarTilOgMed = 2099 }), ReasonInvalid},
		{"bad kjoenn", er(func(r *freg.ExtractRequest) { r.Kjoenn = "k" }), ReasonInvalid},
		{"bad sivilstand", er(func(r *freg.ExtractRequest) { r.Sivilstandstype = "samboer" }), ReasonInvalid},
		{"bad statsborgerskap", er(func(r *freg.ExtractRequest) { r.Statsborgerskap = "no" }), ReasonInvalid},
		{"foreign kommune", er(func(r *freg.ExtractRequest) { r.Kommunenummer = k("4601") }), ReasonKommuneNotServed},
	} {
		for _, path := range []string{"uttrekk", "list"} {
			c := tc.c
			var err error
			if path == "uttrekk" {
				if err = c.checkExtract(today); err == nil {
					err = c.scope(org)
				}
			} else {
				err = c.Normalise(org, today)
			}
			var e *Error
			switch {
			case tc.reason == "" && err != nil:
				t.Errorf("%s %s: %v", path, tc.name, err)
			case tc.reason != "" && (!errors.As(err, &e) || e.Reason != tc.reason):
				t.Errorf("%s %s: %v, want %s", path, tc.name, err, tc.reason)
			}
		}
	}
	// Only an uttrekk needs personstatustyper and kommunenummer (FREG reads
	// a missing kommunenummer as nationwide); a list defaults them.
	c := Criteria{}
	if err := c.checkExtract(today); err == nil {
		t.Error("uttrekk without personstatustyper accepted")
	}
	if err := c.Normalise(org, today); err != nil || !slices.Equal(c.Personstatustyper, []string{"bosatt"}) {
		t.Errorf("list defaults: %v %+v", err, c)
	}
}
