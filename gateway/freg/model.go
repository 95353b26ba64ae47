// Package freg is folkevakt's view of Folkeregisteret: the person document
// (Folkeregisterperson) in FREG's JSON, the part/element catalogue used for
// dataminimering, and the Client interface that the embedded synthetic
// register and the HTTP client both implement.
//
// Field names are exactly FREG's wire names; enums are FREG's camelCase
// values. Date-times are kept as the strings FREG sends (ISO-8601 with
// offset), dates as YYYY-MM-DD strings, so that a document round-trips
// byte-for-byte in meaning.
package freg

// Metadata is carried by every element.
type Metadata struct {
	Ajourholdstidspunkt string `json:"ajourholdstidspunkt,omitempty"`
	ErGjeldende         bool   `json:"erGjeldende"`
	Kilde               string `json:"kilde,omitempty"`
	Aarsak              string `json:"aarsak,omitempty"`
	Gyldighetstidspunkt string `json:"gyldighetstidspunkt,omitempty"`
	Opphoerstidspunkt   string `json:"opphoerstidspunkt,omitempty"`
}

// Person is a Folkeregisterperson. All elements are arrays (current entry
// with erGjeldende=true plus historic ones) except Doedsfall and
// FalskIdentitet.
type Person struct {
	Identifikasjonsnummer                        []Identifikasjonsnummer             `json:"identifikasjonsnummer,omitempty"`
	Identitetsgrunnlag                           []Identitetsgrunnlag                `json:"identitetsgrunnlag,omitempty"`
	Status                                       []Status                            `json:"status,omitempty"`
	Navn                                         []Navn                              `json:"navn,omitempty"`
	Foedsel                                      []Foedsel                           `json:"foedsel,omitempty"`
	FoedselINorge                                []FoedselINorge                     `json:"foedselINorge,omitempty"`
	Kjoenn                                       []Kjoenn                            `json:"kjoenn,omitempty"`
	Doedsfall                                    *Doedsfall                          `json:"doedsfall,omitempty"`
	Sivilstand                                   []Sivilstand                        `json:"sivilstand,omitempty"`
	Statsborgerskap                              []Statsborgerskap                   `json:"statsborgerskap,omitempty"`
	Bostedsadresse                               []Bostedsadresse                    `json:"bostedsadresse,omitempty"`
	Oppholdsadresse                              []Oppholdsadresse                   `json:"oppholdsadresse,omitempty"`
	DeltBosted                                   []DeltBosted                        `json:"deltBosted,omitempty"`
	Postadresse                                  []Postadresse                       `json:"postadresse,omitempty"`
	PostadresseIUtlandet                         []PostadresseIUtlandet              `json:"postadresseIUtlandet,omitempty"`
	PreferertKontaktadresse                      []PreferertKontaktadresse           `json:"preferertKontaktadresse,omitempty"`
	Adressebeskyttelse                           []Adressebeskyttelse                `json:"adressebeskyttelse,omitempty"`
	Familierelasjon                              []Familierelasjon                   `json:"familierelasjon,omitempty"`
	Foreldreansvar                               []Foreldreansvar                    `json:"foreldreansvar,omitempty"`
	VergemaalEllerFremtidsfullmakt               []VergemaalEllerFremtidsfullmakt    `json:"vergemaalEllerFremtidsfullmakt,omitempty"`
	RettsligHandleevne                           []RettsligHandleevne                `json:"rettsligHandleevne,omitempty"`
	FalskIdentitet                               *FalskIdentitet                     `json:"falskIdentitet,omitempty"`
	Legitimasjonsdokument                        []Legitimasjonsdokument             `json:"legitimasjonsdokument,omitempty"`
	UtenlandskPersonidentifikasjon               []UtenlandskPersonidentifikasjon    `json:"utenlandskPersonidentifikasjon,omitempty"`
	UtlendingsmyndighetenesIdentifikasjonsnummer []UtlendingsmyndighetenesIdNummer   `json:"utlendingsmyndighetenesIdentifikasjonsnummer,omitempty"`
	KontaktinformasjonForDoedsbo                 []KontaktinformasjonForDoedsbo      `json:"kontaktinformasjonForDoedsbo,omitempty"`
	Innflytting                                  []Innflytting                       `json:"innflytting,omitempty"`
	Utflytting                                   []Utflytting                        `json:"utflytting,omitempty"`
	Opphold                                      []Opphold                           `json:"opphold,omitempty"`
	OppholdPaaSvalbard                           []OppholdPaaSvalbard                `json:"oppholdPaaSvalbard,omitempty"`
	Bibehold                                     []Bibehold                          `json:"bibehold,omitempty"`
	BrukAvSamiskSpraak                           []BrukAvSamiskSpraak                `json:"brukAvSamiskSpraak,omitempty"`
	ForholdTilSametingetsValgmanntall            []ForholdTilSametingetsValgmanntall `json:"forholdTilSametingetsValgmanntall,omitempty"`
}

