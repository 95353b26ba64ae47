package access

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"folkevakt/gateway/freg"
)

// Criteria select persons for an uttrekk or a citizen list: the one
// criteria vocabulary. The embedded ExtractRequest is FREG's
// TilpassetUttrekkJobbRequest (an uttrekk sends it as it is); the further
// fields are applied exactly to every person the uttrekk returns (lists).
type Criteria struct {
	freg.ExtractRequest

	// Postnummer keeps persons whose address (bosted, or opphold when
	// kommunenummer selects oppholdskommunenummer) has one of these numbers.
	Postnummer []string `json:"postnummer,omitempty"`
	// Adressenavn keeps persons whose street name starts with it (case-insensitive, ≥ 3 characters).
	Adressenavn string `json:"adressenavn,omitempty"`
	// AlderFraOgMed/AlderTilOgMed are exact ages on Referansedato; pointers
	// because 0 is a valid age.
	AlderFraOgMed *int `json:"alderFraOgMed,omitempty"`
	AlderTilOgMed *int `json:"alderTilOgMed,omitempty"`
	// Referansedato (YYYY-MM-DD) is the day ages are computed on; default the
	// day of the order.
	Referansedato string `json:"referansedato,omitempty"`
	// VisGraderteAdresser asks for graded addresses explicitly; Rules decide
	// whether the role may have them.
	VisGraderteAdresser bool `json:"visGraderteAdresser,omitempty"`
}

