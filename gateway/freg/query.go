package freg

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"folkevakt/gateway/freg/ident"
)

// FREG's query parameter names for soek and entydigsoek (freg.md §2).
const (
	ParamIdentifikasjonsnummer   = "identifikasjonsnummer"
	ParamNavn                    = "navn"
	ParamKjoenn                  = "kjoenn"
	ParamFoedselsdato            = "foedselsdato"
	ParamFoedselsaarFraOgMed     = "foedselsaarFraOgMed"
	ParamFoedselsaarTilOgMed     = "foedselsaarTilOgMed"
	ParamAdressenavn             = "adressenavn"
	ParamHusnummer               = "husnummer"
	ParamPostnummer              = "postnummer"
	ParamKommunenummer           = "kommunenummer"
	ParamFylkesnummer            = "fylkesnummer"
	ParamInkluderOppholdsadresse = "inkluderOppholdsadresse"
	ParamSoekFonetisk            = "soekFonetisk"
	ParamInkluderDoede           = "inkluderDoede"
	ParamOpplysningsgrunnlag     = "opplysningsgrunnlag"
	ParamMaksTreff               = "maksTreff"
	ParamPart                    = "part"

	// entydigsoek only.
	ParamLegitimasjonsdokument                        = "legitimasjonsdokument"
	ParamUtenlandskpersonidentifikasjon               = "utenlandskpersonidentifikasjon"
	ParamUtlendingsmyndighetenesidentifikasjonsnummer = "utlendingsmyndighetenesidentifikasjonsnummer"
)

// EntydigOnly are the parameters that entydigsoek takes and soek does not.
var EntydigOnly = []string{ParamLegitimasjonsdokument, ParamUtenlandskpersonidentifikasjon, ParamUtlendingsmyndighetenesidentifikasjonsnummer}

// MaxSearchHits is the largest maksTreff FREG accepts.
const MaxSearchHits = 10000

// maxTextParam bounds free-text parameters; FREG allows 200 characters per
// name part, and a full name has three.
const maxTextParam = 600

// queryField binds one wire parameter to its SearchQuery field, so that
// encoding and parsing are driven by the same table.
type queryField struct {
	name  string
	get   func(*SearchQuery) string
	parse func(*SearchQuery, string) error
}

var (
	reDigits4 = regexp.MustCompile(`^[0-9]{4}$`)
	reDigits2 = regexp.MustCompile(`^[0-9]{2}$`)
	reHusnr   = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)
	// A foreign document or identity number: ISO 3166-1 alpha-3, a dash,
	// the number (letters, digits and dashes, as issued).
	reForeignID = regexp.MustCompile(`^[A-Z]{3}-[0-9A-Za-z][0-9A-Za-z-]{0,49}$`)
	reDUF       = regexp.MustCompile(`^[0-9]{12}$`)
)

func pattern(re *regexp.Regexp, want string, set func(*SearchQuery, string)) func(*SearchQuery, string) error {
	return func(q *SearchQuery, s string) error {
		if !re.MatchString(s) {
			return fmt.Errorf("must be %s", want)
		}
		set(q, s)
		return nil
	}
}

