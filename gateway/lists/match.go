package lists

import (
	"slices"
	"strings"
	"time"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
)

// matcher applies the exact criteria to a reduced person; nil means keep
// everyone the uttrekk returned.
type matcher struct {
	ref           time.Time
	ageLo, ageHi  int // −1 = open
	postnummer    []string
	adressenavn   string
	opphold, used bool
}

func newMatcher(c *access.Criteria) matcher {
	ref, _ := time.Parse(time.DateOnly, c.Referansedato)
	m := matcher{ref: ref, ageLo: -1, ageHi: -1, postnummer: c.Postnummer,
		adressenavn: strings.ToLower(strings.TrimSpace(c.Adressenavn)), opphold: c.Opphold()}
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