type Identifikasjonsnummer struct {
	Metadata
	FoedselsEllerDNummer string `json:"foedselsEllerDNummer"`
	Identifikatortype    string `json:"identifikatortype"` // foedselsnummer | dNummer
	Status               string `json:"status"`            // iBruk | opphoert
}

type Identitetsgrunnlag struct {
	Metadata
	Identitetsgrunnlagstatus string `json:"identitetsgrunnlagstatus"`
}

type Status struct {
	Metadata
	Status string `json:"status"`
}

type Navn struct {
	Metadata
	Fornavn       string         `json:"fornavn"`
	Mellomnavn    string         `json:"mellomnavn,omitempty"`
	Etternavn     string         `json:"etternavn"`
	ForkortetNavn string         `json:"forkortetNavn,omitempty"`
	OriginaltNavn *OriginaltNavn `json:"originaltNavn,omitempty"`
}

type OriginaltNavn struct {
	Fornavn    string `json:"fornavn,omitempty"`
	Mellomnavn string `json:"mellomnavn,omitempty"`
	Etternavn  string `json:"etternavn,omitempty"`
}

type Foedsel struct {
	Metadata
	Foedselsdato       string `json:"foedselsdato,omitempty"`
	Foedselsaar        string `json:"foedselsaar"`
	Foedested          string `json:"foedested,omitempty"`
	FoedekommuneINorge string `json:"foedekommuneINorge,omitempty"`
	Foedeland          string `json:"foedeland,omitempty"`
}

type FoedselINorge struct {
	Metadata
	Foedselsinstitusjonsnavn string `json:"foedselsinstitusjonsnavn,omitempty"`
	Rekkefoelgenummer        int64  `json:"rekkefoelgenummer,omitempty"`
}

type Kjoenn struct {
	Metadata
	Kjoenn string `json:"kjoenn"` // kvinne | mann
}

type Doedsfall struct {
	Metadata
	Doedsdato string `json:"doedsdato,omitempty"`
}

type Sivilstand struct {
	Metadata
	Sivilstand            string `json:"sivilstand"`
	Sivilstandsdato       string `json:"sivilstandsdato,omitempty"`
	Myndighet             string `json:"myndighet,omitempty"`
	Kommune               string `json:"kommune,omitempty"`
	Sted                  string `json:"sted,omitempty"`
	Utland                string `json:"utland,omitempty"`
	RelatertVedSivilstand string `json:"relatertVedSivilstand,omitempty"`
}

type Statsborgerskap struct {
	Metadata
	Statsborgerskap string `json:"statsborgerskap"`
	Ervervsdato     string `json:"ervervsdato,omitempty"`
}

type Poststed struct {
	Postnummer    string `json:"postnummer"`
	Poststedsnavn string `json:"poststedsnavn"`
}

type Adressenummer struct {
	Husnummer  string `json:"husnummer"`
	Husbokstav string `json:"husbokstav,omitempty"`
}

