package synth

import (
	"slices"
	"strconv"
	"strings"

	"folkevakt/gateway/freg"
)

const kilde = "Synutopia"

func (p *person) ident() string {
	s := strconv.FormatUint(p.num, 10)
	if len(s) < 11 {
		s = strings.Repeat("0", 11-len(s)) + s
	}
	return s
}

// lookup finds a person by identity number.
func (r *Register) lookup(id string) (int32, bool) {
	if len(id) != 11 {
		return 0, false
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0, false
	}
	i, ok := slices.BinarySearch(r.nums, n)
	if !ok {
		return 0, false
	}
	return r.byNum[i], true
}

// at is the instant a person's change of type typ on day was registered;
// element metadata and the event feed share it.
func (r *Register) at(i int32, typ uint8, day int32) int64 {
	h := mix(uint64(r.seed) ^ uint64(i)<<8 ^ uint64(typ))
	// Registered during office hours, Norwegian time.
	return int64(day)*86400 + 6*3600 + int64(h%(10*3600))
}

// mix is splitmix64's finaliser: a cheap deterministic hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// meta builds element metadata for a value valid from registration at;
// a non-zero until makes it historic.
func meta(at, until int64) freg.Metadata {
	ts := dateTimeString(at)
	m := freg.Metadata{
		Ajourholdstidspunkt: ts,
		ErGjeldende:         until == 0,
		Kilde:               kilde,
		Gyldighetstidspunkt: ts,
	}
	if until != 0 {
		m.Opphoerstidspunkt = dateTimeString(until)
	}
	return m
}

func (r *Register) kommuneOf(a addr) string { return kommuneTable[r.streets[a.street].kommune].nr }

func (r *Register) vegadresse(a addr) *freg.Vegadresse {
	st := r.streets[a.street]
	v := &freg.Vegadresse{
		Kommunenummer: kommuneTable[st.kommune].nr,
		Adressenavn:   streetNames[st.name],
		Adressenummer: &freg.Adressenummer{Husnummer: strconv.Itoa(int(a.husnr))},
		Adressekode:   strconv.Itoa(10000 + int(st.name)*7),
		Poststed:      &freg.Poststed{Postnummer: r.posts[st.post].nr, Poststedsnavn: r.posts[st.post].sted},
	}
	if a.bokstav != 0 {
		v.Adressenummer.Husbokstav = string(rune('A' + a.bokstav - 1))
	}
	return v
}

// matrikkelID is a stable synthetic adresseIdentifikatorFraMatrikkelen.
func matrikkelID(a addr) string {
	return strconv.Itoa(100000000 + int(a.street)*10000 + int(a.husnr)*10 + int(a.bokstav))
}

func (r *Register) bosted(a addr, moved int32, grad string, m freg.Metadata) freg.Bostedsadresse {
	return freg.Bostedsadresse{
		Metadata:                           m,
		Vegadresse:                         r.vegadresse(a),
		AdresseIdentifikatorFraMatrikkelen: matrikkelID(a),
		Adressegradering:                   grad,
		Flyttedato:                         dateString(moved),
	}
}

// Event types, also used to derive registration instants.
const (
	evOpprettet uint8 = iota
	evNavn
	evBosted
	evBostedPrev
	evSivilstand
	evDoed
	evUtflyttet
	evAdressebeskyttelse
	evFamilierelasjon
	evForeldreansvar
	evDeltBosted
	evOppholdsadresse
)

var eventNames = []string{
	"personErOpprettet", "endringINavn", "endringIBostedsadresse", "endringIBostedsadresse",
	"endringISivilstand", "personErDoed", "personErUtflyttet", "endringIAdressebeskyttelse",
	"endringIFamilierelasjon", "endringIForeldreansvar", "endringIDeltBosted", "endringIOppholdsadresse",
}

// parentRole is the role of parent slot k with the parent's sex.
func parentRole(k int, female bool) string {
	switch {
	case k == 0:
		return "mor"
	case female:
		return "medmor"
	}
	return "far"
}

