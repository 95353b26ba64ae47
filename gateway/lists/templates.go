package lists

import (
	"encoding/json"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
)

// Template is a predefined list (mal): fixed criteria and elements with a
// few parameters filled in when ordering.
type Template struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  []Parameter     `json:"parameters"`
	Criteria    access.Criteria `json:"criteria"` // with the parameters' example values
	Elements    []string        `json:"elements"`
	expand      func(p templateParams) (access.Criteria, error)
}

// Parameter is one input of a template.
type Parameter struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // integer | date
	Required    bool   `json:"required"`
	Description string `json:"description"`
	Example     any    `json:"example"`
}

// templateParams are the parameters any template takes; each template says
// which it uses, and an unknown one is refused by strict decoding.
type templateParams struct {
	Alder         *int   `json:"alder,omitempty"`
	Referansedato string `json:"referansedato,omitempty"`
	Foedselsaar   int    `json:"foedselsaar,omitempty"`
}

var templates = []Template{
	{
		ID:          "vaksinasjonsliste",
		Name:        "Vaksinasjonsliste",
		Description: "Residents (bosatt) aged alder or more on referansedato, with name, birth date and address.",
		Parameters: []Parameter{
			{Name: "alder", Type: "integer", Required: true, Description: "lowest age on referansedato", Example: 65},
			{Name: "referansedato", Type: "date", Description: "day the age is computed on (default: day of the order)", Example: "2026-03-01"},
		},
		Criteria: access.Criteria{ExtractRequest: freg.ExtractRequest{Personstatustyper: []string{"bosatt"}}, AlderFraOgMed: ptr(65), Referansedato: "2026-03-01"},
		Elements: []string{"identifikasjonsnummer", "navn", "foedsel", "bostedsadresse"},
		expand: func(p templateParams) (access.Criteria, error) {
			if p.Alder == nil {
				return access.Criteria{}, invalid("alder", "is required by template vaksinasjonsliste")
			}
			if p.Foedselsaar != 0 {
				return access.Criteria{}, invalid("foedselsaar", "is not a parameter of template vaksinasjonsliste")
			}
			return access.Criteria{ExtractRequest: freg.ExtractRequest{Personstatustyper: []string{"bosatt"}}, AlderFraOgMed: p.Alder, Referansedato: p.Referansedato}, nil
		},
	},
	{
		ID:   "skolestartere",
		Name: "Skolestartere",
		Description: "Children (bosatt) born in foedselsaar, with name, birth date and address, and those holding " +
			"foreldreansvar with their names and addresses as extra columns.",
		Parameters: []Parameter{
			{Name: "foedselsaar", Type: "integer", Required: true, Description: "birth year of the children", Example: 2021},
		},
		Criteria: access.Criteria{ExtractRequest: freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, FoedselsaarFraOgMed: 2020, FoedselsaarTilOgMed: 2020}},
		Elements: []string{"identifikasjonsnummer", "navn", "foedsel", "bostedsadresse", "foreldreansvar"},
		expand: func(p templateParams) (access.Criteria, error) {
			if p.Foedselsaar == 0 {
				return access.Criteria{}, invalid("foedselsaar", "is required by template skolestartere")
			}
			if p.Alder != nil || p.Referansedato != "" {
				return access.Criteria{}, invalid("alder", "is not a parameter of template skolestartere (only foedselsaar)")
			}
			return access.Criteria{ExtractRequest: freg.ExtractRequest{Personstatustyper: []string{"bosatt"}, FoedselsaarFraOgMed: freg.Aar(p.Foedselsaar), FoedselsaarTilOgMed: freg.Aar(p.Foedselsaar)}}, nil
		},
	},
}

// Templates returns the list templates (GET …/innbyggerlister/maler).
func Templates() []Template { return templates }

// expandTemplate turns a template id and its parameters into criteria and
// default elements.
func expandTemplate(id string, params json.RawMessage) (access.Criteria, []string, error) {
	for _, t := range templates {
		if t.ID != id {
			continue
		}
		var p templateParams
		if len(params) > 0 {
			if err := decodeStrict(params, &p, "parametere"); err != nil {
				return access.Criteria{}, nil, err
			}
		}
		c, err := t.expand(p)
		return c, t.Elements, err
	}
	return access.Criteria{}, nil, invalid("mal", "unknown template %q", id)
}
