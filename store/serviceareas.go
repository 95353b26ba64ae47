package store

// BuiltinServiceAreas are the tjenesteområder KS registers for every
// organisation (seeded when an organisation is created). IDs are stable slugs
// so that exported policy files move between organisations and instances.
func BuiltinServiceAreas() []ServiceArea {
	fr102 := "Lov om folkeregistrering (folkeregisterloven) § 10-2"
	return []ServiceArea{
		{ID: "barnehage", Name: "Barnehage", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om barnehager (barnehageloven) § 8"}},
		{ID: "barnevern", Name: "Barnevern og familiestøtte", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om barnevern (barnevernsloven) § 13-4"}},
		{ID: "brann", Name: "Brann", ConfidentialAllowed: false,
			LegalBasis: []string{"Lov om folkeregistrering (folkeregisterloven) § 10-1", "Lov om vern mot brann, eksplosjon og ulykker (brann- og eksplosjonsvernloven) § 11"}},
		{ID: "foreldrebetaling", Name: "Foreldrebetaling SFO/barnehage", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om barnehager (barnehageloven) § 15", "Lov om grunnskolen og den vidaregåande opplæringa (opplæringslova) § 13-7"}},
		{ID: "helse-omsorg", Name: "Helse og omsorg", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om kommunale helse- og omsorgstjenester (helse- og omsorgstjenesteloven) § 3-1"}},
		{ID: "hr", Name: "HR", ConfidentialAllowed: false,
			LegalBasis: []string{"Lov om folkeregistrering (folkeregisterloven) § 10-1"}},
		{ID: "innkreving", Name: "Innkreving", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om betaling og innkreving av skatte- og avgiftskrav (skattebetalingsloven) § 3-4"}},
		{ID: "integrering", Name: "Integrering", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om integrering gjennom opplæring, utdanning og arbeid (integreringsloven) § 47"}},
		{ID: "skole", Name: "Skole og utdanning", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om grunnskolen og den vidaregåande opplæringa (opplæringslova)", "Lov om frittståande skolar (friskolelova)", "Lov om barn og foreldre (barnelova)"}},
		{ID: "sosiale-tjenester", Name: "Sosiale tjenester", ConfidentialAllowed: true,
			LegalBasis: []string{fr102, "Lov om sosiale tjenester i arbeids- og velferdsforvaltningen (sosialtjenesteloven) § 43"}},
		{ID: "stotte", Name: "Støttetjenester uten taushetsbelagte opplysninger", ConfidentialAllowed: false,
			LegalBasis: []string{"Lov om folkeregistrering (folkeregisterloven) § 10-1"}},
		{ID: "apenhet", Name: "Åpenhet (innsyn arkiv)", ConfidentialAllowed: false,
			LegalBasis: []string{"Lov om folkeregistrering (folkeregisterloven) § 10-1", "Lov om rett til innsyn i dokument i offentleg verksemd (offentleglova)"}},
	}
}
