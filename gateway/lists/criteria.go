package lists

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"folkevakt/gateway/freg"
)

// Criteria select the persons of a list. The first fields are FREG's
// TilpassetUttrekkJobbRequest (sent upstream); the rest are applied exactly
// to every person the uttrekk returns.
type Criteria struct {
	Personstatustyper   []string            `json:"personstatustyper,omitempty"`
	Kommunenummer       *freg.KommuneFilter `json:"kommunenummer,omitempty"`
	FoedselsaarFraOgMed int                 `json:"foedselsaarFraOgMed,omitempty"`
	FoedselsaarTilOgMed int                 `json:"foedselsaarTilOgMed,omitempty"`
	DoedsaarFraOgMed    int                 `json:"doedsaarFraOgMed,omitempty"`
	DoedsaarTilOgMed    int                 `json:"doedsaarTilOgMed,omitempty"`
	Kjoenn              string              `json:"kjoenn,omitempty"`
	Statsborgerskap     string              `json:"statsborgerskap,omitempty"`
	Sivilstandstype     string              `json:"sivilstandstype,omitempty"`

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
	// VisGraderteAdresser asks for graded addresses in the file; the Reducer
	// decides whether the role may have them.
	VisGraderteAdresser bool `json:"visGraderteAdresser,omitempty"`
}

// InvalidError is bad input; Field names the offending field or element.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, and names the offending field.
func decodeStrict(data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return invalid(name, "unknown field in %s", what)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = what
			}
			return invalid(field, "must be a JSON %s", te.Type.String())
		case errors.Is(err, io.EOF):
			return invalid(what, "is empty")
		}
		return invalid(what, "is not valid JSON")
	}
	if dec.More() {
		return invalid(what, "has data after the JSON value")
	}
	return nil
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

// normalise validates c against the organisation's municipalities and the
// order day, fills defaults (personstatustyper bosatt, referansedato) and
// returns the municipalities to order one uttrekk each for. Every error
// names its field.
func (c *Criteria) normalise(orgKommuner []string, today time.Time) error {
	if len(c.Personstatustyper) == 0 {
		c.Personstatustyper = []string{"bosatt"}
	}
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
		if !slices.Contains(orgKommuner, nr) {
			return invalid("kommunenummer", "%s is not one of the organisation's municipalities (%s)", nr, strings.Join(orgKommuner, ", "))
		}
	}
	if len(orgKommuner) == 0 {
		return invalid("kommunenummer", "the organisation has no municipalities")
	}
	if c.Referansedato == "" {
		c.Referansedato = today.Format(time.DateOnly)
	}
	ref, err := time.Parse(time.DateOnly, c.Referansedato)
	if err != nil {
		return invalid("referansedato", "must be a date YYYY-MM-DD")
	}
	thisYear := today.Year()
	for _, y := range []struct {
		name string
		v    int
	}{{"foedselsaarFraOgMed", c.FoedselsaarFraOgMed}, {"foedselsaarTilOgMed", c.FoedselsaarTilOgMed},
		{"doedsaarFraOgMed", c.DoedsaarFraOgMed}, {"doedsaarTilOgMed", c.DoedsaarTilOgMed}} {
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
		lo = max(lo, c.FoedselsaarFraOgMed)
	}
	if c.FoedselsaarTilOgMed != 0 {
		hi = min(hi, c.FoedselsaarTilOgMed)
	}
	if c.AlderFraOgMed != nil {
		hi = min(hi, ref.Year()-*c.AlderFraOgMed)
	}
	if c.AlderTilOgMed != nil {
		lo = max(lo, ref.Year()-*c.AlderTilOgMed-1)
	}
	return lo, hi
}

// opphold reports whether the criteria select by oppholdskommune (and so
// filter on oppholdsadresse rather than bostedsadresse).
func (c *Criteria) opphold() bool {
	return c.Kommunenummer != nil && c.Kommunenummer.Oppholdskommunenummer != ""
}

