package synth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"folkevakt/gateway/freg"
)

// The rarer elements of a Folkeregisterperson. They are derived on lookup
// from the person's compact record and a hash of its number, so they cost
// no memory and leave the generated population itself unchanged. Rates are
// rounded from public figures: about 0.8 % of adults under vergemål, some
// 20 000 on Sametingets valgmanntall, deaths with a registered contact for
// the estate, passports and foreign identity numbers for immigrants and
// D-number holders.

// Salts that give each element its own independent draw.
const (
	saltVerge uint64 = iota + 1
	saltFalsk
	saltDoedsbo
	saltSvalbard
	saltSamisk
	saltValgmanntall
	saltPreferert
	saltPostboks
	saltBibehold
	saltOpphold
	saltDocument
)

// draw is a deterministic number in [0, 1) for person i and an element.
func (r *Register) draw(i int32, salt uint64) float64 {
	return float64(mix(uint64(r.seed)^uint64(i)<<16^salt<<56)>>11) / (1 << 53)
}

// pickFrom deterministically picks an entry of xs for person i.
func pickFrom[T any](r *Register, i int32, salt uint64, xs []T) T {
	return xs[mix(uint64(r.seed)^uint64(i)<<20^salt<<50)%uint64(len(xs))]
}

// samiskKommuner are the kommuner of the administrative area for Sami
// languages, where Sami language use and the electoral roll are common.
var samiskKommuner = map[string]string{
	"5610": "nordsamisk", "5612": "nordsamisk", "5636": "nordsamisk", "5628": "nordsamisk", "5622": "nordsamisk",
	"5540": "nordsamisk", "5536": "nordsamisk", "5538": "nordsamisk", "5544": "nordsamisk", "5512": "nordsamisk",
	"5516": "nordsamisk", "5518": "nordsamisk", "1853": "nordsamisk", "1875": "lulesamisk", "1841": "lulesamisk",
	"1845": "lulesamisk", "1826": "soersamisk", "5041": "soersamisk", "5043": "soersamisk", "5025": "soersamisk",
}

// Hospitals by fylke, for foedselINorge.
var hospitals = map[string]string{
	"03": "Oslo universitetssykehus", "11": "Stavanger universitetssjukehus", "15": "Ålesund sjukehus",
	"18": "Nordlandssykehuset Bodø", "31": "Sykehuset Østfold Kalnes", "32": "Akershus universitetssykehus",
	"33": "Drammen sykehus", "34": "Sykehuset Innlandet Lillehammer", "39": "Sykehuset i Vestfold",
	"40": "Sykehuset Telemark", "42": "Sørlandet sykehus Kristiansand", "46": "Haukeland universitetssjukehus",
	"50": "St. Olavs hospital", "55": "Universitetssykehuset Nord-Norge", "56": "Klinikk Hammerfest",
}

// euCountries issue national identity numbers that FREG records as
// utenlandskPersonidentifikasjon; citizens of the others get a DUF number
// from the immigration authorities.
var euCountries = map[string]bool{"POL": true, "LTU": true, "SWE": true, "DNK": true, "DEU": true, "ESP": true}

// The number of a foreign identity document, passport or national id is a
// bijection of the person's index, so that entydigsoek can find the person
// from the number without an index.
const docScramble = 0x5bd1e995 // odd: invertible modulo 2³²

func docNumber(i int32) string {
	return strconv.FormatUint(uint64(uint32(i)*docScramble^0x2545f491), 10)
}

// personOfDocNumber inverts docNumber; ok is false for anything docNumber
// cannot have produced.
func personOfDocNumber(s string) (int32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, false
	}
	x := uint32(n) ^ 0x2545f491
	// Multiplicative inverse of docScramble modulo 2³² by Newton's iteration.
	inv := uint32(docScramble)
	for range 5 {
		inv *= 2 - docScramble*inv
	}
	i := x * inv
	if i > 1<<31-1 {
		return 0, false
	}
	return int32(i), true
}

// dufNumber is a DUF number: the year of registration and eight digits
// that are an invertible function of the person's index (below 10⁸).
func dufNumber(i int32, year int) string {
	return fmt.Sprintf("%04d%08d", year, (uint64(i)*dufScramble+dufOffset)%1e8)
}

const (
	dufScramble = 48271 // coprime to 10⁸
	dufOffset   = 3141592
)