// responsible reports whether parent slot k holds foreldreansvar.
func responsible(ansvar uint8, k int) bool {
	return ansvar == ansvarFelles || (ansvar == ansvarMor && k == 0) || (ansvar == ansvarFar && k == 1)
}

// materialise builds the person document with history, skipping the
// costly address and relation groups when sel needs none of them, and
// projects it on sel.
func (r *Register) materialise(i int32, sel freg.Selection) *freg.Person {
	p := &r.persons[i]
	at := func(typ uint8, day int32) int64 { return r.at(i, typ, day) }
	created := at(evOpprettet, p.created)
	id := p.ident()
	out := &freg.Person{}

	idType := "foedselsnummer"
	grunnlag := "kontrollert"
	if p.flags&fDNummer != 0 {
		idType, grunnlag = "dNummer", "ikkeKontrollert"
	}
	out.Identifikasjonsnummer = []freg.Identifikasjonsnummer{{Metadata: meta(created, 0), FoedselsEllerDNummer: id, Identifikatortype: idType, Status: "iBruk"}}
	out.Identitetsgrunnlag = []freg.Identitetsgrunnlag{{Metadata: meta(created, 0), Identitetsgrunnlagstatus: grunnlag}}

	switch p.status {
	case stDoed, stUtflyttet:
		typ := evDoed
		if p.status == stUtflyttet {
			typ = evUtflyttet
		}
		ended := at(typ, p.end)
		out.Status = []freg.Status{
			{Metadata: meta(ended, 0), Status: statusNames[p.status]},
			{Metadata: meta(created, ended), Status: statusNames[stBosatt]},
		}
	default:
		out.Status = []freg.Status{{Metadata: meta(created, 0), Status: statusNames[p.status]}}
	}

	out.Navn = []freg.Navn{r.navn(p, p.etter, created, 0)}
	if p.oldEtter != 0 {
		changed := at(evNavn, p.nameDate)
		out.Navn[0].Metadata = meta(changed, 0)
		out.Navn = append(out.Navn, r.navn(p, p.oldEtter, created, changed))
	}

	y, _, _ := civil(p.birth)
	f := freg.Foedsel{Metadata: meta(created, 0), Foedselsdato: dateString(p.birth), Foedselsaar: strconv.Itoa(y)}
	switch k := p.homeKind(); {
	case p.created > p.birth:
		f.Foedeland = countries[p.land].iso3
	case k == homeBosted || k == homeHistoric:
		f.Foedeland, f.FoedekommuneINorge = "NOR", r.kommuneOf(p.home)
	default:
		f.Foedeland = "NOR" // no kommune: it could hint at a protected address
	}
	out.Foedsel = []freg.Foedsel{f}
	kj := "mann"
	if p.female() {
		kj = "kvinne"
	}
	out.Kjoenn = []freg.Kjoenn{{Metadata: meta(created, 0), Kjoenn: kj}}
	if p.status == stDoed {
		out.Doedsfall = &freg.Doedsfall{Metadata: meta(at(evDoed, p.end), 0), Doedsdato: dateString(p.end)}
	}
	out.Sivilstand = r.sivilstand(i, p, created)
	out.Statsborgerskap = []freg.Statsborgerskap{{Metadata: meta(created, 0), Statsborgerskap: countries[p.land].iso3}}
	if slices.ContainsFunc(addressElements, sel.Contains) {
		r.addresses(i, p, out)
	}
	if sel.Contains("familierelasjon") || sel.Contains("foreldreansvar") {
		r.relations(i, p, out)
	}
	if p.created > p.birth && p.flags&fDNummer == 0 {
		out.Innflytting = []freg.Innflytting{{Metadata: meta(created, 0), Fraflyttingsland: countries[p.land].iso3}}
	}
	if p.status == stUtflyttet {
		d := countries[p.dest]
		out.Utflytting = []freg.Utflytting{{Metadata: meta(at(evUtflyttet, p.end), 0),
			Tilflyttingsland: d.iso3, TilflyttingsstedIUtlandet: d.city, Utflyttingsdato: dateString(p.end)}}
	}
	r.rareElements(i, p, out)
	return freg.Project(out, sel)
}

