package lists

import (
	"strconv"
	"strings"
	"time"

	"folkevakt/gateway/freg"
)

// current returns the entry of an element, or nil. Lists never ask upstream
// for historikk, so every entry that arrives is current (FREG sends only
// erGjeldende entries without part=historikk) and the first one is it.
func current[T any](xs []T) *T {
	if len(xs) == 0 {
		return nil
	}
	return &xs[0]
}

// cell is one value of a row: text, or a date when date is set.
type cell struct {
	s    string
	date time.Time
}

func text(s string) cell { return cell{s: s} }

func dateCell(s string) cell {
	if s == "" {
		return cell{}
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return cell{s: s}
	}
	return cell{date: d}
}

// row is one person (reduced) and the reduced persons holding foreldreansvar
// for it, in foreldreansvar order (nil where unknown).
type row struct {
	p       *freg.Person
	parents []*freg.Person
}

type column struct {
	header string
	value  func(r *row) cell
}

// address is the display form of any FREG address.
type address struct {
	street, line, postnummer, poststed, kommune string
}

func vegLine(v *freg.Vegadresse) string {
	s := v.Adressenavn
	if n := v.Adressenummer; n != nil {
		s += " " + n.Husnummer + n.Husbokstav
	}
	if v.Bruksenhetsnummer != "" {
		s += " " + v.Bruksenhetsnummer
	}
	return s
}

func fromVeg(v *freg.Vegadresse) address {
	a := address{street: v.Adressenavn, line: vegLine(v), kommune: v.Kommunenummer}
	if v.Poststed != nil {
		a.postnummer, a.poststed = v.Poststed.Postnummer, v.Poststed.Poststedsnavn
	}
	return a
}

func fromMatrikkel(m *freg.Matrikkeladresse) address {
	a := address{line: m.Adressetilleggsnavn, kommune: m.Matrikkelnummer.Kommunenummer}
	if a.line == "" {
		a.line = "gnr. " + strconv.Itoa(m.Matrikkelnummer.Gaardsnummer) + " bnr. " + strconv.Itoa(m.Matrikkelnummer.Bruksnummer)
	}
	if m.Poststed != nil {
		a.postnummer, a.poststed = m.Poststed.Postnummer, m.Poststed.Poststedsnavn
	}
	return a
}

func bostedAddress(b *freg.Bostedsadresse) address {
	switch {
	case b == nil:
		return address{}
	case b.Vegadresse != nil:
		return fromVeg(b.Vegadresse)
	case b.Matrikkeladresse != nil:
		return fromMatrikkel(b.Matrikkeladresse)
	case b.UkjentBosted != nil:
		return address{line: "Ukjent bosted", kommune: b.UkjentBosted.Bostedskommune}
	}
	return address{}
}

func oppholdAddress(o *freg.Oppholdsadresse) address {
	switch {
	case o == nil:
		return address{}
	case o.Vegadresse != nil:
		return fromVeg(o.Vegadresse)
	case o.Matrikkeladresse != nil:
		return fromMatrikkel(o.Matrikkeladresse)
	case o.UtenlandskAdresse != nil:
		u := o.UtenlandskAdresse
		return address{line: strings.TrimSpace(u.Adressenavn + " " + u.ByEllerStedsnavn + " " + u.Landkode), postnummer: u.Postkode}
	case o.AdressenErUkjent:
		return address{line: "Ukjent adresse"}
	}
	return address{}
}

func deltAddress(d *freg.DeltBosted) address {
	switch {
	case d == nil:
		return address{}
	case d.Vegadresse != nil:
		return fromVeg(d.Vegadresse)
	case d.Matrikkeladresse != nil:
		return fromMatrikkel(d.Matrikkeladresse)
	case d.UkjentBosted != nil:
		return address{line: "Ukjent bosted", kommune: d.UkjentBosted.Bostedskommune}
	}
	return address{}
}

func postAddress(p *freg.Postadresse) address {
	switch {
	case p == nil:
		return address{}
	case p.Vegadresse != nil:
		return fromVeg(p.Vegadresse)
	case p.Postboksadresse != nil:
		a := address{line: strings.TrimSpace(p.Postboksadresse.Postbokseier + " Postboks " + p.Postboksadresse.Postboks)}
		if ps := p.Postboksadresse.Poststed; ps != nil {
			a.postnummer, a.poststed = ps.Postnummer, ps.Poststedsnavn
		}
		return a
	case p.PostadresseIFrittFormat != nil:
		a := address{line: strings.Join(p.PostadresseIFrittFormat.Adresselinje, ", ")}
		if ps := p.PostadresseIFrittFormat.Poststed; ps != nil {
			a.postnummer, a.poststed = ps.Postnummer, ps.Poststedsnavn
		}
		return a
	}
	return address{}
}

