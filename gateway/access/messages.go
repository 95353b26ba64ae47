package access

import (
	"errors"

	"folkevakt/gateway/freg"
)

// norwegian is what a caseworker is told for each reason, in bokmål: the
// one table of Norwegian denial messages, used by the portal. Reasons
// that concern an element end with the element's label (Norwegian()).
var norwegian = map[Reason]string{
	ReasonInvalid:          "Søket eller bestillingen er ikke gyldig.",
	ReasonUnauthenticated:  "Innloggingen din er utløpt. Logg inn på nytt.",
	ReasonThrottled:        "For mange mislykkede forsøk. Vent litt og prøv igjen.",
	ReasonUnknownRole:      "Rollen finnes ikke.",
	ReasonNotGranted:       "Du har ikke (lenger) tilgang til denne rollen.",
	ReasonPurpose:          "Rollen har ikke dette bruksområdet.",
	ReasonElement:          "Rollen du har valgt gir ikke tilgang til opplysningen",
	ReasonConfidential:     "Tjenesteområdet til rollen gir ikke tilgang til taushetsbelagte opplysninger, som",
	ReasonRoleM2MOnly:      "Rollen kan bare brukes av fagsystemer (maskin-til-maskin).",
	ReasonPersonBasis:      "Rollen dekker ikke alle opplysningene i «Person basis», så opplysningene må velges uttrykkelig.",
	ReasonKommuneNotServed: "Kommunen hører ikke til organisasjonen din.",
	ReasonNotFound:         "Fant ingen person med dette fødselsnummeret eller d-nummeret.",
	ReasonMethodNotAllowed: "Handlingen er ikke tillatt her.",
	ReasonGone:             "Uttrekket finnes ikke lenger hos Folkeregisteret.",
	ReasonConflict:         "Bestillingen er ikke i en tilstand som tillater dette.",
	ReasonBusy:             "For mange bestillinger venter. Prøv igjen senere.",
	ReasonUpstreamThrottle: "For mange forespørsler. Vent litt og prøv igjen.",
	ReasonUpstream:         "Folkeregisteret svarer ikke akkurat nå. Prøv igjen senere.",
	ReasonUpstreamTimeout:  "Folkeregisteret svarer ikke akkurat nå. Prøv igjen senere.",
	ReasonAudit:            "Forespørselen kunne ikke logges, og ble derfor ikke besvart. Prøv igjen senere.",
	ReasonInternal:         "Noe gikk galt. Prøv igjen senere.",
}

// Norwegian is the caseworker's message for e: by its typed reason, with
// the element's Norwegian label where the reason concerns an element.
func (e *Error) Norwegian() string {
	msg, ok := norwegian[e.Reason]
	if !ok {
		return norwegian[ReasonInternal]
	}
	if e.Reason != ReasonElement && e.Reason != ReasonConfidential {
		return msg
	}
	label := "som trengs"
	if el, known := freg.LookupElement(e.Element); known {
		label = "«" + el.Label + "»"
	}
	return msg + " " + label + "."
}

// Norwegian is the caseworker's message for any error of the service.
func Norwegian(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Norwegian()
	}
	return norwegian[ReasonInternal]
}