func oneOf(allowed []string, set func(*SearchQuery, string)) func(*SearchQuery, string) error {
	return func(q *SearchQuery, s string) error {
		for _, a := range allowed {
			if s == a {
				set(q, s)
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func text(set func(*SearchQuery, string)) func(*SearchQuery, string) error {
	return func(q *SearchQuery, s string) error {
		if strings.TrimSpace(s) == "" || len(s) > maxTextParam {
			return fmt.Errorf("must be 1 to %d characters", maxTextParam)
		}
		set(q, s)
		return nil
	}
}

func boolean(set func(*SearchQuery, bool)) func(*SearchQuery, string) error {
	return func(q *SearchQuery, s string) error {
		switch s {
		case "true":
			set(q, true)
		case "false":
			set(q, false)
		default:
			return fmt.Errorf("must be true or false")
		}
		return nil
	}
}

func integer(lo, hi int, set func(*SearchQuery, int)) func(*SearchQuery, string) error {
	return func(q *SearchQuery, s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi || s != strconv.Itoa(n) {
			return fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		set(q, n)
		return nil
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func intStr(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseFoedselsdato accepts FREG's YYYYMMDD and the model's YYYY-MM-DD and
// keeps the model's form, which compares directly with foedsel.foedselsdato.
func parseFoedselsdato(q *SearchQuery, s string) error {
	for _, layout := range []string{"20060102", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			q.Foedselsdato = t.Format(time.DateOnly)
			return nil
		}
	}
	return fmt.Errorf("must be a date YYYYMMDD")
}

func parseIdentifikasjonsnummer(q *SearchQuery, s string) error {
	if err := ident.Validate(s); err != nil {
		return err // ident's errors name the reason, never the number
	}
	q.Identifikasjonsnummer = s
	return nil
}

var queryFields = []queryField{
	{ParamIdentifikasjonsnummer, func(q *SearchQuery) string { return q.Identifikasjonsnummer }, parseIdentifikasjonsnummer},
	{ParamNavn, func(q *SearchQuery) string { return q.Navn },
		text(func(q *SearchQuery, s string) { q.Navn = s })},
	{ParamKjoenn, func(q *SearchQuery) string { return q.Kjoenn },
		oneOf([]string{"mann", "kvinne"}, func(q *SearchQuery, s string) { q.Kjoenn = s })},
	{ParamFoedselsdato, func(q *SearchQuery) string { return strings.ReplaceAll(q.Foedselsdato, "-", "") },
		parseFoedselsdato},
	{ParamFoedselsaarFraOgMed, func(q *SearchQuery) string { return intStr(q.FoedselsaarFraOgMed) },
		integer(1000, 9999, func(q *SearchQuery, n int) { q.FoedselsaarFraOgMed = n })},
	{ParamFoedselsaarTilOgMed, func(q *SearchQuery) string { return intStr(q.FoedselsaarTilOgMed) },
		integer(1000, 9999, func(q *SearchQuery, n int) { q.FoedselsaarTilOgMed = n })},
	{ParamAdressenavn, func(q *SearchQuery) string { return q.Adressenavn },
		text(func(q *SearchQuery, s string) { q.Adressenavn = s })},
	{ParamHusnummer, func(q *SearchQuery) string { return q.Husnummer },
		pattern(reHusnr, "an integer from 1 to 9999", func(q *SearchQuery, s string) { q.Husnummer = s })},
	{ParamPostnummer, func(q *SearchQuery) string { return q.Postnummer },
		pattern(reDigits4, "4 digits", func(q *SearchQuery, s string) { q.Postnummer = s })},
	{ParamKommunenummer, func(q *SearchQuery) string { return q.Kommunenummer },
		pattern(reDigits4, "4 digits", func(q *SearchQuery, s string) { q.Kommunenummer = s })},
	{ParamFylkesnummer, func(q *SearchQuery) string { return q.Fylkesnummer },
		pattern(reDigits2, "2 digits", func(q *SearchQuery, s string) { q.Fylkesnummer = s })},
	{ParamInkluderOppholdsadresse, func(q *SearchQuery) string { return boolStr(q.InkluderOppholdsadresse) },
		boolean(func(q *SearchQuery, b bool) { q.InkluderOppholdsadresse = b })},
	{ParamSoekFonetisk, func(q *SearchQuery) string { return boolStr(q.SoekFonetisk) },
		boolean(func(q *SearchQuery, b bool) { q.SoekFonetisk = b })},
	{ParamInkluderDoede, func(q *SearchQuery) string { return boolStr(q.InkluderDoede) },
		boolean(func(q *SearchQuery, b bool) { q.InkluderDoede = b })},
	{ParamOpplysningsgrunnlag, func(q *SearchQuery) string { return q.Opplysningsgrunnlag },
		oneOf([]string{"gjeldende", "historisk", "begge"}, func(q *SearchQuery, s string) { q.Opplysningsgrunnlag = s })},
	{ParamLegitimasjonsdokument, func(q *SearchQuery) string { return q.Legitimasjonsdokument },
		pattern(reForeignID, "a country code (ISO alpha-3), a dash and the document number", func(q *SearchQuery, s string) { q.Legitimasjonsdokument = s })},
	{ParamUtenlandskpersonidentifikasjon, func(q *SearchQuery) string { return q.Utenlandskpersonidentifikasjon },
		pattern(reForeignID, "a country code (ISO alpha-3), a dash and the identity number", func(q *SearchQuery, s string) { q.Utenlandskpersonidentifikasjon = s })},
	{ParamUtlendingsmyndighetenesidentifikasjonsnummer, func(q *SearchQuery) string { return q.Utlendingsmyndighetenesidentifikasjonsnummer },
		pattern(reDUF, "a DUF number of 12 digits", func(q *SearchQuery, s string) { q.Utlendingsmyndighetenesidentifikasjonsnummer = s })},
	{ParamMaksTreff, func(q *SearchQuery) string { return intStr(q.MaksTreff) },
		integer(1, MaxSearchHits, func(q *SearchQuery, n int) { q.MaksTreff = n })},
}

// Values encodes q with FREG's parameter names. Zero values are left out,
// since they are FREG's defaults; foedselsdato is sent as YYYYMMDD.
func (q SearchQuery) Values() url.Values {
	v := url.Values{}
	for _, f := range queryFields {
		if s := f.get(&q); s != "" {
			v.Set(f.name, s)
		}
	}
	return v
}

// ParseSearchQuery decodes soek/entydigsoek parameters strictly: every value
// must be well-formed, no parameter may repeat, and any parameter other than
// FREG's and `part` is rejected. Errors wrap ErrInvalid and name the
// parameter but never echo its value, which may be personal data.
// foedselsdato is returned as YYYY-MM-DD.
func ParseSearchQuery(v url.Values) (SearchQuery, error) {
	var q SearchQuery
	known := map[string]bool{ParamPart: true}
	for _, f := range queryFields {
		known[f.name] = true
		vals, ok := v[f.name]
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return SearchQuery{}, fmt.Errorf("%w: %s: given more than once", ErrInvalid, f.name)
		}
		if err := f.parse(&q, vals[0]); err != nil {
			return SearchQuery{}, fmt.Errorf("%w: %s: %v", ErrInvalid, f.name, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if !known[name] {
			return SearchQuery{}, fmt.Errorf("%w: unknown parameter %q", ErrInvalid, RedactIdentityNumbers(name))
		}
	}
	return q, nil
}

// ParsePartParams collects the `part` values; `part` may repeat and each
// value may be a comma-separated list. Empty items are dropped; nil means
// no part was given.
func ParsePartParams(v url.Values) []string {
	var parts []string
	for _, s := range v[ParamPart] {
		for p := range strings.SplitSeq(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
	}
	return parts
}

var reLongDigits = regexp.MustCompile(`[0-9]{11,}`)

// RedactIdentityNumbers replaces every run of 11 or more digits (the shape of
// a fødselsnummer or D-nummer) so that text received from outside, such as an
// upstream melding or a parameter name, can go into an error string.
func RedactIdentityNumbers(s string) string {
	return reLongDigits.ReplaceAllString(s, "[redacted]")
}