type Vegadresse struct {
	Kommunenummer       string         `json:"kommunenummer,omitempty"`
	Adressenavn         string         `json:"adressenavn"`
	Adressenummer       *Adressenummer `json:"adressenummer,omitempty"`
	Adressekode         string         `json:"adressekode,omitempty"`
	Adressetilleggsnavn string         `json:"adressetilleggsnavn,omitempty"`
	Bruksenhetsnummer   string         `json:"bruksenhetsnummer,omitempty"`
	Bruksenhetstype     string         `json:"bruksenhetstype,omitempty"`
	Poststed            *Poststed      `json:"poststed,omitempty"`
	CoAdressenavn       string         `json:"coAdressenavn,omitempty"`
}

type Matrikkelnummer struct {
	Kommunenummer string `json:"kommunenummer"`
	Gaardsnummer  int    `json:"gaardsnummer"`
	Bruksnummer   int    `json:"bruksnummer"`
	Festenummer   int    `json:"festenummer"`
}

type Matrikkeladresse struct {
	Matrikkelnummer     Matrikkelnummer `json:"matrikkelnummer"`
	Undernummer         int             `json:"undernummer,omitempty"`
	Adressetilleggsnavn string          `json:"adressetilleggsnavn,omitempty"`
	Bruksenhetsnummer   string          `json:"bruksenhetsnummer,omitempty"`
	Bruksenhetstype     string          `json:"bruksenhetstype,omitempty"`
	Poststed            *Poststed       `json:"poststed,omitempty"`
	CoAdressenavn       string          `json:"coAdressenavn,omitempty"`
}

type UkjentBosted struct {
	Bostedskommune string `json:"bostedskommune,omitempty"`
}

type InternasjonalAdresse struct {
	CoAdressenavn    string `json:"coAdressenavn,omitempty"`
	Adressenavn      string `json:"adressenavn,omitempty"`
	Bygning          string `json:"bygning,omitempty"`
	Etasjenummer     string `json:"etasjenummer,omitempty"`
	Boenhet          string `json:"boenhet,omitempty"`
	Postboks         string `json:"postboks,omitempty"`
	Postkode         string `json:"postkode,omitempty"`
	ByEllerStedsnavn string `json:"byEllerStedsnavn,omitempty"`
	Distriktsnavn    string `json:"distriktsnavn,omitempty"`
	Region           string `json:"region,omitempty"`
	Landkode         string `json:"landkode"` // ISO 3166-1 alpha-2 for addresses
}

// Address gradings (adressegradering).
const (
	GraderingUgradert         = "ugradert"
	GraderingKlientadresse    = "klientadresse"
	GraderingFortrolig        = "fortrolig"
	GraderingStrengtFortrolig = "strengtFortrolig"
)

type Bostedsadresse struct {
	Metadata
	Vegadresse                             *Vegadresse       `json:"vegadresse,omitempty"`
	Matrikkeladresse                       *Matrikkeladresse `json:"matrikkeladresse,omitempty"`
	UkjentBosted                           *UkjentBosted     `json:"ukjentBosted,omitempty"`
	AdresseIdentifikatorFraMatrikkelen     string            `json:"adresseIdentifikatorFraMatrikkelen,omitempty"`
	NaerAdresseIdentifikatorFraMatrikkelen string            `json:"naerAdresseIdentifikatorFraMatrikkelen,omitempty"`
	Adressegradering                       string            `json:"adressegradering"`
	Flyttedato                             string            `json:"flyttedato,omitempty"`
	Grunnkrets                             int               `json:"grunnkrets,omitempty"`
	Stemmekrets                            int               `json:"stemmekrets,omitempty"`
	Skolekrets                             int               `json:"skolekrets,omitempty"`
	Kirkekrets                             int               `json:"kirkekrets,omitempty"`
}

type Oppholdsadresse struct {
	Metadata
	Vegadresse                         *Vegadresse           `json:"vegadresse,omitempty"`
	Matrikkeladresse                   *Matrikkeladresse     `json:"matrikkeladresse,omitempty"`
	UtenlandskAdresse                  *InternasjonalAdresse `json:"utenlandskAdresse,omitempty"`
	AdressenErUkjent                   bool                  `json:"adressenErUkjent,omitempty"`
	AdresseIdentifikatorFraMatrikkelen string                `json:"adresseIdentifikatorFraMatrikkelen,omitempty"`
	Adressegradering                   string                `json:"adressegradering"`
	Oppholdsadressedato                string                `json:"oppholdsadressedato,omitempty"`
	OppholdAnnetSted                   string                `json:"oppholdAnnetSted,omitempty"`
}