// addressElement is the element the address filters read.
func (c *Criteria) addressElement() string {
	if c.opphold() {
		return "oppholdsadresse"
	}
	return "bostedsadresse"
}

// filterElements are the elements the exact post-filters read; the role must
// hold them, since filtering on an element reveals it.
func (c *Criteria) filterElements() []string {
	var out []string
	if c.AlderFraOgMed != nil || c.AlderTilOgMed != nil {
		out = append(out, "foedsel")
	}
	if len(c.Postnummer) > 0 || c.Adressenavn != "" {
		out = append(out, c.addressElement())
	}
	return out
}

// extractRequests returns one upstream uttrekk per municipality.
func (c *Criteria) extractRequests(orgKommuner []string) []freg.ExtractRequest {
	ref, _ := time.Parse(time.DateOnly, c.Referansedato)
	lo, hi := c.birthYears(ref)
	base := freg.ExtractRequest{
		Personstatustyper: c.Personstatustyper,
		DoedsaarFraOgMed:  c.DoedsaarFraOgMed, DoedsaarTilOgMed: c.DoedsaarTilOgMed,
		Kjoenn: c.Kjoenn, Statsborgerskap: c.Statsborgerskap, Sivilstandstype: c.Sivilstandstype,
	}
	if lo > minYear {
		base.FoedselsaarFraOgMed = lo
	}
	if hi < ref.Year() || c.FoedselsaarTilOgMed != 0 {
		base.FoedselsaarTilOgMed = hi
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

// matcher applies the exact criteria to a reduced person; nil means keep
// everyone the uttrekk returned.
type matcher struct {
	ref           time.Time
	ageLo, ageHi  int // −1 = open
	postnummer    []string
	adressenavn   string
	opphold, used bool
}

func (c *Criteria) matcher() matcher {
	ref, _ := time.Parse(time.DateOnly, c.Referansedato)
	m := matcher{ref: ref, ageLo: -1, ageHi: -1, postnummer: c.Postnummer,
		adressenavn: strings.ToLower(strings.TrimSpace(c.Adressenavn)), opphold: c.opphold()}
	if c.AlderFraOgMed != nil {
		m.ageLo = *c.AlderFraOgMed
	}
	if c.AlderTilOgMed != nil {
		m.ageHi = *c.AlderTilOgMed
	}
	m.used = m.ageLo >= 0 || m.ageHi >= 0 || len(m.postnummer) > 0 || m.adressenavn != ""
	return m
}

// ageOn returns the age in whole years on ref of someone born on birth.
func ageOn(birth, ref time.Time) int {
	a := ref.Year() - birth.Year()
	if ref.Month() < birth.Month() || (ref.Month() == birth.Month() && ref.Day() < birth.Day()) {
		a--
	}
	return a
}

func (m matcher) match(p *freg.Person) bool {
	if !m.used {
		return true
	}
	if m.ageLo >= 0 || m.ageHi >= 0 {
		f := current(p.Foedsel)
		if f == nil || f.Foedselsdato == "" {
			return false
		}
		birth, err := time.Parse(time.DateOnly, f.Foedselsdato)
		if err != nil {
			return false
		}
		a := ageOn(birth, m.ref)
		if (m.ageLo >= 0 && a < m.ageLo) || (m.ageHi >= 0 && a > m.ageHi) {
			return false
		}
	}
	if len(m.postnummer) > 0 || m.adressenavn != "" {
		var a address
		if m.opphold {
			a = oppholdAddress(current(p.Oppholdsadresse))
		} else {
			a = bostedAddress(current(p.Bostedsadresse))
		}
		if len(m.postnummer) > 0 && !slices.Contains(m.postnummer, a.postnummer) {
			return false
		}
		if m.adressenavn != "" && !strings.HasPrefix(strings.ToLower(a.street), m.adressenavn) {
			return false
		}
	}
	return true
}
