package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// field is one line of the person document: a label with text, nested
// fields (an object) or items (an array of objects).
type field struct {
	Label string
	Text  string
	Sub   []field
	Items [][]field
}

// section is one element of the person document.
type section struct {
	Element string
	Label   string
	Items   [][]field // one per entry (current and historic)
}

type personData struct {
	Role       store.Role
	Handle     string
	Title      string
	Sections   []section
	Revealed   bool // this answer was asked with visGraderteAdresser=true
	CanReveal  bool // the role may reveal graded addresses on request
	Graded     bool // the person's address protection is not ugradert
	GradedNote string
	Message    string
}

// personParts are the parts asked for: every element of the role (the
// page shows what the role allows), historikk only when asked for.
func personParts(role store.Role, historic bool) []string {
	var parts []string
	for _, e := range role.Elements {
		if e == freg.ElementHistorikk && !historic {
			continue
		}
		parts = append(parts, e)
	}
	if len(parts) == 0 {
		parts = []string{access.IDElement}
	}
	return parts
}

func (a *app) personPage(c *gin.Context)   { a.showPerson(c, false) }
func (a *app) personReveal(c *gin.Context) { a.showPerson(c, true) }

// showPerson reads the person through the access service; with reveal it
// is the explicit, audited request for graded addresses.
func (a *app) showPerson(c *gin.Context, reveal bool) {
	s := sess(c)
	role, area, ok := a.currentRole(s)
	if !ok {
		redirect(c, "/portal?bytt=1")
		return
	}
	h := c.Param("handle")
	id, ok := s.persons[h]
	if !ok {
		a.errorPage(c, http.StatusNotFound, "Fant ikke personen", "Lenken er ikke gyldig i denne økten. Søk etter personen på nytt.")
		return
	}
	action := "portal person"
	if reveal {
		action = "portal person reveal"
	}
	body, err := a.reader().Person(c.Request.Context(), a.caller(c, role, area, action), id,
		access.PersonRequest{Parts: personParts(role, s.historic), Reveal: reveal})
	d := personData{Role: role, Handle: h, Revealed: reveal}
	if err != nil {
		e, _ := access.AsError(err)
		d.Message = e.Norwegian()
		a.render(c, e.Status(), "person", page{Title: "Person", Section: "portal", Data: d})
		return
	}
	doc, err := decodeDocument(body)
	if err != nil {
		a.internal(c, "person answer", err)
		return
	}
	d.Sections = documentSections(doc)
	var p freg.Person
	_ = json.Unmarshal(body, &p)
	name, _, _, _ := summary(&p)
	d.Title = name
	for _, ab := range p.Adressebeskyttelse {
		if ab.ErGjeldende && ab.Graderingsnivaa != "" && ab.Graderingsnivaa != "ugradert" {
			d.Graded = true
		}
	}
	hasAB := slices.Contains(role.Elements, "adressebeskyttelse")
	// What the note says mirrors access.Rules, the one graded-address rule.
	d.CanReveal = area.ConfidentialAllowed && role.GradedAddresses == store.GradedHide && !reveal && (d.Graded || !hasAB)
	switch {
	case !area.ConfidentialAllowed && (d.Graded || !hasAB):
		d.GradedNote = "Graderte adresser vises aldri for denne rollen, fordi tjenesteområdet ikke har tilgang til taushetsbelagte opplysninger."
	case d.CanReveal:
		d.GradedNote = "Graderte adresser er skjult. Du kan vise dem ved en egen forespørsel, som blir logget."
	case reveal:
		d.GradedNote = "Graderte adresser vises etter din forespørsel. Forespørselen er logget."
	}
	a.render(c, http.StatusOK, "person", page{Title: d.Title, Section: "portal", Data: d})
}

// decodeDocument keeps numbers as written.
func decodeDocument(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// documentSections lays the gateway's answer out in catalogue order, every
// key it holds and nothing else.
func documentSections(doc map[string]any) []section {
	var out []section
	seen := map[string]bool{}
	add := func(key, label string) {
		v := doc[key]
		sec := section{Element: key, Label: label}
		switch t := v.(type) {
		case []any:
			for _, it := range t {
				sec.Items = append(sec.Items, objectFields(it))
			}
		default:
			sec.Items = append(sec.Items, objectFields(t))
		}
		out = append(out, sec)
		seen[key] = true
	}
	for _, e := range freg.Elements {
		if _, ok := doc[e.Name]; ok {
			add(e.Name, e.Label)
		}
	}
	rest := make([]string, 0)
	for k := range doc {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k, humanise(k))
	}
	return out
}

// objectFields turns one entry into fields; a scalar becomes one field.
func objectFields(v any) []field {
	m, ok := v.(map[string]any)
	if !ok {
		return []field{{Label: "Verdi", Text: scalarText(v)}}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return fieldRank(keys[i]) < fieldRank(keys[j]) || fieldRank(keys[i]) == fieldRank(keys[j]) && keys[i] < keys[j]
	})
	var out []field
	for _, k := range keys {
		out = append(out, valueField(humanise(k), m[k]))
	}
	return out
}

func valueField(label string, v any) field {
	switch t := v.(type) {
	case map[string]any:
		return field{Label: label, Sub: objectFields(t)}
	case []any:
		f := field{Label: label}
		for _, it := range t {
			if _, isObj := it.(map[string]any); isObj {
				f.Items = append(f.Items, objectFields(it))
			} else {
				if f.Text != "" {
					f.Text += ", "
				}
				f.Text += scalarText(it)
			}
		}
		return f
	}
	return field{Label: label, Text: scalarText(v)}
}

// fieldRank puts metadata last so that each entry reads content first.
func fieldRank(k string) int {
	switch k {
	case "erGjeldende", "ajourholdstidspunkt", "gyldighetstidspunkt", "opphoerstidspunkt", "kilde", "aarsak":
		return 1
	}
	return 0
}

func scalarText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case bool:
		if t {
			return "Ja"
		}
		return "Nei"
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

var letterFixes = strings.NewReplacer("oe", "ø", "aa", "å", "ae", "æ")

// humanise turns a FREG key (camelCase, ø written oe) into a label.
func humanise(k string) string {
	switch k {
	case "foedselsEllerDNummer":
		return "Fødselsnummer eller d-nummer"
	case "erGjeldende":
		return "Gjeldende"
	case "coAdressenavn":
		return "C/o-adressenavn"
	}
	var b strings.Builder
	for i, r := range k {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := letterFixes.Replace(b.String())
	if s == "" {
		return k
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