// addressElements are the elements that addresses() fills.
var addressElements = []string{"bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "postadresseIUtlandet", "adressebeskyttelse"}

func (r *Register) navn(p *person, etter uint16, from, until int64) freg.Navn {
	n := freg.Navn{
		Metadata:   meta(from, until),
		Fornavn:    r.names[p.fornavn],
		Mellomnavn: r.names[p.mellom],
		Etternavn:  r.names[etter],
	}
	short := strings.ToUpper(strings.TrimSpace(n.Etternavn + " " + n.Fornavn + " " + n.Mellomnavn))
	if len([]rune(short)) <= 40 {
		n.ForkortetNavn = short
	}
	return n
}

func (r *Register) sivilstand(i int32, p *person, created int64) []freg.Sivilstand {
	ugift := freg.Sivilstand{Metadata: meta(created, 0), Sivilstand: sivilNames[sivUgift]}
	if p.sivil == sivUgift {
		return []freg.Sivilstand{ugift}
	}
	changed := r.at(i, evSivilstand, p.sivDate)
	cur := freg.Sivilstand{Metadata: meta(changed, 0), Sivilstand: sivilNames[p.sivil], Sivilstandsdato: dateString(p.sivDate)}
	if p.spouse >= 0 {
		cur.RelatertVedSivilstand = r.persons[p.spouse].ident()
	}
	if p.sivil != sivEnke || p.spouse < 0 {
		ugift.Metadata = meta(created, changed)
		return []freg.Sivilstand{cur, ugift}
	}
	// A widow(er) was married first; the marriage date is the late spouse's.
	s := &r.persons[p.spouse]
	married := r.at(i, evSivilstand, s.sivDate)
	gift := freg.Sivilstand{Metadata: meta(married, changed), Sivilstand: sivilNames[sivGift],
		Sivilstandsdato: dateString(s.sivDate), RelatertVedSivilstand: cur.RelatertVedSivilstand}
	ugift.Metadata = meta(created, married)
	return []freg.Sivilstand{cur, gift, ugift}
}

func (r *Register) addresses(i int32, p *person, out *freg.Person) {
	grad := graderingNames[p.grad]
	prevGrad := freg.GraderingUgradert
	if p.grad == gFortrolig {
		prevGrad = freg.GraderingFortrolig
	}
	moved := r.at(i, evBosted, p.moveDate)
	var prevUntil int64
	switch p.homeKind() {
	case homeNone:
		out.Postadresse = []freg.Postadresse{{
			Metadata:         meta(r.at(i, evAdressebeskyttelse, p.moveDate), 0),
			Adressegradering: freg.GraderingUgradert,
			Postboksadresse: &freg.Postboksadresse{Postbokseier: sfPostbokseier, Postboks: sfPostboks,
				Poststed: &freg.Poststed{Postnummer: sfPostnummer, Poststedsnavn: sfPoststed}},
		}}
		out.Adressebeskyttelse = []freg.Adressebeskyttelse{{Metadata: meta(r.at(i, evAdressebeskyttelse, p.moveDate), 0), Graderingsnivaa: grad}}
		return
	case homeOpphold:
		out.Oppholdsadresse = []freg.Oppholdsadresse{{
			Metadata:                           meta(r.at(i, evOpprettet, p.created), 0),
			Vegadresse:                         r.vegadresse(p.home),
			AdresseIdentifikatorFraMatrikkelen: matrikkelID(p.home),
			Adressegradering:                   freg.GraderingUgradert,
			Oppholdsadressedato:                dateString(p.moveDate),
		}}
		return
	case homeBosted:
		out.Bostedsadresse = []freg.Bostedsadresse{r.bosted(p.home, p.moveDate, grad, meta(moved, 0))}
		prevUntil = moved
	case homeHistoric:
		emigrated := r.at(i, evUtflyttet, p.end)
		out.Bostedsadresse = []freg.Bostedsadresse{r.bosted(p.home, p.moveDate, grad, meta(moved, emigrated))}
		prevUntil = moved
		a := countries[p.dest]
		out.PostadresseIUtlandet = []freg.PostadresseIUtlandet{{
			Metadata:         meta(emigrated, 0),
			Adressegradering: freg.GraderingUgradert,
			UtenlandskAdresseIFrittFormat: &freg.UtenlandskAdresseIFrittFormat{
				Adresselinje:     []string{streetNames[r.streets[p.home.street].name] + " " + strconv.Itoa(int(p.home.husnr))},
				Postkode:         strconv.Itoa(10000 + int(mix(p.num)%80000)),
				ByEllerStedsnavn: a.city,
				Landkode:         a.iso2,
			},
		}}
	}
	if p.flags&fHasPrev != 0 {
		prevFrom := r.at(i, evBostedPrev, p.prevDate)
		if p.prevDate <= p.created {
			prevFrom = r.at(i, evOpprettet, p.created)
		}
		out.Bostedsadresse = append(out.Bostedsadresse, r.bosted(p.prev, p.prevDate, prevGrad, meta(prevFrom, prevUntil)))
	}
	if p.grad == gFortrolig {
		out.Adressebeskyttelse = []freg.Adressebeskyttelse{{Metadata: meta(r.at(i, evAdressebeskyttelse, p.moveDate), 0), Graderingsnivaa: grad}}
	}
	if p.flags&fDeltBosted != 0 {
		o := r.otherParent(p)
		start := max(p.birth, r.persons[o].moveDate)
		out.DeltBosted = []freg.DeltBosted{{
			Metadata:                           meta(r.at(i, evDeltBosted, start), 0),
			Vegadresse:                         r.vegadresse(r.persons[o].home),
			StartdatoForKontrakt:               dateString(start),
			AdresseIdentifikatorFraMatrikkelen: matrikkelID(r.persons[o].home),
			Adressegradering:                   freg.GraderingUgradert,
		}}
	}
}

// otherParent returns the parent of a child with deltBosted who lives
// elsewhere.
func (r *Register) otherParent(p *person) int32 {
	for _, q := range p.parent {
		if q >= 0 && r.persons[q].home != p.home {
			return q
		}
	}
	return p.parent[1]
}

func (r *Register) relations(i int32, p *person, out *freg.Person) {
	for k, q := range p.parent {
		if q < 0 {
			continue
		}
		qp := &r.persons[q]
		born := r.at(i, evOpprettet, p.created)
		out.Familierelasjon = append(out.Familierelasjon, freg.Familierelasjon{Metadata: meta(born, 0),
			RelatertPerson: qp.ident(), RelatertPersonsRolle: parentRole(k, qp.female()), MinRolleForPerson: "barn"})
		if responsible(p.ansvar, k) {
			out.Foreldreansvar = append(out.Foreldreansvar, freg.Foreldreansvar{Metadata: meta(born, 0),
				Ansvar: ansvarNames[p.ansvar], Ansvarlig: qp.ident()})
		}
	}
	if p.spouse >= 0 {
		out.Familierelasjon = append(out.Familierelasjon, freg.Familierelasjon{
			Metadata:       meta(r.at(i, evFamilierelasjon, p.sivDate), 0),
			RelatertPerson: r.persons[p.spouse].ident(), RelatertPersonsRolle: "ektefelleEllerPartner", MinRolleForPerson: "ektefelleEllerPartner"})
	}
	for _, c := range r.children[r.childStart[i]:r.childStart[i+1]] {
		cp := &r.persons[c]
		k := slices.Index(cp.parent[:], i)
		born := r.at(i, evFamilierelasjon, cp.created)
		out.Familierelasjon = append(out.Familierelasjon, freg.Familierelasjon{Metadata: meta(born, 0),
			RelatertPerson: cp.ident(), RelatertPersonsRolle: "barn", MinRolleForPerson: parentRole(k, p.female())})
		if responsible(cp.ansvar, k) {
			out.Foreldreansvar = append(out.Foreldreansvar, freg.Foreldreansvar{Metadata: meta(r.at(i, evForeldreansvar, cp.created), 0),
				Ansvar: ansvarNames[cp.ansvar], Ansvarssubjekt: cp.ident()})
		}
	}
}