// dufInverse is dufScramble's inverse modulo 10⁸.
var dufInverse = func() uint64 {
	for x := uint64(1); ; x += 2 {
		if x*dufScramble%1e8 == 1 {
			return x
		}
	}
}()

func personOfDUF(s string) (int32, bool) {
	if len(s) != 12 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[4:], 10, 64)
	if err != nil {
		return 0, false
	}
	return int32((n + 1e8 - dufOffset) % 1e8 * dufInverse % 1e8), true
}

func (r *Register) adult(p *person) bool { return p.birth <= dayOf(r.ref)-years(18) }

func (r *Register) fakeName(i int32, salt uint64) *freg.OriginaltNavn {
	first := femaleNames
	if mix(uint64(i)^salt)%2 == 0 {
		first = maleNames
	}
	return &freg.OriginaltNavn{Fornavn: pickFrom(r, i, salt, first), Etternavn: pickFrom(r, i, salt+100, surnames)}
}

// rareElements fills the elements most persons lack.
func (r *Register) rareElements(i int32, p *person, out *freg.Person) {
	created := r.at(i, evOpprettet, p.created)
	land := countries[p.land]
	y, _, _ := civil(p.created)

	// Born in Norway under the modern register (from 2017): the institution
	// and the birth's sequence number.
	if p.created == p.birth && p.flags&fDNummer == 0 && y >= 2017 && p.homeKind() == homeBosted {
		out.FoedselINorge = []freg.FoedselINorge{{Metadata: meta(created, 0),
			Foedselsinstitusjonsnavn: hospitals[r.kommuneOf(p.home)[:2]], Rekkefoelgenummer: 1}}
	}

	// Immigrants and D-number holders were identified by a passport or a
	// national identity card.
	if p.land != landNOR {
		doc := freg.Legitimasjonsdokument{Metadata: meta(created, 0),
			Identifikasjonsdokumentnummer: docNumber(i), Identifikasjonsdokumenttype: "pass", Utstederland: land.iso3,
			GyldigFra: dateString(p.created - 400), GyldigTil: dateString(p.created + 3253),
			Dokumentkontroll: &freg.Dokumentkontroll{Dokumentkontrollstatus: "dokumentErKontrollert", Dokumentkontrolltidspunkt: dateTimeString(created)}}
		if euCountries[land.iso3] {
			doc.Identifikasjonsdokumenttype = "nasjonaltIdentitetsbevis"
			out.UtenlandskPersonidentifikasjon = []freg.UtenlandskPersonidentifikasjon{{Metadata: meta(created, 0),
				Identifikasjonsnummer: docNumber(i), Identifikasjonsnummertype: "nasjonaltIdentifikasjonsnummer", Utstederland: land.iso3}}
		} else {
			out.UtlendingsmyndighetenesIdentifikasjonsnummer = []freg.UtlendingsmyndighetenesIdNummer{{Metadata: meta(created, 0),
				Identifikasjonsnummer: dufNumber(i, y), Identifikasjonsnummertype: "dufNummer", Utstederland: "NOR"}}
			if p.status == stBosatt {
				tillatelse := "midlertidig"
				if p.created < dayOf(r.ref)-years(3) {
					tillatelse = "permanent"
				}
				out.Opphold = []freg.Opphold{{Metadata: meta(created, 0), Oppholdstillatelse: tillatelse, OppholdFra: dateString(p.created)}}
			}
		}
		out.Legitimasjonsdokument = []freg.Legitimasjonsdokument{doc}
	}

	if p.status == stDoed && p.end > dayOf(r.ref)-years(5) && r.draw(i, saltDoedsbo) < 0.85 {
		out.KontaktinformasjonForDoedsbo = []freg.KontaktinformasjonForDoedsbo{r.doedsbo(i, p)}
	}

	if p.status == stUtflyttet && p.land == landNOR && r.draw(i, saltBibehold) < 0.08 {
		out.Bibehold = []freg.Bibehold{{Metadata: meta(r.at(i, evUtflyttet, p.end), 0),
			Bibeholdstatus: "harBibehold", DatoForBibehold: dateString(p.end + 30)}}
	}

	if p.status != stBosatt || p.flags&fDNummer != 0 || p.homeKind() != homeBosted {
		return
	}
	// From here on: residents with a known bostedsadresse.
	home := r.kommuneOf(p.home)
	spraak, samisk := samiskKommuner[home]
	if !samisk {
		spraak = "nordsamisk"
	}
	if (samisk && r.draw(i, saltSamisk) < 0.15) || r.draw(i, saltSamisk) < 0.003 {
		out.BrukAvSamiskSpraak = []freg.BrukAvSamiskSpraak{{Metadata: meta(created, 0), Spraak: []string{spraak}}}
	}
	if !r.adult(p) {
		return
	}
	if (samisk && r.draw(i, saltValgmanntall) < 0.25) || r.draw(i, saltValgmanntall) < 0.005 {
		forhold := "innmeldt"
		if r.draw(i, saltValgmanntall+50) < 0.05 {
			forhold = "utmeldt"
		}
		decided := max(p.birth+int32(years(18)), p.created) + int32(mix(uint64(i))%2000)
		decided = min(decided, dayOf(r.ref)-1)
		out.ForholdTilSametingetsValgmanntall = []freg.ForholdTilSametingetsValgmanntall{{
			Metadata: meta(r.at(i, evOpprettet, decided), 0), Forhold: forhold, Vedtaksdato: dateString(decided)}}
	}
	vergeRate := 0.006
	if p.birth < dayOf(r.ref)-years(80) {
		vergeRate = 0.04
	}
	if r.draw(i, saltVerge) < vergeRate {
		out.VergemaalEllerFremtidsfullmakt = []freg.VergemaalEllerFremtidsfullmakt{r.vergemaal(i, p)}
	}
	if r.draw(i, saltFalsk) < 0.001 {
		out.FalskIdentitet = &freg.FalskIdentitet{Metadata: meta(created, 0), ErFalsk: false}
	}
	if r.draw(i, saltSvalbard) < 0.0015 {
		start := dayOf(r.ref) - 30 - int32(mix(uint64(i)^saltSvalbard)%700)
		out.OppholdPaaSvalbard = []freg.OppholdPaaSvalbard{{Metadata: meta(r.at(i, evOpprettet, start), 0),
			Startdato: dateString(start), AntattOppholdsvarighet: "overSeksMaaneder", Fraflyttingskommunenummer: home}}
	}
	if r.draw(i, saltPreferert) < 0.004 {
		out.PreferertKontaktadresse = []freg.PreferertKontaktadresse{{Metadata: meta(created, 0), Valg: "bostedsadresse",
			Adressegradering: graderingNames[p.grad]}}
	}
	if p.grad == gUgradert && r.draw(i, saltPostboks) < 0.02 {
		post := r.posts[r.streets[p.home.street].post]
		out.Postadresse = append(out.Postadresse, freg.Postadresse{Metadata: meta(created, 0), Adressegradering: freg.GraderingUgradert,
			Postboksadresse: &freg.Postboksadresse{Postboks: strconv.Itoa(1 + int(mix(p.num)%400)),
				Poststed: &freg.Poststed{Postnummer: post.nr, Poststedsnavn: post.sted}}})
	}
}

