package lists

import (
	"context"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// OppvekstElements are the elements a role needs for the oppvekst dataset.
var OppvekstElements = access.OppvekstElements

// MaxOppvekst is the most fødselsnumre one oppvekst request takes.
const MaxOppvekst = access.MaxOppvekst

// Identifikasjonsnummer is the id of a PersonDefinisjon.
type Identifikasjonsnummer struct {
	FoedselsEllerDNummer string `json:"foedselsEllerDNummer"`
	Identifikatortype    string `json:"identifikatortype"`
}

// Navn is a name without metadata.
type Navn struct {
	Fornavn    string `json:"fornavn"`
	Mellomnavn string `json:"mellomnavn,omitempty"`
	Etternavn  string `json:"etternavn"`
}

// Bostedsadresse, Oppholdsadresse, DeltBosted and Postadresse are FREG's
// address shapes without element metadata (freg.md §10).
type Bostedsadresse struct {
	Vegadresse                             *freg.Vegadresse       `json:"vegadresse,omitempty"`
	Matrikkeladresse                       *freg.Matrikkeladresse `json:"matrikkeladresse,omitempty"`
	UkjentBosted                           *freg.UkjentBosted     `json:"ukjentBosted,omitempty"`
	AdresseIdentifikatorFraMatrikkelen     string                 `json:"adresseIdentifikatorFraMatrikkelen,omitempty"`
	NaerAdresseIdentifikatorFraMatrikkelen string                 `json:"naerAdresseIdentifikatorFraMatrikkelen,omitempty"`
	Adressegradering                       string                 `json:"adressegradering"`
	Flyttedato                             string                 `json:"flyttedato,omitempty"`
	Grunnkrets                             int                    `json:"grunnkrets,omitempty"`
	Stemmekrets                            int                    `json:"stemmekrets,omitempty"`
	Skolekrets                             int                    `json:"skolekrets,omitempty"`
	Kirkekrets                             int                    `json:"kirkekrets,omitempty"`
}

type Oppholdsadresse struct {
	Vegadresse          *freg.Vegadresse           `json:"vegadresse,omitempty"`
	Matrikkeladresse    *freg.Matrikkeladresse     `json:"matrikkeladresse,omitempty"`
	UtenlandskAdresse   *freg.InternasjonalAdresse `json:"utenlandskAdresse,omitempty"`
	AdressenErUkjent    bool                       `json:"adressenErUkjent,omitempty"`
	Adressegradering    string                     `json:"adressegradering"`
	Oppholdsadressedato string                     `json:"oppholdsadressedato,omitempty"`
}

type DeltBosted struct {
	Vegadresse           *freg.Vegadresse       `json:"vegadresse,omitempty"`
	Matrikkeladresse     *freg.Matrikkeladresse `json:"matrikkeladresse,omitempty"`
	UkjentBosted         *freg.UkjentBosted     `json:"ukjentBosted,omitempty"`
	StartdatoForKontrakt string                 `json:"startdatoForKontrakt,omitempty"`
	SluttdatoForKontrakt string                 `json:"sluttdatoForKontrakt,omitempty"`
	Adressegradering     string                 `json:"adressegradering"`
}

type Postadresse struct {
	Adressegradering  string                        `json:"adressegradering"`
	Postboksadresse   *freg.Postboksadresse         `json:"postboksadresse,omitempty"`
	VegadresseForPost *freg.Vegadresse              `json:"vegadresseForPost,omitempty"`
	FrittFormat       *freg.PostadresseIFrittFormat `json:"frittFormat,omitempty"`
}

// PersonDefinisjon is one child of the oppvekst answer.
type PersonDefinisjon struct {
	Identifikasjonsnummer          Identifikasjonsnummer         `json:"identifikasjonsnummer"`
	TidligereIdentifikasjonsnummer []Identifikasjonsnummer       `json:"tidligereIdentifikasjonsnummer,omitempty"`
	DufNummer                      string                        `json:"dufNummer,omitempty"`
	Foedselsdato                   string                        `json:"foedselsdato,omitempty"`
	Personstatus                   string                        `json:"personstatus,omitempty"`
	Foreldreansvarstype            string                        `json:"foreldreansvarstype,omitempty"`
	Kjoenn                         string                        `json:"kjoenn,omitempty"`
	Navn                           *Navn                         `json:"navn,omitempty"`
	Statsborgerskap                string                        `json:"statsborgerskap,omitempty"`
	Adressebeskyttelse             string                        `json:"adressebeskyttelse,omitempty"`
	Bostedsadresse                 *Bostedsadresse               `json:"bostedsadresse,omitempty"`
	Oppholdsadresse                *Oppholdsadresse              `json:"oppholdsadresse,omitempty"`
	DeltBosted                     *DeltBosted                   `json:"deltBosted,omitempty"`
	Postadresse                    *Postadresse                  `json:"postadresse,omitempty"`
	Foreldreansvarlige             []ForeldreansvarligDefinisjon `json:"foreldreansvarlige"`
	Familierelasjoner              []FamilierelasjonDefinisjon   `json:"familierelasjoner"`
}

// ForeldreansvarligDefinisjon is an adult holding foreldreansvar for the child.
type ForeldreansvarligDefinisjon struct {
	Ansvar                string                `json:"ansvar"`
	Identifikasjonsnummer Identifikasjonsnummer `json:"identifikasjonsnummer"`
	Personstatus          string                `json:"personstatus,omitempty"`
	Navn                  *Navn                 `json:"navn,omitempty"`
	Statsborgerskap       string                `json:"statsborgerskap,omitempty"`
	Kjoenn                string                `json:"kjoenn,omitempty"`
	Adressebeskyttelse    string                `json:"adressebeskyttelse,omitempty"`
	Bostedsadresse        *Bostedsadresse       `json:"bostedsadresse,omitempty"`
	Oppholdsadresse       *Oppholdsadresse      `json:"oppholdsadresse,omitempty"`
	Postadresse           *Postadresse          `json:"postadresse,omitempty"`
	Foedsel               string                `json:"foedsel,omitempty"`
}

// FamilierelasjonDefinisjon is one family relation of the child.
type FamilierelasjonDefinisjon struct {
	FamilierelasjonPerson string `json:"familierelasjonPerson,omitempty"`
	FamilierelasjonRolle  string `json:"familierelasjonRolle"`
}

// OppvekstRequest is the body of POST /register/api/v1/ks/{rolleId}/oppvekst.
type OppvekstRequest struct {
	Foedselsnumre []string `json:"foedselsnumre"`
}

// Oppvekst answers an oppvekst request: each known child with its
// foreldreansvarlige and familierelasjoner, as the access service read,
// reduced and audited them. Unknown identity numbers are left out.
func (s *Service) Oppvekst(ctx context.Context, c Caller, body []byte) ([]PersonDefinisjon, error) {
	c.Action = ActionOppvekst
	var req OppvekstRequest
	if err := decodeStrict(body, &req, "body"); err != nil {
		return nil, s.o.Access.Refuse(ctx, c, store.PurposeSearch, nil, err)
	}
	kids, adults, err := s.o.Access.Oppvekst(ctx, c, req.Foedselsnumre)
	if err != nil {
		return nil, err
	}
	out := make([]PersonDefinisjon, 0, len(kids))
	for _, k := range kids {
		d := child(k)
		for _, fa := range k.Foreldreansvar {
			if !fa.ErGjeldende || fa.Ansvarlig == "" {
				continue
			}
			d.Foreldreansvarlige = append(d.Foreldreansvarlige, adult(fa.Ansvar, fa.Ansvarlig, adults[fa.Ansvarlig]))
		}
		out = append(out, d)
	}
	return out, nil
}

func idOf(p *freg.Person) Identifikasjonsnummer {
	for _, n := range p.Identifikasjonsnummer {
		if n.ErGjeldende {
			return Identifikasjonsnummer{n.FoedselsEllerDNummer, n.Identifikatortype}
		}
	}
	return Identifikasjonsnummer{}
}

func gjeldende[T any](xs []T, cur func(*T) bool) *T {
	for i := range xs {
		if cur(&xs[i]) {
			return &xs[i]
		}
	}
	return nil
}

func child(p *freg.Person) PersonDefinisjon {
	d := PersonDefinisjon{Identifikasjonsnummer: idOf(p), Foreldreansvarlige: []ForeldreansvarligDefinisjon{},
		Familierelasjoner: []FamilierelasjonDefinisjon{}}
	for _, n := range p.Identifikasjonsnummer {
		if !n.ErGjeldende {
			d.TidligereIdentifikasjonsnummer = append(d.TidligereIdentifikasjonsnummer, Identifikasjonsnummer{n.FoedselsEllerDNummer, n.Identifikatortype})
		}
	}
	if f := gjeldende(p.Foreldreansvar, func(f *freg.Foreldreansvar) bool { return f.ErGjeldende }); f != nil {
		d.Foreldreansvarstype = f.Ansvar
	}
	for _, f := range p.Familierelasjon {
		if f.ErGjeldende {
			d.Familierelasjoner = append(d.Familierelasjoner, FamilierelasjonDefinisjon{f.RelatertPerson, f.RelatertPersonsRolle})
		}
	}
	b := basics(p)
	d.Foedselsdato, d.Personstatus, d.Kjoenn, d.Navn, d.Statsborgerskap, d.Adressebeskyttelse = b.foedselsdato, b.status, b.kjoenn, b.navn, b.statsborgerskap, b.gradering
	d.Bostedsadresse, d.Oppholdsadresse, d.Postadresse = b.bosted, b.opphold, b.post
	if x := gjeldende(p.DeltBosted, func(x *freg.DeltBosted) bool { return x.ErGjeldende }); x != nil {
		d.DeltBosted = &DeltBosted{x.Vegadresse, x.Matrikkeladresse, x.UkjentBosted, x.StartdatoForKontrakt, x.SluttdatoForKontrakt, x.Adressegradering}
	}
	return d
}

func adult(ansvar, id string, p *freg.Person) ForeldreansvarligDefinisjon {
	a := ForeldreansvarligDefinisjon{Ansvar: ansvar, Identifikasjonsnummer: Identifikasjonsnummer{FoedselsEllerDNummer: id}}
	if p == nil {
		return a
	}
	a.Identifikasjonsnummer = idOf(p)
	b := basics(p)
	a.Foedsel, a.Personstatus, a.Kjoenn, a.Navn, a.Statsborgerskap, a.Adressebeskyttelse = b.foedselsdato, b.status, b.kjoenn, b.navn, b.statsborgerskap, b.gradering
	a.Bostedsadresse, a.Oppholdsadresse, a.Postadresse = b.bosted, b.opphold, b.post
	return a
}

type personBasics struct {
	foedselsdato, status, kjoenn, statsborgerskap, gradering string
	navn                                                     *Navn
	bosted                                                   *Bostedsadresse
	opphold                                                  *Oppholdsadresse
	post                                                     *Postadresse
}

// basics reads the current entries shared by children and adults.
func basics(p *freg.Person) personBasics {
	var b personBasics
	if f := gjeldende(p.Foedsel, func(x *freg.Foedsel) bool { return x.ErGjeldende }); f != nil {
		b.foedselsdato = f.Foedselsdato
	}
	if s := gjeldende(p.Status, func(x *freg.Status) bool { return x.ErGjeldende }); s != nil {
		b.status = s.Status
	}
	if k := gjeldende(p.Kjoenn, func(x *freg.Kjoenn) bool { return x.ErGjeldende }); k != nil {
		b.kjoenn = k.Kjoenn
	}
	if s := gjeldende(p.Statsborgerskap, func(x *freg.Statsborgerskap) bool { return x.ErGjeldende }); s != nil {
		b.statsborgerskap = s.Statsborgerskap
	}
	if a := gjeldende(p.Adressebeskyttelse, func(x *freg.Adressebeskyttelse) bool { return x.ErGjeldende }); a != nil {
		b.gradering = a.Graderingsnivaa
	}
	if n := gjeldende(p.Navn, func(x *freg.Navn) bool { return x.ErGjeldende }); n != nil {
		b.navn = &Navn{n.Fornavn, n.Mellomnavn, n.Etternavn}
	}
	if x := gjeldende(p.Bostedsadresse, func(x *freg.Bostedsadresse) bool { return x.ErGjeldende }); x != nil {
		b.bosted = &Bostedsadresse{x.Vegadresse, x.Matrikkeladresse, x.UkjentBosted, x.AdresseIdentifikatorFraMatrikkelen,
			x.NaerAdresseIdentifikatorFraMatrikkelen, x.Adressegradering, x.Flyttedato, x.Grunnkrets, x.Stemmekrets, x.Skolekrets, x.Kirkekrets}
	}
	if x := gjeldende(p.Oppholdsadresse, func(x *freg.Oppholdsadresse) bool { return x.ErGjeldende }); x != nil {
		b.opphold = &Oppholdsadresse{x.Vegadresse, x.Matrikkeladresse, x.UtenlandskAdresse, x.AdressenErUkjent, x.Adressegradering, x.Oppholdsadressedato}
	}
	if x := gjeldende(p.Postadresse, func(x *freg.Postadresse) bool { return x.ErGjeldende }); x != nil {
		b.post = &Postadresse{x.Adressegradering, x.Postboksadresse, x.Vegadresse, x.PostadresseIFrittFormat}
	}
	return b
}
