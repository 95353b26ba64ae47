package freg

// md gives generic code access to the embedded Metadata of every element.
func (m *Metadata) md() *Metadata { return m }

type element[T any] interface {
	*T
	md() *Metadata
}

// entries keeps the current entries of xs, or all of them when hist is set.
// It returns xs itself when nothing is dropped; callers must not mutate.
func entries[T any, PT element[T]](xs []T, hist bool) []T {
	if hist || len(xs) == 0 {
		return xs
	}
	keep := 0
	for i := range xs {
		if PT(&xs[i]).md().ErGjeldende {
			keep++
		}
	}
	if keep == len(xs) {
		return xs
	}
	if keep == 0 {
		return nil
	}
	out := make([]T, 0, keep)
	for i := range xs {
		if PT(&xs[i]).md().ErGjeldende {
			out = append(out, xs[i])
		}
	}
	return out
}

// copyElement copies one element from src to dst; one entry per element name.
var copyElement = map[string]func(dst, src *Person, hist bool){
	"identifikasjonsnummer": func(d, s *Person, h bool) { d.Identifikasjonsnummer = entries(s.Identifikasjonsnummer, h) },
	"identitetsgrunnlag":    func(d, s *Person, h bool) { d.Identitetsgrunnlag = entries(s.Identitetsgrunnlag, h) },
	"status":                func(d, s *Person, h bool) { d.Status = entries(s.Status, h) },
	"navn":                  func(d, s *Person, h bool) { d.Navn = entries(s.Navn, h) },
	"foedsel":               func(d, s *Person, h bool) { d.Foedsel = entries(s.Foedsel, h) },
	"foedselINorge":         func(d, s *Person, h bool) { d.FoedselINorge = entries(s.FoedselINorge, h) },
	"kjoenn":                func(d, s *Person, h bool) { d.Kjoenn = entries(s.Kjoenn, h) },
	"doedsfall":             func(d, s *Person, h bool) { d.Doedsfall = s.Doedsfall },
	"sivilstand":            func(d, s *Person, h bool) { d.Sivilstand = entries(s.Sivilstand, h) },
	"statsborgerskap":       func(d, s *Person, h bool) { d.Statsborgerskap = entries(s.Statsborgerskap, h) },
	"bostedsadresse":        func(d, s *Person, h bool) { d.Bostedsadresse = entries(s.Bostedsadresse, h) },
	"oppholdsadresse":       func(d, s *Person, h bool) { d.Oppholdsadresse = entries(s.Oppholdsadresse, h) },
	"deltBosted":            func(d, s *Person, h bool) { d.DeltBosted = entries(s.DeltBosted, h) },
	"postadresse":           func(d, s *Person, h bool) { d.Postadresse = entries(s.Postadresse, h) },
	"postadresseIUtlandet":  func(d, s *Person, h bool) { d.PostadresseIUtlandet = entries(s.PostadresseIUtlandet, h) },
	"preferertKontaktadresse": func(d, s *Person, h bool) {
		d.PreferertKontaktadresse = entries(s.PreferertKontaktadresse, h)
	},
	"adressebeskyttelse": func(d, s *Person, h bool) { d.Adressebeskyttelse = entries(s.Adressebeskyttelse, h) },
	"familierelasjon":    func(d, s *Person, h bool) { d.Familierelasjon = entries(s.Familierelasjon, h) },
	"foreldreansvar":     func(d, s *Person, h bool) { d.Foreldreansvar = entries(s.Foreldreansvar, h) },
	"vergemaalEllerFremtidsfullmakt": func(d, s *Person, h bool) {
		d.VergemaalEllerFremtidsfullmakt = entries(s.VergemaalEllerFremtidsfullmakt, h)
	},
	"rettsligHandleevne":    func(d, s *Person, h bool) { d.RettsligHandleevne = entries(s.RettsligHandleevne, h) },
	"falskIdentitet":        func(d, s *Person, h bool) { d.FalskIdentitet = s.FalskIdentitet },
	"legitimasjonsdokument": func(d, s *Person, h bool) { d.Legitimasjonsdokument = entries(s.Legitimasjonsdokument, h) },
	"utenlandskPersonidentifikasjon": func(d, s *Person, h bool) {
		d.UtenlandskPersonidentifikasjon = entries(s.UtenlandskPersonidentifikasjon, h)
	},
	"utlendingsmyndighetenesIdentifikasjonsnummer": func(d, s *Person, h bool) {
		d.UtlendingsmyndighetenesIdentifikasjonsnummer = entries(s.UtlendingsmyndighetenesIdentifikasjonsnummer, h)
	},
	"kontaktinformasjonForDoedsbo": func(d, s *Person, h bool) {
		d.KontaktinformasjonForDoedsbo = entries(s.KontaktinformasjonForDoedsbo, h)
	},
	"innflytting":        func(d, s *Person, h bool) { d.Innflytting = entries(s.Innflytting, h) },
	"utflytting":         func(d, s *Person, h bool) { d.Utflytting = entries(s.Utflytting, h) },
	"opphold":            func(d, s *Person, h bool) { d.Opphold = entries(s.Opphold, h) },
	"oppholdPaaSvalbard": func(d, s *Person, h bool) { d.OppholdPaaSvalbard = entries(s.OppholdPaaSvalbard, h) },
	"bibehold":           func(d, s *Person, h bool) { d.Bibehold = entries(s.Bibehold, h) },
	"brukAvSamiskSpraak": func(d, s *Person, h bool) { d.BrukAvSamiskSpraak = entries(s.BrukAvSamiskSpraak, h) },
	"forholdTilSametingetsValgmanntall": func(d, s *Person, h bool) {
		d.ForholdTilSametingetsValgmanntall = entries(s.ForholdTilSametingetsValgmanntall, h)
	},
}

// Project returns a new person holding only the selected elements (current
// entries only unless sel.Historikk). It is how the register honours `part`
// and how the gateway reduces an upstream answer to what a role may see: an
// element not in sel never reaches the result, whatever p holds. The result
// shares entry slices with p.
func Project(p *Person, sel Selection) *Person {
	out := &Person{}
	for _, name := range sel.Elements {
		if f := copyElement[name]; f != nil {
			f(out, p, sel.Historikk)
		}
	}
	return out
}
