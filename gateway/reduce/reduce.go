// Package reduce cuts what Folkeregisteret returned down to what a role may
// see. The gateway never trusts the upstream to have filtered: every person
// document leaving it goes through Person, every feed page through Feed.
package reduce

import (
	"folkevakt/gateway/freg"
)

// Rules are what one request may receive.
type Rules struct {
	// Selection is the elements the request asked for and the policy allowed
	// (a subset of the role's elements), with Historikk if allowed.
	Selection freg.Selection
	// Confidential: the role's tjenesteområde allows taushetsbelagte data.
	Confidential bool
	// RevealGraded: graded addresses may be shown (Confidential and either
	// visGraderteAdresser=true or the role's gradedAddresses is "show").
	RevealGraded bool
}

// openStatuses are the person statuses everyone may see; the others are
// confidential and shown as "aktiv" without confidential access (freg.md §4).
var openStatuses = map[string]bool{"bosatt": true, "utflyttet": true, "doed": true, "opphoert": true, "inaktiv": true}

const statusAktiv = "aktiv"

// Person returns the reduced copy of p and whether a graded address was left
// in it. p is not modified (the result may share unmodified slices with it).
func Person(p *freg.Person, r Rules) (*freg.Person, bool) {
	if p == nil {
		return nil, false
	}
	level := protection(p)
	out := freg.Project(p, r.Selection)
	revealed := false

	// Strengt fortrolig: no residence data ever, whatever the role
	// (freg.md §7: not even the kommune).
	if level == freg.GraderingStrengtFortrolig {
		out.Bostedsadresse, out.Oppholdsadresse, out.DeltBosted = nil, nil, nil
	}
	// A fortrolig or strengt fortrolig person's addresses are all graded,
	// even an entry that says otherwise; without the reveal rule none leaves.
	hideAll := level != "" && !r.RevealGraded
	keep := func(g string, optional bool) bool {
		if g == freg.GraderingUgradert || (optional && g == "") {
			return !hideAll || level == freg.GraderingStrengtFortrolig
		}
		// Graded, or missing where FREG always sets it: fail closed.
		if r.RevealGraded && g != "" {
			revealed = true
			return true
		}
		return false
	}
	out.Bostedsadresse = filter(out.Bostedsadresse, func(a *freg.Bostedsadresse) bool { return keep(a.Adressegradering, false) })
	out.Oppholdsadresse = filter(out.Oppholdsadresse, func(a *freg.Oppholdsadresse) bool { return keep(a.Adressegradering, false) })
	out.DeltBosted = filter(out.DeltBosted, func(a *freg.DeltBosted) bool { return keep(a.Adressegradering, false) })
	out.Postadresse = filter(out.Postadresse, func(a *freg.Postadresse) bool { return keep(a.Adressegradering, false) })
	out.PostadresseIUtlandet = filter(out.PostadresseIUtlandet, func(a *freg.PostadresseIUtlandet) bool { return keep(a.Adressegradering, false) })
	out.PreferertKontaktadresse = filter(out.PreferertKontaktadresse, func(a *freg.PreferertKontaktadresse) bool { return keep(a.Adressegradering, true) })

	if !r.Confidential {
		// Inn- and utflytting of protected persons are confidential (freg.md §7).
		if level != "" {
			out.Innflytting, out.Utflytting = nil, nil
		}
		out.Status = maskStatus(out.Status)
	}
	return out, revealed
}

// protection returns the person's address protection: "" when unprotected,
// else fortrolig or strengtFortrolig. An address entry graded strengt
// fortrolig counts even if adressebeskyttelse is missing (defence in depth).
func protection(p *freg.Person) string {
	level := ""
	raise := func(g string) {
		switch g {
		case freg.GraderingStrengtFortrolig:
			level = freg.GraderingStrengtFortrolig
		case freg.GraderingFortrolig:
			if level == "" {
				level = freg.GraderingFortrolig
			}
		}
	}
	for _, a := range p.Adressebeskyttelse {
		if a.ErGjeldende {
			raise(a.Graderingsnivaa)
		}
	}
	for _, a := range p.Bostedsadresse {
		if a.Adressegradering == freg.GraderingStrengtFortrolig {
			raise(a.Adressegradering)
		}
	}
	for _, a := range p.Oppholdsadresse {
		if a.Adressegradering == freg.GraderingStrengtFortrolig {
			raise(a.Adressegradering)
		}
	}
	return level
}

// filter returns the entries keep accepts, without modifying xs.
func filter[T any](xs []T, keep func(*T) bool) []T {
	var out []T
	for i := range xs {
		if keep(&xs[i]) {
			out = append(out, xs[i])
		}
	}
	return out
}

func maskStatus(xs []freg.Status) []freg.Status {
	var out []freg.Status
	for i, s := range xs {
		if openStatuses[s.Status] {
			continue
		}
		if out == nil {
			out = append([]freg.Status(nil), xs...)
		}
		out[i].Status = statusAktiv
	}
	if out == nil {
		return xs
	}
	return out
}
