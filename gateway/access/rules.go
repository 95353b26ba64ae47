package access

import (
	"errors"
	"slices"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/reduce"
	"folkevakt/policy"
	"folkevakt/store"
)

// The rules of the read path, one function each. The policy engine holds
// the role's grants, purposes and elements; these say which elements a
// request touches and how an allowed answer is reduced.

// IDElement is the element every answer carries and every role holds
// (contract.md §4): the identity numbers themselves.
const IDElement = "identifikasjonsnummer"

// filterer is a set of search or selection criteria: it names the elements
// its filters read.
type filterer interface {
	filterElements() []string
}

// Touched is the one statement of which elements a request touches: the
// identity numbers, the elements asked for, and every element its criteria
// filter on (filtering on a value reveals it: a role without sivilstand must
// not list everyone married). c may be nil.
func Touched(asked []string, c filterer) []string {
	els := append([]string{IDElement}, asked...)
	if c != nil {
		els = append(els, c.filterElements()...)
	}
	return uniq(els)
}

// searchCriteria are the elements soek and entydigsoek filter on.
type searchCriteria struct{ q *freg.SearchQuery }

func (s searchCriteria) filterElements() []string {
	q := s.q
	var els []string
	if q.Navn != "" {
		els = append(els, "navn")
	}
	if q.Kjoenn != "" {
		els = append(els, "kjoenn")
	}
	if q.Foedselsdato != "" || q.FoedselsaarFraOgMed != 0 || q.FoedselsaarTilOgMed != 0 {
		els = append(els, "foedsel")
	}
	if q.Adressenavn != "" || q.Husnummer != "" || q.Postnummer != "" || q.Kommunenummer != "" || q.Fylkesnummer != "" {
		els = append(els, "bostedsadresse")
		if q.InkluderOppholdsadresse {
			els = append(els, "oppholdsadresse")
		}
	}
	// Searching by an identifier reveals that the person holds it.
	if q.Legitimasjonsdokument != "" {
		els = append(els, "legitimasjonsdokument")
	}
	if q.Utenlandskpersonidentifikasjon != "" {
		els = append(els, "utenlandskPersonidentifikasjon")
	}
	if q.Utlendingsmyndighetenesidentifikasjonsnummer != "" {
		els = append(els, "utlendingsmyndighetenesIdentifikasjonsnummer")
	}
	if q.Opplysningsgrunnlag == "historisk" || q.Opplysningsgrunnlag == "begge" {
		els = append(els, freg.ElementHistorikk)
	}
	return els
}

// MayRead reports whether a role may read element: it holds it (the
// identity numbers always) and, for a confidential element, its
// tjenesteområde allows confidential data.
func MayRead(role store.Role, area store.ServiceArea, element string) bool {
	if element != IDElement && !slices.Contains(role.Elements, element) {
		return false
	}
	e, ok := freg.LookupElement(element)
	return ok && (!e.Confidential || area.ConfidentialAllowed)
}

// Rules is the one statement of how an allowed answer is reduced for a
// role: the selected elements, confidential data only in a tjenesteområde
// that allows it, and graded addresses (contract.md §5) only in such a
// tjenesteområde, then when the role shows them ("show") or the request
// asks for them explicitly (reveal, audited as a reveal).
func Rules(role store.Role, area store.ServiceArea, sel freg.Selection, reveal bool) reduce.Rules {
	conf := area.ConfidentialAllowed
	return reduce.Rules{
		Selection:    sel,
		Confidential: conf,
		RevealGraded: conf && (reveal || role.GradedAddresses == store.GradedShow),
	}
}

// authorize asks the policy whether the caller may read elements for
// purpose in its role. parts are the request's `part` values (to name the
// part in a refusal); basisDefault says that no part was given, so that the
// elements are person-basis by FREG's default and the role must hold all of
// it.
func (r *read) authorize(elements, parts []string, basisDefault bool) error {
	r.rec.Elements = elements
	c := r.c
	d := r.s.policy.Decide(c.OrgID, policy.Query{
		Subject:  policy.Subject{Kind: c.SubjectKind, ID: c.SubjectID},
		RoleID:   c.Role.ID,
		Purpose:  r.rec.Purpose,
		Elements: elements,
	})
	if d.Allowed {
		r.allowed = true
		return nil
	}
	if e := denial(d, r.rec.Purpose, parts, basisDefault); e != nil {
		return e
	}
	return r.internal(errors.New("policy evaluation failed: "+d.Reason), "decide")
}

// denial turns a policy refusal into the typed denial (nil when the policy
// failed rather than refused).
func denial(d policy.Decision, purpose string, parts []string, basisDefault bool) *Error {
	switch d.Reason {
	case policy.ReasonUnknownRole:
		return deny(ReasonUnknownRole, "no such role")
	case policy.ReasonNotGranted:
		return deny(ReasonNotGranted, "the caller does not hold this role")
	case policy.ReasonPurpose:
		return deny(ReasonPurpose, "the role does not allow the purpose "+purpose)
	case policy.ReasonElement, policy.ReasonConfidential:
		if basisDefault && isPersonBasis(d.Detail) {
			return &Error{Reason: ReasonPersonBasis, Element: d.Detail, Part: freg.PartPersonBasis,
				Message: "no part given and the role does not cover all of person-basis"}
		}
		e := &Error{Reason: Reason(d.Reason), Element: d.Detail, Message: "element " + d.Detail + " is not in the role"}
		if p := partOf(parts, d.Detail); p != "" && p != d.Detail {
			e.Part = p
			e.Message = "part " + p + " is not within the role (element " + d.Detail + ")"
		} else if p == "" && d.Detail != IDElement {
			e.Message = "the criteria need element " + d.Detail + ", which is not in the role"
		}
		if d.Reason == policy.ReasonConfidential {
			e.Message += ": the tjenesteområde does not allow confidential data"
		}
		return e
	}
	return nil
}

func isPersonBasis(el string) bool {
	e, ok := freg.LookupElement(el)
	return ok && e.Part == freg.PartPersonBasis
}

// partOf returns the requested part that brought in element el.
func partOf(parts []string, el string) string {
	for _, p := range parts {
		if p == el {
			return p
		}
		if slices.Contains(freg.PartElements(p), el) {
			return p
		}
	}
	return ""
}