type DeltBosted struct {
	Metadata
	Vegadresse                             *Vegadresse       `json:"vegadresse,omitempty"`
	Matrikkeladresse                       *Matrikkeladresse `json:"matrikkeladresse,omitempty"`
	UkjentBosted                           *UkjentBosted     `json:"ukjentBosted,omitempty"`
	StartdatoForKontrakt                   string            `json:"startdatoForKontrakt,omitempty"`
	SluttdatoForKontrakt                   string            `json:"sluttdatoForKontrakt,omitempty"`
	AdresseIdentifikatorFraMatrikkelen     string            `json:"adresseIdentifikatorFraMatrikkelen,omitempty"`
	NaerAdresseIdentifikatorFraMatrikkelen string            `json:"naerAdresseIdentifikatorFraMatrikkelen,omitempty"`
	Adressegradering                       string            `json:"adressegradering"`
}

type Postboksadresse struct {
	Postbokseier string    `json:"postbokseier,omitempty"`
	Postboks     string    `json:"postboks"`
	Poststed     *Poststed `json:"poststed,omitempty"`
}

type PostadresseIFrittFormat struct {
	Adresselinje []string  `json:"adresselinje"`
	Poststed     *Poststed `json:"poststed,omitempty"`
}

type Postadresse struct {
	Metadata
	Adressegradering                   string                   `json:"adressegradering"`
	Postboksadresse                    *Postboksadresse         `json:"postboksadresse,omitempty"`
	Vegadresse                         *Vegadresse              `json:"vegadresse,omitempty"`
	PostadresseIFrittFormat            *PostadresseIFrittFormat `json:"postadresseIFrittFormat,omitempty"`
	AdresseIdentifikatorFraMatrikkelen string                   `json:"adresseIdentifikatorFraMatrikkelen,omitempty"`
}

type UtenlandskAdresseIFrittFormat struct {
	Adresselinje     []string `json:"adresselinje"`
	Postkode         string   `json:"postkode,omitempty"`
	ByEllerStedsnavn string   `json:"byEllerStedsnavn,omitempty"`
	Landkode         string   `json:"landkode"`
}

type PostadresseIUtlandet struct {
	Metadata
	Adressegradering              string                         `json:"adressegradering"`
	UtenlandskAdresse             *InternasjonalAdresse          `json:"utenlandskAdresse,omitempty"`
	UtenlandskAdresseIFrittFormat *UtenlandskAdresseIFrittFormat `json:"utenlandskAdresseIFrittFormat,omitempty"`
}

type KontaktadresseIFrittFormat struct {
	Adresselinje []string `json:"adresselinje"`
	Landkode     string   `json:"landkode,omitempty"`
}

type PreferertKontaktadresse struct {
	Metadata
	Valg                       string                      `json:"valg"`
	Adressegradering           string                      `json:"adressegradering,omitempty"`
	KontaktadresseIFrittFormat *KontaktadresseIFrittFormat `json:"kontaktadresseIFrittFormat,omitempty"`
}

// Person-level address protection levels (graderingsnivaa).
type Adressebeskyttelse struct {
	Metadata
	Graderingsnivaa string `json:"graderingsnivaa"`
}

type RelatertBiPerson struct {
	Navn            *OriginaltNavn `json:"navn,omitempty"`
	Foedselsdato    string         `json:"foedselsdato,omitempty"`
	Kjoenn          string         `json:"kjoenn,omitempty"`
	Statsborgerskap string         `json:"statsborgerskap,omitempty"`
}

type Familierelasjon struct {
	Metadata
	RelatertPerson                               string            `json:"relatertPerson,omitempty"`
	RelatertPersonUtenFolkeregisteridentifikator *RelatertBiPerson `json:"relatertPersonUtenFolkeregisteridentifikator,omitempty"`
	RelatertPersonsRolle                         string            `json:"relatertPersonsRolle"`
	MinRolleForPerson                            string            `json:"minRolleForPerson,omitempty"`
}

