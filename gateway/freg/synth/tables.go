package synth

// Built-in reference data: real municipalities (kommunenummer as of 2024)
// with real postnummer/poststed pairs, plausible street names and common
// Norwegian names. Population weights are rounded thousands.

type kommuneRow struct {
	nr     string
	name   string
	weight int
	post   []postRow
}

type postRow struct {
	nr, sted string
}

var kommuneTable = []kommuneRow{
	{"0301", "Oslo", 717, []postRow{{"0150", "OSLO"}, {"0250", "OSLO"}, {"0354", "OSLO"}, {"0456", "OSLO"}, {"0557", "OSLO"}, {"0660", "OSLO"}, {"0768", "OSLO"}, {"0870", "OSLO"}, {"0955", "OSLO"}, {"1150", "OSLO"}, {"1250", "OSLO"}}},
	{"4601", "Bergen", 291, []postRow{{"5003", "BERGEN"}, {"5006", "BERGEN"}, {"5052", "BERGEN"}, {"5089", "BERGEN"}, {"5147", "FYLLINGSDALEN"}, {"5221", "NESTTUN"}}},
	{"5001", "Trondheim", 214, []postRow{{"7010", "TRONDHEIM"}, {"7030", "TRONDHEIM"}, {"7045", "TRONDHEIM"}, {"7067", "TRONDHEIM"}, {"7089", "HEIMDAL"}, {"7091", "TILLER"}}},
	{"1103", "Stavanger", 147, []postRow{{"4005", "STAVANGER"}, {"4010", "STAVANGER"}, {"4014", "STAVANGER"}, {"4021", "STAVANGER"}, {"4085", "HUNDVÅG"}}},
	{"3201", "Bærum", 130, []postRow{{"1337", "SANDVIKA"}, {"1344", "HASLUM"}, {"1350", "LOMMEDALEN"}, {"1356", "BEKKESTUA"}, {"1360", "FORNEBU"}, {"1369", "STABEKK"}}},
	{"4204", "Kristiansand", 116, []postRow{{"4608", "KRISTIANSAND S"}, {"4610", "KRISTIANSAND S"}, {"4631", "KRISTIANSAND S"}, {"4625", "FLEKKERØY"}, {"4640", "SØGNE"}}},
	{"3301", "Drammen", 103, []postRow{{"3015", "DRAMMEN"}, {"3019", "DRAMMEN"}, {"3024", "DRAMMEN"}, {"3036", "DRAMMEN"}, {"3050", "MJØNDALEN"}, {"3060", "SVELVIK"}}},
	{"3203", "Asker", 98, []postRow{{"1383", "ASKER"}, {"1384", "ASKER"}, {"1390", "VOLLEN"}, {"3440", "RØYKEN"}, {"3470", "SLEMMESTAD"}}},
	{"3205", "Lillestrøm", 90, []postRow{{"2000", "LILLESTRØM"}, {"2004", "LILLESTRØM"}, {"2010", "STRØMMEN"}, {"2013", "SKJETTEN"}}},
	{"3107", "Fredrikstad", 85, []postRow{{"1604", "FREDRIKSTAD"}, {"1606", "FREDRIKSTAD"}, {"1614", "FREDRIKSTAD"}, {"1630", "GAMLE FREDRIKSTAD"}, {"1654", "SELLEBAKK"}}},
	{"1108", "Sandnes", 82, []postRow{{"4306", "SANDNES"}, {"4307", "SANDNES"}, {"4313", "SANDNES"}, {"4318", "SANDNES"}, {"4322", "SANDNES"}}},
	{"5501", "Tromsø", 78, []postRow{{"9008", "TROMSØ"}, {"9010", "TROMSØ"}, {"9012", "TROMSØ"}, {"9019", "TROMSØ"}, {"9020", "TROMSDALEN"}, {"9024", "TOMASJORD"}}},
	{"3907", "Sandefjord", 65, []postRow{{"3210", "SANDEFJORD"}, {"3211", "SANDEFJORD"}, {"3216", "SANDEFJORD"}, {"3158", "ANDEBU"}, {"3160", "STOKKE"}}},
	{"3207", "Nordre Follo", 62, []postRow{{"1400", "SKI"}, {"1405", "LANGHUS"}, {"1410", "KOLBOTN"}, {"1412", "SOFIEMYR"}, {"1415", "OPPEGÅRD"}}},
	{"1508", "Ålesund", 58, []postRow{{"6002", "ÅLESUND"}, {"6003", "ÅLESUND"}, {"6005", "ÅLESUND"}, {"6008", "ÅLESUND"}}},
	{"3105", "Sarpsborg", 58, []postRow{{"1706", "SARPSBORG"}, {"1708", "SARPSBORG"}, {"1710", "SARPSBORG"}, {"1720", "GREÅKER"}}},
	{"3905", "Tønsberg", 58, []postRow{{"3110", "TØNSBERG"}, {"3111", "TØNSBERG"}, {"3112", "TØNSBERG"}, {"3117", "TØNSBERG"}, {"3170", "SEM"}}},
	{"4003", "Skien", 55, []postRow{{"3715", "SKIEN"}, {"3717", "SKIEN"}, {"3724", "SKIEN"}, {"3732", "SKIEN"}, {"3736", "SKIEN"}}},
	{"1804", "Bodø", 53, []postRow{{"8003", "BODØ"}, {"8005", "BODØ"}, {"8006", "BODØ"}, {"8008", "BODØ"}, {"8013", "BODØ"}}},
	{"3103", "Moss", 51, []postRow{{"1530", "MOSS"}, {"1532", "MOSS"}, {"1534", "MOSS"}, {"1580", "RYGGE"}}},
	{"3909", "Larvik", 48, []postRow{{"3256", "LARVIK"}, {"3257", "LARVIK"}, {"3260", "LARVIK"}, {"3270", "LARVIK"}, {"3290", "STAVERN"}}},
	{"4203", "Arendal", 46, []postRow{{"4836", "ARENDAL"}, {"4838", "ARENDAL"}, {"4841", "ARENDAL"}, {"4847", "ARENDAL"}, {"4818", "FÆRVIK"}}},
	{"3209", "Ullensaker", 41, []postRow{{"2050", "JESSHEIM"}, {"2040", "KLØFTA"}, {"2054", "MOGREINA"}}},
	{"1106", "Haugesund", 38, []postRow{{"5527", "HAUGESUND"}, {"5528", "HAUGESUND"}, {"5531", "HAUGESUND"}, {"5537", "HAUGESUND"}}},
	{"4001", "Porsgrunn", 37, []postRow{{"3915", "PORSGRUNN"}, {"3916", "PORSGRUNN"}, {"3950", "BREVIK"}}},
	{"3403", "Hamar", 32, []postRow{{"2315", "HAMAR"}, {"2316", "HAMAR"}, {"2317", "HAMAR"}, {"2318", "HAMAR"}}},
	{"1506", "Molde", 32, []postRow{{"6411", "MOLDE"}, {"6412", "MOLDE"}, {"6413", "MOLDE"}, {"6415", "MOLDE"}, {"6421", "MOLDE"}}},
	{"3305", "Ringerike", 31, []postRow{{"3510", "HØNEFOSS"}, {"3511", "HØNEFOSS"}, {"3513", "HØNEFOSS"}, {"3530", "RØYSE"}}},
	{"3101", "Halden", 31, []postRow{{"1771", "HALDEN"}, {"1776", "HALDEN"}, {"1782", "HALDEN"}}},
	{"4627", "Askøy", 30, []postRow{{"5300", "KLEPPESTØ"}, {"5302", "STRUSSHAMN"}, {"5306", "ERDAL"}, {"5310", "HAUGLANDSHELLA"}}},
	{"3407", "Gjøvik", 30, []postRow{{"2815", "GJØVIK"}, {"2816", "GJØVIK"}, {"2819", "GJØVIK"}, {"2821", "GJØVIK"}}},
	{"3405", "Lillehammer", 29, []postRow{{"2609", "LILLEHAMMER"}, {"2614", "LILLEHAMMER"}, {"2615", "LILLEHAMMER"}, {"2619", "LILLEHAMMER"}}},
	{"3303", "Kongsberg", 28, []postRow{{"3611", "KONGSBERG"}, {"3612", "KONGSBERG"}, {"3616", "KONGSBERG"}}},
	{"3901", "Horten", 28, []postRow{{"3181", "HORTEN"}, {"3183", "HORTEN"}, {"3179", "ÅSGÅRDSTRAND"}}},
	{"5503", "Harstad", 25, []postRow{{"9403", "HARSTAD"}, {"9404", "HARSTAD"}, {"9405", "HARSTAD"}, {"9406", "HARSTAD"}}},
	{"5035", "Stjørdal", 25, []postRow{{"7500", "STJØRDAL"}, {"7502", "STJØRDAL"}, {"7503", "STJØRDAL"}, {"7510", "SKATVAL"}}},
	{"1505", "Kristiansund", 24, []postRow{{"6508", "KRISTIANSUND N"}, {"6509", "KRISTIANSUND N"}, {"6511", "KRISTIANSUND N"}, {"6515", "KRISTIANSUND N"}}},
	{"5006", "Steinkjer", 24, []postRow{{"7713", "STEINKJER"}, {"7714", "STEINKJER"}, {"7715", "STEINKJER"}, {"7725", "STEINKJER"}}},
	{"1806", "Narvik", 22, []postRow{{"8514", "NARVIK"}, {"8515", "NARVIK"}, {"8516", "NARVIK"}, {"8517", "NARVIK"}}},
	{"5037", "Levanger", 20, []postRow{{"7600", "LEVANGER"}, {"7601", "LEVANGER"}, {"7604", "LEVANGER"}}},
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