var (
	statusTypes = []string{"aktiv", "bosatt", "utflyttet", "doed", "inaktiv"}
	sivilstand  = []string{"uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert",
		"registrertPartner", "separertPartner", "skiltPartner", "gjenlevendePartner"}
	reKommune    = regexp.MustCompile(`^[0-9]{4}$`)
	rePostnummer = regexp.MustCompile(`^[0-9]{4}$`)
	reISO3       = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Year and age bounds; anything outside is a typo, not a list.
const (
	minYear = 1850
	maxAge  = 130
)

// Normalise fills a citizen list's defaults (personstatustyper bosatt,
// referansedato the order day) and checks the criteria: the one vocabulary
// and bounds (check) and the one kommune scope (scope). A list without
// kommunenummer covers every municipality of the organisation.
func (c *Criteria) Normalise(orgKommuner []string, today time.Time) error {
	if len(c.Personstatustyper) == 0 {
		c.Personstatustyper = []string{"bosatt"}
	}
	if c.Referansedato == "" {
		c.Referansedato = today.Format(time.DateOnly)
	}
	if err := c.check(today); err != nil {
		return err
	}
	return c.scope(orgKommuner)
}

// checkExtract checks an uttrekk's criteria: FREG needs personstatustyper,
// and FREG reads an uttrekk without kommunenummer as nationwide, which no
// kommune has a basis for.
func (c *Criteria) checkExtract(today time.Time) error {
	if len(c.Personstatustyper) == 0 {
		return invalid("personstatustyper", "is required")
	}
	if c.Kommunenummer == nil {
		return invalid("kommunenummer", "is required: an uttrekk covers one of the organisation's municipalities")
	}
	return c.check(today)
}

// scope keeps criteria within the organisation's own municipalities: a
// kommune has no basis for lists of other kommuners residents.
func (c *Criteria) scope(orgKommuner []string) error {
	if len(orgKommuner) == 0 {
		return deny(ReasonKommuneNotServed, "the organisation has no municipalities")
	}
	if k := c.Kommunenummer; k != nil {
		nr := k.Bostedskommunenummer + k.Oppholdskommunenummer // check leaves exactly one set
		if !slices.Contains(orgKommuner, nr) {
			return deny(ReasonKommuneNotServed, "kommunenummer "+nr+" is not one of the organisation's municipalities ("+strings.Join(orgKommuner, ", ")+")")
		}
	}
	return nil
}

// check is the one statement of the criteria's vocabulary and bounds.
// Every error names its field, never a person.
func (c *Criteria) check(today time.Time) error {
	for _, t := range c.Personstatustyper {
		if !slices.Contains(statusTypes, t) {
			return invalid("personstatustyper", "%q is not one of %s", t, strings.Join(statusTypes, ", "))
		}
	}
	if k := c.Kommunenummer; k != nil {
		nr := k.Bostedskommunenummer + k.Oppholdskommunenummer
		if (k.Bostedskommunenummer == "") == (k.Oppholdskommunenummer == "") {
			return invalid("kommunenummer", "needs exactly one of bostedskommunenummer and oppholdskommunenummer")
		}
		if !reKommune.MatchString(nr) {
			return invalid("kommunenummer", "%q is not a 4-digit kommunenummer", nr)
		}
	}
	ref := today
	if c.Referansedato != "" {
		var err error
		if ref, err = time.Parse(time.DateOnly, c.Referansedato); err != nil {
			return invalid("referansedato", "must be a date YYYY-MM-DD")
		}
	}
	thisYear := today.Year()
	for _, y := range []struct {
		name string
		v    int
	}{{"foedselsaarFraOgMed", int(c.FoedselsaarFraOgMed)}, {"foedselsaarTilOgMed", int(c.FoedselsaarTilOgMed)},
		{"doedsaarFraOgMed", int(c.DoedsaarFraOgMed)}, {"doedsaarTilOgMed", int(c.DoedsaarTilOgMed)}} {
		if y.v != 0 && (y.v < minYear || y.v > thisYear) {
			return invalid(y.name, "%d is outside %d–%d", y.v, minYear, thisYear)
		}
	}
	if c.FoedselsaarTilOgMed != 0 && c.FoedselsaarFraOgMed > c.FoedselsaarTilOgMed {
		return invalid("foedselsaarFraOgMed", "is after foedselsaarTilOgMed")
	}
	if c.DoedsaarTilOgMed != 0 && c.DoedsaarFraOgMed > c.DoedsaarTilOgMed {
		return invalid("doedsaarFraOgMed", "is after doedsaarTilOgMed")
	}
	if (c.DoedsaarFraOgMed != 0 || c.DoedsaarTilOgMed != 0) && !slices.Contains(c.Personstatustyper, "doed") {
		return invalid("doedsaarFraOgMed", "selects dead persons, so personstatustyper must include doed")
	}
	for _, a := range []struct {
		name string
		v    *int
	}{{"alderFraOgMed", c.AlderFraOgMed}, {"alderTilOgMed", c.AlderTilOgMed}} {
		if a.v != nil && (*a.v < 0 || *a.v > maxAge) {
			return invalid(a.name, "%d is outside 0–%d", *a.v, maxAge)
		}
	}
	if c.AlderFraOgMed != nil && c.AlderTilOgMed != nil && *c.AlderFraOgMed > *c.AlderTilOgMed {
		return invalid("alderFraOgMed", "is greater than alderTilOgMed")
	}
	if lo, hi := c.birthYears(ref); lo > hi {
		return invalid("alderFraOgMed", "age and birth-year criteria exclude each other: no birth year fits")
	}
	if c.Kjoenn != "" && c.Kjoenn != "mann" && c.Kjoenn != "kvinne" {
		return invalid("kjoenn", "must be mann or kvinne")
	}
	if c.Statsborgerskap != "" && !reISO3.MatchString(c.Statsborgerskap) {
		return invalid("statsborgerskap", "must be an ISO 3166-1 alpha-3 code such as NOR")
	}
	if c.Sivilstandstype != "" && !slices.Contains(sivilstand, c.Sivilstandstype) {
		return invalid("sivilstandstype", "%q is not one of %s", c.Sivilstandstype, strings.Join(sivilstand, ", "))
	}
	for _, p := range c.Postnummer {
		if !rePostnummer.MatchString(p) {
			return invalid("postnummer", "%q is not a 4-digit postnummer", p)
		}
	}
	if c.Adressenavn != "" && len([]rune(strings.TrimSpace(c.Adressenavn))) < 3 {
		return invalid("adressenavn", "needs at least 3 characters")
	}
	return nil
}

// birthYears is the birth-year range the criteria allow, combining the year
// fields with the ages on ref: age ≥ A on ref means born in ref.Year()−A or
// earlier; age ≤ B means born in ref.Year()−B−1 or later.
func (c *Criteria) birthYears(ref time.Time) (lo, hi int) {
	lo, hi = minYear, ref.Year()
	if c.FoedselsaarFraOgMed != 0 {
		lo = max(lo, int(c.FoedselsaarFraOgMed))
	}
	if c.FoedselsaarTilOgMed != 0 {
		hi = min(hi, int(c.FoedselsaarTilOgMed))
	}
	if c.AlderFraOgMed != nil {
		hi = min(hi, ref.Year()-*c.AlderFraOgMed)
	}
	if c.AlderTilOgMed != nil {
		lo = max(lo, ref.Year()-*c.AlderTilOgMed-1)
	}
	return lo, hi
}

// Opphold reports whether the criteria select by oppholdskommune (and so
// filter on oppholdsadresse rather than bostedsadresse).
func (c *Criteria) Opphold() bool {
	return c.Kommunenummer != nil && c.Kommunenummer.Oppholdskommunenummer != ""
}

// addressElement is the element the address filters read.
func (c *Criteria) addressElement() string {
	if c.Opphold() {
		return "oppholdsadresse"
	}
	return "bostedsadresse"
}

// filterElements are the elements the criteria filter on (see Touched):
// the uttrekk's own (status always, the kommune's address, birth and death
// years, kjønn, statsborgerskap, sivilstand) and the exact post-filters'.
// A list without kommunenummer selects by bostedskommune.
func (c *Criteria) filterElements() []string {
	out := []string{"status", c.addressElement()}
	if c.FoedselsaarFraOgMed != 0 || c.FoedselsaarTilOgMed != 0 || c.AlderFraOgMed != nil || c.AlderTilOgMed != nil {
		out = append(out, "foedsel")
	}
	if c.DoedsaarFraOgMed != 0 || c.DoedsaarTilOgMed != 0 {
		out = append(out, "doedsfall")
	}
	if c.Kjoenn != "" {
		out = append(out, "kjoenn")
	}
	if c.Statsborgerskap != "" {
		out = append(out, "statsborgerskap")
	}
	if c.Sivilstandstype != "" {
		out = append(out, "sivilstand")
	}
	return out
}

// FetchElements are the elements a list must fetch to apply its exact
// post-filters (Matcher).
func (c *Criteria) FetchElements() []string {
	var out []string
	if c.AlderFraOgMed != nil || c.AlderTilOgMed != nil {
		out = append(out, "foedsel")
	}
	if len(c.Postnummer) > 0 || c.Adressenavn != "" {
		out = append(out, c.addressElement())
	}
	return out
}

// ExtractRequests returns one upstream uttrekk per municipality.
func (c *Criteria) ExtractRequests(orgKommuner []string) []freg.ExtractRequest {
	ref, _ := time.Parse(time.DateOnly, c.Referansedato)
	lo, hi := c.birthYears(ref)
	base := c.ExtractRequest
	base.FoedselsaarFraOgMed, base.FoedselsaarTilOgMed = 0, 0
	if lo > minYear {
		base.FoedselsaarFraOgMed = freg.Aar(lo)
	}
	if hi < ref.Year() || c.FoedselsaarTilOgMed != 0 {
		base.FoedselsaarTilOgMed = freg.Aar(hi)
	}
	if c.Kommunenummer != nil {
		k := *c.Kommunenummer
		base.Kommunenummer = &k
		return []freg.ExtractRequest{base}
	}
	out := make([]freg.ExtractRequest, len(orgKommuner))
	for i, nr := range orgKommuner {
		out[i] = base
		out[i].Kommunenummer = &freg.KommuneFilter{Bostedskommunenummer: nr}
	}
	return out
}

func invalid(field, format string, args ...any) *Error {
	return Invalid(field + ": " + fmt.Sprintf(format, args...))
}
