package freg

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Parts that name a group of elements (freg.md §4). Every element name is
// also a part of its own.
const (
	PartPersonBasis               = "person-basis"
	PartHistorikk                 = "historikk"
	PartIdentitetsgrunnlagUtvidet = "identitetsgrunnlag-utvidet"
	PartRelasjonUtvidet           = "relasjon-utvidet"
	// PartEnkeltelement groups the elements that belong to no named part.
	PartEnkeltelement = "enkeltelement"
)

// ElementHistorikk is the pseudo-element a role must hold to receive historic
// entries (part=historikk).
const ElementHistorikk = "historikk"

// Element describes one FREG element for dataminimering.
type Element struct {
	Name         string `json:"name"`
	Part         string `json:"part"`
	Confidential bool   `json:"confidential"`
	Label        string `json:"label"` // Norwegian label for the web pages
}

// Elements is the element catalogue in display order. Confidential flags
// follow Skatteetaten's list of taushetsbelagte opplysninger (freg.md §4).
var Elements = []Element{
	{"identifikasjonsnummer", PartPersonBasis, false, "Fødselsnummer eller d-nummer"},
	{"identitetsgrunnlag", PartPersonBasis, false, "Identitetsgrunnlag"},
	{"status", PartPersonBasis, false, "Personstatus"},
	{"doedsfall", PartPersonBasis, false, "Dødsfall"},
	{"sivilstand", PartPersonBasis, false, "Sivilstand"},
	{"foedsel", PartPersonBasis, false, "Fødsel"},
	{"statsborgerskap", PartPersonBasis, false, "Statsborgerskap"},
	{"kjoenn", PartPersonBasis, false, "Kjønn"},
	{"navn", PartPersonBasis, false, "Navn"},
	{"bostedsadresse", PartPersonBasis, false, "Bostedsadresse"},
	{"oppholdsadresse", PartPersonBasis, false, "Oppholdsadresse"},
	{"deltBosted", PartPersonBasis, false, "Delt bosted"},
	{"postadresse", PartPersonBasis, false, "Postadresse"},
	{"postadresseIUtlandet", PartPersonBasis, false, "Postadresse i utlandet"},
	{"adressebeskyttelse", PartPersonBasis, false, "Adressebeskyttelse"},
	{"kontaktinformasjonForDoedsbo", PartPersonBasis, false, "Kontaktinformasjon for dødsbo"},
	{"falskIdentitet", PartIdentitetsgrunnlagUtvidet, true, "Falsk identitet"},
	{"legitimasjonsdokument", PartIdentitetsgrunnlagUtvidet, false, "Legitimasjonsdokument"},
	{"utenlandskPersonidentifikasjon", PartIdentitetsgrunnlagUtvidet, true, "Utenlandsk personidentifikasjon"},
	{"familierelasjon", PartRelasjonUtvidet, true, "Familierelasjon"},
	{"foreldreansvar", PartRelasjonUtvidet, true, "Foreldreansvar"},
	{"vergemaalEllerFremtidsfullmakt", PartRelasjonUtvidet, false, "Vergemål eller fremtidsfullmakt"},
	{"preferertKontaktadresse", PartEnkeltelement, false, "Kontaktadresse"},
	{"foedselINorge", PartEnkeltelement, false, "Fødsel i Norge"},
	{"innflytting", PartEnkeltelement, false, "Innflytting"},
	{"utflytting", PartEnkeltelement, false, "Utflytting"},
	{"opphold", PartEnkeltelement, true, "Opphold"},
	{"oppholdPaaSvalbard", PartEnkeltelement, false, "Opphold på Svalbard"},
	{"rettsligHandleevne", PartEnkeltelement, false, "Rettslig handleevne"},
	{"bibehold", PartEnkeltelement, true, "Bibehold av statsborgerskap"},
	{"brukAvSamiskSpraak", PartEnkeltelement, true, "Bruk av samisk språk"},
	{"forholdTilSametingetsValgmanntall", PartEnkeltelement, true, "Forhold til Sametingets valgmanntall"},
	{"utlendingsmyndighetenesIdentifikasjonsnummer", PartEnkeltelement, true, "Utlendingsmyndighetenes identifikasjonsnummer (DUF-nummer)"},
	{ElementHistorikk, PartHistorikk, false, "Historiske opplysninger"},
}

var elementByName = func() map[string]Element {
	m := make(map[string]Element, len(Elements))
	for _, e := range Elements {
		m[e.Name] = e
	}
	return m
}()

// LookupElement returns the catalogue entry of an element name.
func LookupElement(name string) (Element, bool) {
	e, ok := elementByName[name]
	return e, ok
}

// PartElements returns the element names of a named part, or nil.
func PartElements(part string) []string {
	var out []string
	for _, e := range Elements {
		if e.Part == part && e.Name != ElementHistorikk {
			out = append(out, e.Name)
		}
	}
	return out
}

// PersonBasis is the element list of part person-basis, returned when no part
// is given.
var PersonBasis = PartElements(PartPersonBasis)

// Selection is what a request asks for, in elements.
type Selection struct {
	Elements  []string // sorted, unique, without "historikk"
	Historikk bool
}

// Contains reports whether name is selected.
func (s Selection) Contains(name string) bool {
	i := sort.SearchStrings(s.Elements, name)
	return i < len(s.Elements) && s.Elements[i] == name
}

// ParseParts turns FREG `part` values into a Selection: no part means
// person-basis; named parts expand to their elements; historikk is a
// modifier. identifikasjonsnummer is always included. An unknown part is an
// error naming it.
func ParseParts(parts []string) (Selection, error) {
	// Nearly every request names no part or one: those selections are
	// computed once (a map and a sort per lookup showed in profiles).
	if len(parts) <= 1 {
		key := ""
		if len(parts) == 1 {
			key = parts[0]
		}
		if sel, ok := commonSelections()[key]; ok {
			return Selection{Elements: slices.Clone(sel.Elements), Historikk: sel.Historikk}, nil
		}
	}
	return parseParts(parts)
}

// commonSelections are the selections of no part and of every single part.
var commonSelections = sync.OnceValue(func() map[string]Selection {
	m := map[string]Selection{}
	names := []string{"", PartHistorikk, PartPersonBasis, PartIdentitetsgrunnlagUtvidet, PartRelasjonUtvidet}
	for name := range elementByName {
		names = append(names, name)
	}
	for _, name := range names {
		var parts []string
		if name != "" {
			parts = []string{name}
		}
		if sel, err := parseParts(parts); err == nil {
			m[name] = sel
		}
	}
	return m
})

func parseParts(parts []string) (Selection, error) {
	set := map[string]bool{"identifikasjonsnummer": true}
	var sel Selection
	named := 0
	for _, p := range parts {
		switch p {
		case PartHistorikk:
			sel.Historikk = true
		case PartPersonBasis, PartIdentitetsgrunnlagUtvidet, PartRelasjonUtvidet:
			named++
			for _, e := range PartElements(p) {
				set[e] = true
			}
		default:
			if _, ok := elementByName[p]; !ok || p == ElementHistorikk {
				return Selection{}, fmt.Errorf("unknown part %q", p)
			}
			named++
			set[p] = true
		}
	}
	if named == 0 {
		for _, e := range PersonBasis {
			set[e] = true
		}
	}
	for e := range set {
		sel.Elements = append(sel.Elements, e)
	}
	sort.Strings(sel.Elements)
	return sel, nil
}
