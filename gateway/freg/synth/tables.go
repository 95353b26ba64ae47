package synth

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Built-in reference data: every municipality (SSB classification 131) with
// its population and postnummer/poststed pairs, loaded from kommuner.tsv
// (whose header records sources and dates), plus plausible street names and
// common Norwegian names.

type kommuneRow struct {
	nr     string
	name   string
	weight int // population, 1 January 2024
	post   []postRow
}

type postRow struct {
	nr, sted string
}

//go:embed kommuner.tsv
var kommunerTSV string

// kommuneTable is every kommune, most populous first.
var kommuneTable = mustParseKommuner(kommunerTSV)

func mustParseKommuner(data string) []kommuneRow {
	rows, err := parseKommuner(data)
	if err != nil {
		panic("synth: kommuner.tsv: " + err.Error())
	}
	return rows
}

// parseKommuner reads kommuner.tsv: comment lines start with '#'; each other
// line is kommunenummer, name, population and "postnummer POSTSTED" pairs
// separated by '|', tab-separated.
func parseKommuner(data string) ([]kommuneRow, error) {
	var rows []kommuneRow
	seen := map[string]bool{}
	for i, line := range strings.Split(data, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want 4 tab-separated fields, got %d", i+1, len(f))
		}
		if !fourDigits(f[0]) || seen[f[0]] {
			return nil, fmt.Errorf("line %d: kommunenummer %q is malformed or repeated", i+1, f[0])
		}
		seen[f[0]] = true
		weight, err := strconv.Atoi(f[2])
		if err != nil || weight < 1 {
			return nil, fmt.Errorf("line %d: population %q", i+1, f[2])
		}
		row := kommuneRow{nr: f[0], name: f[1], weight: weight}
		for _, pair := range strings.Split(f[3], "|") {
			nr, sted, ok := strings.Cut(pair, " ")
			if !ok || !fourDigits(nr) || sted == "" {
				return nil, fmt.Errorf("line %d: postnummer pair %q", i+1, pair)
			}
			row.post = append(row.post, postRow{nr: nr, sted: sted})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func fourDigits(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// KommuneName returns the name of a current kommune (SSB classification
// 131) and whether the number is one.
func KommuneName(nr string) (string, bool) {
	if k := kommuneIndex(nr); k >= 0 {
		return kommuneTable[k].name, true
	}
	return "", false
}

func kommuneIndex(nr string) int {
	return slices.IndexFunc(kommuneTable, func(row kommuneRow) bool { return row.nr == nr })
}

// streetNames are common Norwegian street names; each municipality takes
// its own rotation of the list, streetsPerPost names per postnummer.
var streetNames = []string{
	"Storgata", "Kirkegata", "Skolegata", "Kongens gate", "Dronningens gate", "Torggata",
	"Kirkeveien", "Skoleveien", "Parkveien", "Stasjonsveien", "Fjellveien", "Solveien",
	"Bjørkeveien", "Granveien", "Furuveien", "Eikeveien", "Lindeveien", "Rognebakken",
	"Hageveien", "Industriveien", "Strandveien", "Sjøgata", "Havnegata", "Nygata",
	"Møllebakken", "Sagveien", "Tunveien", "Gartnerveien", "Blåklokkeveien", "Løvåsveien",
	"Åsveien", "Bakkeveien", "Nordre gate", "Søndre gate", "Vestre vei", "Østre vei",
	"Prestegårdsveien", "Sandbakken", "Myrveien", "Elveveien", "Bekkeveien", "Solbakken",
	"Fossveien", "Brugata", "Markveien", "Tollbugata", "Rådhusgata", "Jernbanegata",
	"Lierveien", "Hovedgata", "Ringveien", "Ekornveien", "Måkeveien", "Tiurveien",
	"Lyngveien", "Liaveien", "Enggata", "Skogveien", "Heiaveien", "Utsikten",
	"Kløverveien", "Smedgata", "Fabrikkgata", "Postveien", "Langgata", "Nedre gate",
	"Øvre gate",
}

const streetsPerPost = 6

var femaleNames = []string{
	"Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
	"Hilde", "Anna", "Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth", "Kristin",
	"Bente", "Heidi", "Silje", "Hanne", "Gerd", "Linda", "Tone", "Tove", "Elin", "Anita",
	"Wenche", "Camilla", "Ragnhild", "Grete", "Nora", "Emma", "Sofie", "Olivia", "Ella", "Leah",
	"Frida", "Ingeborg", "Sara", "Maja", "Thea", "Julie", "Vilde", "Emilie", "Hedda", "Aurora",
}

var maleNames = []string{
	"Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Thomas",
	"Hans", "Geir", "Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "John",
	"Anders", "Rune", "Trond", "Tore", "Jon", "Harald", "Olav", "Kristian", "Espen", "Stian",
	"Magnus", "Henrik", "Jonas", "Emil", "Jakob", "Noah", "William", "Oskar", "Lucas", "Filip",
	"Aksel", "Isak", "Elias", "Mathias", "Sander", "Tobias", "Sindre", "Eirik", "Håkon", "Petter",
}

var surnames = []string{
	"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
	"Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl",
	"Jørgensen", "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand",
	"Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen", "Mathisen", "Lie",
	"Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge", "Moe", "Nygård", "Bakke",
	"Kristensen", "Fredriksen", "Holm", "Lien", "Hauge", "Christensen", "Andresen", "Nielsen", "Knudsen", "Evensen",
	"Sæther", "Aas", "Myhre", "Hanssen", "Ahmed", "Haugland", "Thomassen", "Sivertsen", "Simonsen", "Danielsen",
}

// Names of D-number holders, who are mostly labour migrants.
var foreignFemaleNames = []string{"Agnieszka", "Anna", "Katarzyna", "Ona", "Rasa", "Ieva", "Maria", "Elena", "Julia", "Magdalena"}
var foreignMaleNames = []string{"Piotr", "Tomasz", "Marcin", "Jonas", "Tomas", "Andrius", "Pavel", "Mikael", "Jan", "Krzysztof"}
var foreignSurnames = []string{"Nowak", "Kowalski", "Wiśniewski", "Kazlauskas", "Petrauskas", "Jankauskas", "Andersson", "Novák", "Horváth", "Schmidt"}

// country is a citizenship with the ISO 3166-1 alpha-2 code FREG uses in
// foreign addresses.
type country struct {
	iso3, iso2, city string
}

var countries = []country{
	{"NOR", "NO", "Oslo"},
	{"POL", "PL", "Gdańsk"}, {"LTU", "LT", "Vilnius"}, {"SWE", "SE", "Stockholm"}, {"DNK", "DK", "København"},
	{"DEU", "DE", "Berlin"}, {"SYR", "SY", "Damaskus"}, {"SOM", "SO", "Mogadishu"}, {"ERI", "ER", "Asmara"},
	{"GBR", "GB", "London"}, {"USA", "US", "Minneapolis"}, {"ESP", "ES", "Alicante"}, {"PHL", "PH", "Manila"},
	{"UKR", "UA", "Kyiv"},
}

// Country indexes: NOR first; D-number holders come from the first
// foreignD entries after it; emigrants go to emigrationLands.
const (
	landNOR  = 0
	foreignD = 5
)

var emigrationLands = []uint8{3, 4, 5, 9, 10, 11}

// The forwarding address of strengt fortrolig persons (freg.md §7).
const (
	sfPostbokseier = "Skatteetaten, Skatt nord"
	sfPostboks     = "6300"
	sfPostnummer   = "9291"
	sfPoststed     = "TROMSØ"
)