// addressColumns are the columns of one address element; prefix "" gives the
// plain headers Adresse/Postnummer/Poststed.
func addressColumns(prefix string, get func(p *freg.Person) address, withKommune bool) []column {
	h := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + " " + strings.ToLower(s)
	}
	first := "Adresse"
	if prefix != "" {
		first = prefix
	}
	cols := []column{
		{first, func(r *row) cell { return text(get(r.p).line) }},
		{h("Postnummer"), func(r *row) cell { return text(get(r.p).postnummer) }},
		{h("Poststed"), func(r *row) cell { return text(get(r.p).poststed) }},
	}
	if withKommune {
		cols = append(cols, column{h("Kommunenummer"), func(r *row) cell { return text(get(r.p).kommune) }})
	}
	return cols
}

func statusOf(p *freg.Person) string {
	if s := current(p.Status); s != nil {
		return s.Status
	}
	return ""
}

// maxParents is the number of foreldreansvarlige given columns: FREG's
// ansvar values (felles, mor, far, medmor, andre) name at most two.
const maxParents = 2

// elementColumns maps each element lists can carry to its columns (Norwegian
// headers). Elements not here are refused when ordering.
var elementColumns = map[string]func(elems map[string]bool) []column{
	"identifikasjonsnummer": func(map[string]bool) []column {
		return []column{{"Fødselsnummer", func(r *row) cell {
			if n := current(r.p.Identifikasjonsnummer); n != nil {
				return text(n.FoedselsEllerDNummer)
			}
			return cell{}
		}}}
	},
	"status": func(map[string]bool) []column {
		return []column{{"Personstatus", func(r *row) cell { return text(statusOf(r.p)) }}}
	},
	"navn": func(map[string]bool) []column {
		get := func(p *freg.Person) freg.Navn {
			if n := current(p.Navn); n != nil {
				return *n
			}
			return freg.Navn{}
		}
		return []column{
			{"Fornavn", func(r *row) cell { return text(get(r.p).Fornavn) }},
			{"Mellomnavn", func(r *row) cell { return text(get(r.p).Mellomnavn) }},
			{"Etternavn", func(r *row) cell { return text(get(r.p).Etternavn) }},
		}
	},
	"foedsel": func(map[string]bool) []column {
		return []column{{"Fødselsdato", func(r *row) cell {
			if f := current(r.p.Foedsel); f != nil {
				return dateCell(f.Foedselsdato)
			}
			return cell{}
		}}}
	},
	"kjoenn": func(map[string]bool) []column {
		return []column{{"Kjønn", func(r *row) cell {
			if k := current(r.p.Kjoenn); k != nil {
				return text(k.Kjoenn)
			}
			return cell{}
		}}}
	},
	"doedsfall": func(map[string]bool) []column {
		return []column{{"Dødsdato", func(r *row) cell {
			if r.p.Doedsfall != nil {
				return dateCell(r.p.Doedsfall.Doedsdato)
			}
			return cell{}
		}}}
	},
	"sivilstand": func(map[string]bool) []column {
		return []column{
			{"Sivilstand", func(r *row) cell {
				if s := current(r.p.Sivilstand); s != nil {
					return text(s.Sivilstand)
				}
				return cell{}
			}},
			{"Sivilstandsdato", func(r *row) cell {
				if s := current(r.p.Sivilstand); s != nil {
					return dateCell(s.Sivilstandsdato)
				}
				return cell{}
			}},
		}
	},
	"statsborgerskap": func(map[string]bool) []column {
		return []column{{"Statsborgerskap", func(r *row) cell {
			codes := make([]string, len(r.p.Statsborgerskap))
			for i, s := range r.p.Statsborgerskap {
				codes[i] = s.Statsborgerskap
			}
			return text(strings.Join(codes, ", "))
		}}}
	},
	"bostedsadresse": func(map[string]bool) []column {
		cols := addressColumns("", func(p *freg.Person) address { return bostedAddress(current(p.Bostedsadresse)) }, true)
		return append(cols, column{"Flyttedato", func(r *row) cell {
			if b := current(r.p.Bostedsadresse); b != nil {
				return dateCell(b.Flyttedato)
			}
			return cell{}
		}})
	},
	"oppholdsadresse": func(map[string]bool) []column {
		return addressColumns("Oppholdsadresse", func(p *freg.Person) address { return oppholdAddress(current(p.Oppholdsadresse)) }, false)
	},
	"deltBosted": func(map[string]bool) []column {
		return addressColumns("Delt bosted", func(p *freg.Person) address { return deltAddress(current(p.DeltBosted)) }, false)
	},
	"postadresse": func(map[string]bool) []column {
		return addressColumns("Postadresse", func(p *freg.Person) address { return postAddress(current(p.Postadresse)) }, false)
	},
	"adressebeskyttelse": func(map[string]bool) []column {
		return []column{{"Adressebeskyttelse", func(r *row) cell {
			if a := current(r.p.Adressebeskyttelse); a != nil {
				return text(a.Graderingsnivaa)
			}
			return cell{}
		}}}
	},
	"familierelasjon": func(map[string]bool) []column {
		return []column{{"Familierelasjoner", func(r *row) cell {
			parts := make([]string, 0, len(r.p.Familierelasjon))
			for _, f := range r.p.Familierelasjon {
				if f.RelatertPerson != "" {
					parts = append(parts, f.RelatertPersonsRolle+" "+f.RelatertPerson)
				}
			}
			return text(strings.Join(parts, "; "))
		}}}
	},
	// foreldreansvar adds the responsible adults, with the name and address
	// columns that the order's own elements call for.
	"foreldreansvar": func(elems map[string]bool) []column {
		cols := []column{{"Foreldreansvar", func(r *row) cell {
			if f := current(r.p.Foreldreansvar); f != nil {
				return text(f.Ansvar)
			}
			return cell{}
		}}}
		for k := range maxParents {
			prefix := "Foreldreansvarlig " + strconv.Itoa(k+1)
			parent := func(r *row) *freg.Person {
				if k < len(r.parents) && r.parents[k] != nil {
					return r.parents[k]
				}
				return &freg.Person{}
			}
			cols = append(cols, column{prefix + " fødselsnummer", func(r *row) cell {
				if k < len(r.p.Foreldreansvar) {
					return text(r.p.Foreldreansvar[k].Ansvarlig)
				}
				return cell{}
			}})
			if elems["navn"] {
				cols = append(cols,
					column{prefix + " fornavn", func(r *row) cell {
						if n := current(parent(r).Navn); n != nil {
							return text(strings.TrimSpace(n.Fornavn + " " + n.Mellomnavn))
						}
						return cell{}
					}},
					column{prefix + " etternavn", func(r *row) cell {
						if n := current(parent(r).Navn); n != nil {
							return text(n.Etternavn)
						}
						return cell{}
					}})
			}
			if elems["bostedsadresse"] {
				get := func(r *row) address { return bostedAddress(current(parent(r).Bostedsadresse)) }
				cols = append(cols,
					column{prefix + " adresse", func(r *row) cell { return text(get(r).line) }},
					column{prefix + " postnummer", func(r *row) cell { return text(get(r).postnummer) }},
					column{prefix + " poststed", func(r *row) cell { return text(get(r).poststed) }})
			}
		}
		return cols
	},
}

// parentElements are the elements fetched for foreldreansvarlige: the ones
// their columns show.
func parentElements(elems map[string]bool) []string {
	out := []string{"identifikasjonsnummer"}
	for _, e := range []string{"navn", "bostedsadresse"} {
		if elems[e] {
			out = append(out, e)
		}
	}
	return append(out, "adressebeskyttelse")
}

// columnOrder is the order of elements in a file: who, then personal data,
// then addresses, then relations.
var columnOrder = []string{"identifikasjonsnummer", "navn", "foedsel", "kjoenn", "status", "sivilstand",
	"statsborgerskap", "bostedsadresse", "oppholdsadresse", "deltBosted", "postadresse", "adressebeskyttelse",
	"doedsfall", "familierelasjon", "foreldreansvar"}

// columnsFor returns the columns of an (already validated) element list.
func columnsFor(elements []string) []column {
	set := make(map[string]bool, len(elements))
	for _, e := range elements {
		set[e] = true
	}
	var cols []column
	for _, e := range columnOrder {
		if set[e] {
			cols = append(cols, elementColumns[e](set)...)
		}
	}
	return cols
}