var vergeOmfang = []string{"personligeOgOekonomiskeInteresser", "oekonomiskeInteresser", "personligeInteresser"}

func (r *Register) vergemaal(i int32, p *person) freg.VergemaalEllerFremtidsfullmakt {
	from := r.at(i, evOpprettet, dayOf(r.ref)-1-int32(mix(uint64(i)^saltVerge)%3000))
	v := freg.VergemaalEllerFremtidsfullmakt{Metadata: meta(from, 0), Vergemaaltype: "voksen", Embete: "Statsforvalteren",
		Verge: &freg.Verge{Navn: r.fakeName(i, saltVerge), Omfang: pickFrom(r, i, saltVerge, vergeOmfang)}}
	if r.draw(i, saltVerge+50) < 0.15 {
		v.Vergemaaltype, v.Embete = "stadfestetFremtidsfullmakt", ""
	}
	// Close family often acts as verge: a child of the person when there is one.
	if kids := r.children[r.childStart[i]:r.childStart[i+1]]; len(kids) > 0 {
		k := &r.persons[kids[0]]
		if r.adult(k) && k.status == stBosatt {
			v.Verge.FoedselsEllerDNummer = k.ident()
			v.Verge.Navn = &freg.OriginaltNavn{Fornavn: r.names[k.fornavn], Mellomnavn: r.names[k.mellom], Etternavn: r.names[k.etter]}
		}
	}
	personal := v.Verge.Omfang != "oekonomiskeInteresser"
	v.Verge.OmfangetErInnenPersonligOmraade = &personal
	return v
}

