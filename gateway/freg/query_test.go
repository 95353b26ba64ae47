package freg_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"folkevakt/gateway/freg"
)

func TestParseSearchQuery(t *testing.T) {
	full := freg.SearchQuery{
		Identifikasjonsnummer:   "01914796756",
		Navn:                    "Ola Nordmann",
		Kjoenn:                  "mann",
		Foedselsdato:            "1947-11-01",
		FoedselsaarFraOgMed:     1940,
		FoedselsaarTilOgMed:     1950,
		Adressenavn:             "Storgata",
		Husnummer:               "12",
		Postnummer:              "0150",
		Kommunenummer:           "0301",
		Fylkesnummer:            "03",
		InkluderOppholdsadresse: true,
		SoekFonetisk:            true,
		InkluderDoede:           true,
		Opplysningsgrunnlag:     "begge",
		MaksTreff:               10000,
	}
	tests := []struct {
		name    string
		query   string
		want    freg.SearchQuery
		wantErr string // parameter named in the error; "" = success
	}{
		{"empty", "", freg.SearchQuery{}, ""},
		{"full", full.Values().Encode(), full, ""},
		{"part ignored", "navn=Kari&part=navn&part=foedsel", freg.SearchQuery{Navn: "Kari"}, ""},
		{"date with dashes", "foedselsdato=1947-11-01", freg.SearchQuery{Foedselsdato: "1947-11-01"}, ""},
		{"false booleans", "soekFonetisk=false&inkluderDoede=false", freg.SearchQuery{}, ""},
		{"maksTreff 1", "maksTreff=1", freg.SearchQuery{MaksTreff: 1}, ""},
		{"bool True", "soekFonetisk=True", freg.SearchQuery{}, "soekFonetisk"},
		{"bool 1", "inkluderDoede=1", freg.SearchQuery{}, "inkluderDoede"},
		{"bool empty", "inkluderOppholdsadresse=", freg.SearchQuery{}, "inkluderOppholdsadresse"},
		{"kjoenn", "kjoenn=MANN", freg.SearchQuery{}, "kjoenn"},
		{"postnummer 3 digits", "postnummer=150", freg.SearchQuery{}, "postnummer"},
		{"postnummer letters", "postnummer=01a0", freg.SearchQuery{}, "postnummer"},
		{"kommunenummer 5", "kommunenummer=03011", freg.SearchQuery{}, "kommunenummer"},
		{"fylkesnummer", "fylkesnummer=3", freg.SearchQuery{}, "fylkesnummer"},
		{"husnummer 0", "husnummer=0", freg.SearchQuery{}, "husnummer"},
		{"maksTreff 0", "maksTreff=0", freg.SearchQuery{}, "maksTreff"},
		{"maksTreff too big", "maksTreff=10001", freg.SearchQuery{}, "maksTreff"},
		{"maksTreff plus sign", "maksTreff=+5", freg.SearchQuery{}, "maksTreff"},
		{"maksTreff not int", "maksTreff=ti", freg.SearchQuery{}, "maksTreff"},
		{"year not int", "foedselsaarFraOgMed=19x0", freg.SearchQuery{}, "foedselsaarFraOgMed"},
		{"year short", "foedselsaarTilOgMed=99", freg.SearchQuery{}, "foedselsaarTilOgMed"},
		{"date impossible", "foedselsdato=19470231", freg.SearchQuery{}, "foedselsdato"},
		{"date short", "foedselsdato=194711", freg.SearchQuery{}, "foedselsdato"},
		{"ident check digits", "identifikasjonsnummer=01015012345", freg.SearchQuery{}, "identifikasjonsnummer"},
		{"ident 10 digits", "identifikasjonsnummer=0191479675", freg.SearchQuery{}, "identifikasjonsnummer"},
		{"navn blank", "navn=%20", freg.SearchQuery{}, "navn"},
		{"navn too long", "navn=" + strings.Repeat("a", 601), freg.SearchQuery{}, "navn"},
		{"opplysningsgrunnlag", "opplysningsgrunnlag=alle", freg.SearchQuery{}, "opplysningsgrunnlag"},
		{"repeated", "navn=Ola&navn=Kari", freg.SearchQuery{}, "navn"},
		{"unknown", "fornavn=Ola", freg.SearchQuery{}, "fornavn"},
		{"unknown id-shaped name", "01914796756=x", freg.SearchQuery{}, "unknown parameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := freg.ParseSearchQuery(v)
			if tc.wantErr != "" {
				if !errors.Is(err, freg.ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrInvalid naming %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "01914796756") || strings.Contains(err.Error(), "01015012345") || strings.Contains(err.Error(), "Ola") {
					t.Fatalf("error echoes a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSearchQueryValues(t *testing.T) {
	tests := []struct {
		q    freg.SearchQuery
		want string
	}{
		{freg.SearchQuery{}, ""},
		{freg.SearchQuery{Navn: "Kari Nordmann", Foedselsdato: "1990-01-31"}, "foedselsdato=19900131&navn=Kari+Nordmann"},
		{freg.SearchQuery{Foedselsdato: "19900131"}, "foedselsdato=19900131"},
		{freg.SearchQuery{SoekFonetisk: true, MaksTreff: 5}, "maksTreff=5&soekFonetisk=true"},
		{freg.SearchQuery{FoedselsaarFraOgMed: 1950, Kjoenn: "kvinne"}, "foedselsaarFraOgMed=1950&kjoenn=kvinne"},
	}
	for _, tc := range tests {
		if got := tc.q.Values().Encode(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.q, got, tc.want)
		}
	}
}

func TestParsePartParams(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"", nil},
		{"part=navn", []string{"navn"}},
		{"part=navn&part=historikk", []string{"navn", "historikk"}},
		{"part=navn,bostedsadresse&part=historikk", []string{"navn", "bostedsadresse", "historikk"}},
		{"part=navn,,%20foedsel%20,", []string{"navn", "foedsel"}},
		{"part=", nil},
		{"navn=x", nil},
	}
	for _, tc := range tests {
		v, _ := url.ParseQuery(tc.query)
		if got := freg.ParsePartParams(v); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestRedactIdentityNumbers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"person 01914796756 not found", "person [redacted] not found"},
		{"ids 01914796756,41814061033", "ids [redacted],[redacted]"},
		{"longer 0191479675612", "longer [redacted]"},
		{"postnummer 0150 and year 1947", "postnummer 0150 and year 1947"},
		{"ten 0191479675", "ten 0191479675"},
	}
	for _, tc := range tests {
		if got := freg.RedactIdentityNumbers(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