type Foreldreansvar struct {
	Metadata
	Ansvar                          string            `json:"ansvar"`
	Ansvarlig                       string            `json:"ansvarlig,omitempty"`
	AnsvarligOrganisasjon           string            `json:"ansvarligOrganisasjon,omitempty"`
	AnsvarligUtenIdentifikator      *RelatertBiPerson `json:"ansvarligUtenIdentifikator,omitempty"`
	Ansvarssubjekt                  string            `json:"ansvarssubjekt,omitempty"`
	AnsvarssubjektUtenIdentifikator *RelatertBiPerson `json:"ansvarssubjektUtenIdentifikator,omitempty"`
}

type VergeTjenesteomraade struct {
	VergeTjenestevirksomhet string `json:"vergeTjenestevirksomhet"`
	VergeTjenesteoppgave    string `json:"vergeTjenesteoppgave"`
}

type NavnFoedselsdato struct {
	Navn            *OriginaltNavn `json:"navn,omitempty"`
	Foedselsdato    string         `json:"foedselsdato,omitempty"`
	Kjoenn          string         `json:"kjoenn,omitempty"`
	Statsborgerskap string         `json:"statsborgerskap,omitempty"`
}

type Verge struct {
	FoedselsEllerDNummer            string                 `json:"foedselsEllerDNummer,omitempty"`
	NavnFoedselsdato                *NavnFoedselsdato      `json:"navnFoedselsdato,omitempty"`
	Tjenesteomraade                 []VergeTjenesteomraade `json:"tjenesteomraade,omitempty"`
	OmfangetErInnenPersonligOmraade *bool                  `json:"omfangetErInnenPersonligOmraade,omitempty"`
	Navn                            *OriginaltNavn         `json:"navn,omitempty"`
	Omfang                          string                 `json:"omfang,omitempty"`
}

type VergemaalEllerFremtidsfullmakt struct {
	Metadata
	Vergemaaltype string `json:"vergemaaltype,omitempty"`
	Embete        string `json:"embete,omitempty"`
	Verge         *Verge `json:"verge,omitempty"`
}

type RettsligHandleevne struct {
	Metadata
	RettsligHandleevneomfang string `json:"rettsligHandleevneomfang,omitempty"`
}

type RettIdentitetVedOpplysninger struct {
	Personnavn      OriginaltNavn `json:"personnavn"`
	Foedselsdato    string        `json:"foedselsdato,omitempty"`
	Kjoenn          string        `json:"kjoenn,omitempty"`
	Statsborgerskap []string      `json:"statsborgerskap,omitempty"`
}

type FalskIdentitet struct {
	Metadata
	ErFalsk                               bool                          `json:"erFalsk"`
	RettIdentitetVedOpplysninger          *RettIdentitetVedOpplysninger `json:"rettIdentitetVedOpplysninger,omitempty"`
	RettIdentitetErUkjent                 bool                          `json:"rettIdentitetErUkjent,omitempty"`
	RettIdentitetVedIdentifikasjonsnummer string                        `json:"rettIdentitetVedIdentifikasjonsnummer,omitempty"`
}

type Dokumentkontroll struct {
	Dokumentkontrollstatus    string `json:"dokumentkontrollstatus"`
	Dokumentkontrolltidspunkt string `json:"dokumentkontrolltidspunkt,omitempty"`
}

type Legitimasjonsdokument struct {
	Metadata
	Identifikasjonsdokumentnummer string            `json:"identifikasjonsdokumentnummer,omitempty"`
	Identifikasjonsdokumenttype   string            `json:"identifikasjonsdokumenttype"`
	Utstederland                  string            `json:"utstederland"`
	Utstedernavn                  string            `json:"utstedernavn,omitempty"`
	GyldigFra                     string            `json:"gyldigFra,omitempty"`
	GyldigTil                     string            `json:"gyldigTil,omitempty"`
	Dokumentkontroll              *Dokumentkontroll `json:"dokumentkontroll,omitempty"`
}

