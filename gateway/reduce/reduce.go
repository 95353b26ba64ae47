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
// It serves typed sources (bulk, entydigsoek, citizen lists); a person
// lookup reduces the upstream's JSON with PersonJSON. Both state each rule
// once, in the helpers below.
func Person(p *freg.Person, r Rules) (*freg.Person, bool) {
	if p == nil {
		return nil, false
	}
	level := protection(p)
	out := freg.Project(p, r.Selection)
	ad := addressRule{level: level, r: r}
	if dropElement("bostedsadresse", level, r) {
		out.Bostedsadresse, out.Oppholdsadresse, out.DeltBosted = nil, nil, nil
	}
	out.Bostedsadresse = filter(out.Bostedsadresse, func(a *freg.Bostedsadresse) bool { return ad.keep(a.Adressegradering, false) })
	out.Oppholdsadresse = filter(out.Oppholdsadresse, func(a *freg.Oppholdsadresse) bool { return ad.keep(a.Adressegradering, false) })
	out.DeltBosted = filter(out.DeltBosted, func(a *freg.DeltBosted) bool { return ad.keep(a.Adressegradering, false) })
	out.Postadresse = filter(out.Postadresse, func(a *freg.Postadresse) bool { return ad.keep(a.Adressegradering, false) })
	out.PostadresseIUtlandet = filter(out.PostadresseIUtlandet, func(a *freg.PostadresseIUtlandet) bool { return ad.keep(a.Adressegradering, false) })
	out.PreferertKontaktadresse = filter(out.PreferertKontaktadresse, func(a *freg.PreferertKontaktadresse) bool { return ad.keep(a.Adressegradering, true) })
	if dropElement("innflytting", level, r) {
		out.Innflytting, out.Utflytting = nil, nil
	}
	if !r.Confidential {
		out.Status = maskStatus(out.Status)
	}
	return out, ad.revealed
}

// dropElement reports whether element leaves no entry at all for a person
// of protection level.
func dropElement(element, level string, r Rules) bool {
	switch element {
	case "bostedsadresse", "oppholdsadresse", "deltBosted":
		// Strengt fortrolig: no residence data ever, whatever the role
		// (freg.md §7: not even the kommune).
		return level == freg.GraderingStrengtFortrolig
	case "innflytting", "utflytting":
		// Inn- and utflytting of protected persons are confidential (freg.md §7).
		return level != "" && !r.Confidential
	}
	return false
}

// addressRule decides which address entries leave, and remembers whether a
// graded one did.
type addressRule struct {
	level    string
	r        Rules
	revealed bool
}

// keep reports whether an address entry with adressegradering g leaves;
// optional marks an element where FREG may leave g unset.
func (a *addressRule) keep(g string, optional bool) bool {
	// A fortrolig or strengt fortrolig person's addresses are all graded,
	// even an entry that says otherwise; without the reveal rule none leaves.
	hideAll := a.level != "" && !a.r.RevealGraded
	if g == freg.GraderingUgradert || (optional && g == "") {
		return !hideAll || a.level == freg.GraderingStrengtFortrolig
	}
	// Graded, or missing where FREG always sets it: fail closed.
	if a.r.RevealGraded && g != "" {
		a.revealed = true
		return true
	}
	return false
}

// raise returns the higher of the protection level and gradering g.
func raise(level, g string) string {
	switch g {
	case freg.GraderingStrengtFortrolig:
		return freg.GraderingStrengtFortrolig
	case freg.GraderingFortrolig:
		if level == "" {
			return freg.GraderingFortrolig
		}
	}
	return level
}

// protection returns the person's address protection: "" when unprotected,
// else fortrolig or strengtFortrolig. An address entry graded strengt
// fortrolig counts even if adressebeskyttelse is missing (defence in depth).
func protection(p *freg.Person) string {
	level := ""
	for _, a := range p.Adressebeskyttelse {
		if a.ErGjeldende {
			level = raise(level, a.Graderingsnivaa)
		}
	}
	for _, a := range p.Bostedsadresse {
		if a.Adressegradering == freg.GraderingStrengtFortrolig {
			level = raise(level, a.Adressegradering)
		}
	}
	for _, a := range p.Oppholdsadresse {
		if a.Adressegradering == freg.GraderingStrengtFortrolig {
			level = raise(level, a.Adressegradering)
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

// maskedStatus returns what a role without confidential access sees of
// status s, and whether that differs from s.
func maskedStatus(s string) (string, bool) {
	if openStatuses[s] {
		return s, false
	}
	return statusAktiv, s != statusAktiv
}

func maskStatus(xs []freg.Status) []freg.Status {
	var out []freg.Status
	for i, s := range xs {
		m, changed := maskedStatus(s.Status)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]freg.Status(nil), xs...)
		}
		out[i].Status = m
	}
	if out == nil {
		return xs
	}
	return out
}
