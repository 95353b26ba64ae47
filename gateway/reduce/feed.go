package reduce

import "folkevakt/gateway/freg"

// addressElements are every element that holds an address.
var addressElements = []string{"bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet", "preferertKontaktadresse"}

// EventElements maps a hendelsetype to the elements it concerns (freg.md §3).
// Types about the person as such (creation, identity number, splitting,
// merging, "re-fetch") concern identifikasjonsnummer, which every role holds.
var EventElements = map[string][]string{
	"personErOpprettet":                               {"identifikasjonsnummer"},
	"endringIIdentifikasjonsnummer":                   {"identifikasjonsnummer"},
	"personErOppdatert":                               {"identifikasjonsnummer"},
	"personErOpphoert":                                {"identifikasjonsnummer"},
	"personErReaktivert":                              {"identifikasjonsnummer"},
	"personErViderefoertSomGjeldendeVedSammenslaaing": {"identifikasjonsnummer"},
	"personErOpphoertSomDublett":                      {"identifikasjonsnummer"},
	"personErEndretVedSplitting":                      {"identifikasjonsnummer"},
	"personErGjenopprettetVedSplitting":               {"identifikasjonsnummer"},
	"endringIPerson":                                  {"identifikasjonsnummer"},

	"personErDoed":      {"status", "doedsfall"},
	"personErUtflyttet": {"status", "utflytting"},
	"personErBosatt":    {"status", "bostedsadresse", "innflytting"},
	"personErInaktiv":   {"status"},
	"endringIStatus":    {"status"},

	"endringIIdentitetsgrunnlag":                           {"identitetsgrunnlag"},
	"endringIUtenlandskPersonidentifikasjon":               {"utenlandskPersonidentifikasjon"},
	"endringIKontaktopplysningerForDoedsbo":                {"kontaktinformasjonForDoedsbo"},
	"endringILegitimasjonsdokument":                        {"legitimasjonsdokument"},
	"endringIFalskIdentitet":                               {"falskIdentitet"},
	"endringIUtlendingsmyndighetenesIdentifikasjonsnummer": {"utlendingsmyndighetenesIdentifikasjonsnummer"},
	"endringIDoedsfall":                                    {"doedsfall"},
	"endringIFamilierelasjon":                              {"familierelasjon"},
	"endringISivilstand":                                   {"sivilstand"},
	"endringIKontaktinformasjon":                           {"postadresse", "postadresseIUtlandet", "preferertKontaktadresse"},
	"endringIBostedsadresse":                               {"bostedsadresse"},
	"endringIBostedsadresseUtenFlytting":                   {"bostedsadresse"},
	"endringIBostedsadresseVedKommuneregulering":           {"bostedsadresse"},
	"endringIDeltBosted":                                   {"deltBosted"},
	"endringIOppholdsadresse":                              {"oppholdsadresse"},
	"endringIAdressebeskyttelse":                           append([]string{"adressebeskyttelse"}, addressElements...),
	"endringIInnflytting":                                  {"innflytting"},
	"endringIUtflytting":                                   {"utflytting"},
	"endringIKjoenn":                                       {"kjoenn"},
	"endringIFoedsel":                                      {"foedsel"},
	"endringIFoedselINorge":                                {"foedselINorge"},
	"endringIVergemaal":                                    {"vergemaalEllerFremtidsfullmakt"},
	"endringIRettsligHandleevne":                           {"rettsligHandleevne"},
	"endringIFratattRettsligHandleevne":                    {"rettsligHandleevne"},
	"endringINavn":                                         {"navn"},
	"endringIStatsborgerskap":                              {"statsborgerskap", "bibehold"},
	"endringIForeldreansvar":                               {"foreldreansvar"},
	"endringIOpphold":                                      {"opphold"},
	"endringIOppholdPaaSvalbard":                           {"oppholdPaaSvalbard"},
	"endringIBrukAvSamiskSpraak":                           {"brukAvSamiskSpraak"},
	"endringISametingetsValgmanntall":                      {"forholdTilSametingetsValgmanntall"},
}

// Feed keeps the items whose hendelsetype concerns at least one element the
// role may read (has reports membership in the role's elements, already
// limited to what its tjenesteområde allows). An unknown hendelsetype is
// dropped: the gateway cannot tell what it reveals, and a consumer that
// misses it re-reads the person on the next known event. It returns the kept
// items and how many unknown ones were dropped.
func Feed(items []freg.FeedItem, has func(element string) bool) (kept []freg.FeedItem, unknown int) {
	kept = make([]freg.FeedItem, 0, len(items))
	for _, it := range items {
		els, ok := EventElements[it.Hendelse.Hendelsetype]
		if !ok {
			unknown++
			continue
		}
		for _, e := range els {
			if has(e) {
				kept = append(kept, it)
				break
			}
		}
	}
	return kept, unknown
}