type UtenlandskPersonidentifikasjon struct {
	Metadata
	Identifikasjonsnummer     string `json:"identifikasjonsnummer"`
	Identifikasjonsnummertype string `json:"identifikasjonsnummertype,omitempty"`
	Utstederland              string `json:"utstederland"`
}

type UtlendingsmyndighetenesIdNummer struct {
	Metadata
	Identifikasjonsnummer     string `json:"identifikasjonsnummer"`
	Identifikasjonsnummertype string `json:"identifikasjonsnummertype,omitempty"`
	Utstederland              string `json:"utstederland,omitempty"`
}

type DoedsboPerson struct {
	FoedselsEllerDNummer string         `json:"foedselsEllerDNummer,omitempty"`
	Foedselsdato         string         `json:"foedselsdato,omitempty"`
	Personnavn           *OriginaltNavn `json:"personnavn,omitempty"`
}

type DoedsboAdvokat struct {
	Personnavn          OriginaltNavn `json:"personnavn"`
	Organisasjonsnavn   string        `json:"organisasjonsnavn,omitempty"`
	Organisasjonsnummer string        `json:"organisasjonsnummer,omitempty"`
}

type DoedsboOrganisasjon struct {
	Organisasjonsnavn   string         `json:"organisasjonsnavn"`
	Organisasjonsnummer string         `json:"organisasjonsnummer,omitempty"`
	Kontaktpersonnavn   *OriginaltNavn `json:"kontaktpersonnavn,omitempty"`
}

type DoedsboAdresse struct {
	Adresselinje  []string `json:"adresselinje"`
	Postnummer    string   `json:"postnummer"`
	Poststedsnavn string   `json:"poststedsnavn"`
	Landkode      string   `json:"landkode,omitempty"`
}

type KontaktinformasjonForDoedsbo struct {
	Metadata
	Person                *DoedsboPerson       `json:"person,omitempty"`
	Advokat               *DoedsboAdvokat      `json:"advokat,omitempty"`
	Organisasjon          *DoedsboOrganisasjon `json:"organisasjon,omitempty"`
	Skifteform            string               `json:"skifteform"`
	Attestutstedelsesdato string               `json:"attestutstedelsesdato"`
	Adresse               DoedsboAdresse       `json:"adresse"`
}

type Innflytting struct {
	Metadata
	Fraflyttingsland          string `json:"fraflyttingsland,omitempty"`
	FraflyttingsstedIUtlandet string `json:"fraflyttingsstedIUtlandet,omitempty"`
}

type Utflytting struct {
	Metadata
	Tilflyttingsland          string `json:"tilflyttingsland,omitempty"`
	TilflyttingsstedIUtlandet string `json:"tilflyttingsstedIUtlandet,omitempty"`
	Utflyttingsdato           string `json:"utflyttingsdato,omitempty"`
}

type Opphold struct {
	Metadata
	Oppholdstillatelse string `json:"oppholdstillatelse"`
	OppholdFra         string `json:"oppholdFra,omitempty"`
	OppholdTil         string `json:"oppholdTil,omitempty"`
}

type OppholdPaaSvalbard struct {
	Metadata
	Startdato                 string `json:"startdato"`
	Sluttdato                 string `json:"sluttdato,omitempty"`
	AntattOppholdsvarighet    string `json:"antattOppholdsvarighet"`
	AntallTidligereOpphold    int    `json:"antallTidligereOpphold,omitempty"`
	Fraflyttingskommunenummer string `json:"fraflyttingskommunenummer,omitempty"`
	Fraflyttingsland          string `json:"fraflyttingsland,omitempty"`
}

type Bibehold struct {
	Metadata
	Bibeholdstatus  string `json:"bibeholdstatus"`
	DatoForBibehold string `json:"datoForBibehold,omitempty"`
}

type BrukAvSamiskSpraak struct {
	Metadata
	Spraak []string `json:"spraak"`
}

type ForholdTilSametingetsValgmanntall struct {
	Metadata
	Forhold     string `json:"forhold"`
	Vedtaksdato string `json:"vedtaksdato,omitempty"`
}