func (r *Register) doedsbo(i int32, p *person) freg.KontaktinformasjonForDoedsbo {
	issued := p.end + 20 + int32(mix(uint64(i)^saltDoedsbo)%60)
	issued = min(issued, dayOf(r.ref)-1)
	d := freg.KontaktinformasjonForDoedsbo{Metadata: meta(r.at(i, evDoed, issued), 0), Skifteform: "annet",
		Attestutstedelsesdato: dateString(issued)}
	var post post
	if p.homeKind() == homeBosted {
		post = r.posts[r.streets[p.home.street].post]
		d.Adresse = freg.DoedsboAdresse{Adresselinje: []string{streetNames[r.streets[p.home.street].name] + " " + strconv.Itoa(int(p.home.husnr))},
			Postnummer: post.nr, Poststedsnavn: post.sted}
	} else {
		d.Adresse = freg.DoedsboAdresse{Adresselinje: []string{"Postboks 1"}, Postnummer: "0101", Poststedsnavn: "OSLO"}
	}
	switch x := r.draw(i, saltDoedsbo+50); {
	case x < 0.1:
		d.Skifteform = "offentlig"
		d.Advokat = &freg.DoedsboAdvokat{Personnavn: *r.fakeName(i, saltDoedsbo), Organisasjonsnavn: "Advokatfirmaet Synutopia AS", Organisasjonsnummer: "921000006"}
	case x < 0.13:
		d.Organisasjon = &freg.DoedsboOrganisasjon{Organisasjonsnavn: "Synutopia Begravelsesbyrå AS", Organisasjonsnummer: "921000006",
			Kontaktpersonnavn: r.fakeName(i, saltDoedsbo+7)}
	default:
		contact := &freg.DoedsboPerson{Personnavn: r.fakeName(i, saltDoedsbo+9)}
		if p.spouse >= 0 && r.persons[p.spouse].status == stBosatt {
			s := &r.persons[p.spouse]
			contact = &freg.DoedsboPerson{FoedselsEllerDNummer: s.ident(),
				Personnavn: &freg.OriginaltNavn{Fornavn: r.names[s.fornavn], Mellomnavn: r.names[s.mellom], Etternavn: r.names[s.etter]}}
		}
		d.Person = contact
	}
	return d
}

// personByForeignID finds the person an entydigsoek's foreign identifier
// names and checks that the person holds exactly that identifier.
func (r *Register) personByForeignID(q freg.SearchQuery) (int32, bool) {
	var i int32
	var ok bool
	switch {
	case q.Legitimasjonsdokument != "":
		land, nr, _ := strings.Cut(q.Legitimasjonsdokument, "-")
		if i, ok = personOfDocNumber(nr); !ok || int(i) >= len(r.persons) {
			return 0, false
		}
		docs := r.materialise(i, freg.Selection{Elements: []string{"legitimasjonsdokument"}}).Legitimasjonsdokument
		ok = slices.ContainsFunc(docs, func(d freg.Legitimasjonsdokument) bool {
			return d.Utstederland == land && d.Identifikasjonsdokumentnummer == nr
		})
	case q.Utenlandskpersonidentifikasjon != "":
		land, nr, _ := strings.Cut(q.Utenlandskpersonidentifikasjon, "-")
		if i, ok = personOfDocNumber(nr); !ok || int(i) >= len(r.persons) {
			return 0, false
		}
		ids := r.materialise(i, freg.Selection{Elements: []string{"utenlandskPersonidentifikasjon"}}).UtenlandskPersonidentifikasjon
		ok = slices.ContainsFunc(ids, func(d freg.UtenlandskPersonidentifikasjon) bool {
			return d.Utstederland == land && d.Identifikasjonsnummer == nr
		})
	case q.Utlendingsmyndighetenesidentifikasjonsnummer != "":
		if i, ok = personOfDUF(q.Utlendingsmyndighetenesidentifikasjonsnummer); !ok || int(i) >= len(r.persons) {
			return 0, false
		}
		ids := r.materialise(i, freg.Selection{Elements: []string{"utlendingsmyndighetenesIdentifikasjonsnummer"}}).UtlendingsmyndighetenesIdentifikasjonsnummer
		ok = slices.ContainsFunc(ids, func(d freg.UtlendingsmyndighetenesIdNummer) bool {
			return d.Identifikasjonsnummer == q.Utlendingsmyndighetenesidentifikasjonsnummer
		})
	}
	return i, ok
}
