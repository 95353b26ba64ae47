package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
	"folkevakt/gateway/reduce"
	"folkevakt/store"
)

// Prefix is where the gateway's FREG resources live (contract.md §5); the
// second v1 is FREG's own version segment, as in Fiks.
const Prefix = "/folkeregister/api/v1/:rolleId/v1"

// MaxBulkIDs is FREG's limit for bulkoppslag.
const MaxBulkIDs = 1000

// maxBodyBytes bounds POST bodies: 1,000 identity numbers are about 15 kB.
const maxBodyBytes = 256 << 10

const paramVisGraderte = "visGraderteAdresser"

// routes registers the FREG resources.
func (s *Server) routes(r *gin.Engine) {
	g := r.Group(Prefix)
	g.GET("/personer/:id", s.handle(store.PurposeSearch, s.person))
	g.POST("/personer/bulkoppslag", s.handle(store.PurposeSearch, s.bulk))
	g.GET("/personer/soek", s.handle(store.PurposeSearch, s.search))
	g.GET("/personer/entydigsoek", s.handle(store.PurposeSearch, s.uniqueSearch))
	g.GET("/hendelser/feed", s.handle(store.PurposeEvents, s.feed))
	g.GET("/hendelser/siste/sekvensnummer", s.handle(store.PurposeEvents, s.lastSequence))
	g.POST("/uttrekk/tilpasset", s.handle(store.PurposeCitizenLists, s.orderExtract))
	g.GET("/uttrekk/:jobbid/batch/:n", s.handle(store.PurposeCitizenLists, s.extractBatch))
}

// upstream runs fn with the upstream deadline and records its duration.
func upstream[T any](x *exchange, op string, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(x.ctx, x.s.upstreamTimeout)
	defer cancel()
	start := x.s.now()
	v, err := fn(ctx)
	x.s.m.upstreamDuration.WithLabelValues(op).Observe(x.s.now().Sub(start).Seconds())
	return v, err
}

// personRequest is what a request for person documents asks for.
type personRequest struct {
	parts    []string
	sel      freg.Selection
	elements []string // sel.Elements plus historikk
	reveal   bool     // visGraderteAdresser=true
}

// parsePersonParams reads `part` and visGraderteAdresser; any other query
// parameter is refused unless allowed lists it.
func parsePersonParams(v url.Values, allowed ...string) (personRequest, error) {
	for name := range v {
		if name != freg.ParamPart && name != paramVisGraderte && !slices.Contains(allowed, name) {
			return personRequest{}, badRequest(fmt.Sprintf("unknown parameter %q", name))
		}
	}
	var pr personRequest
	pr.parts = freg.ParsePartParams(v)
	sel, err := freg.ParseParts(pr.parts)
	if err != nil {
		return personRequest{}, badRequest(err.Error())
	}
	pr.sel = sel
	pr.elements = slices.Clone(sel.Elements)
	if sel.Historikk {
		pr.elements = append(pr.elements, freg.ElementHistorikk)
	}
	if vals, ok := v[paramVisGraderte]; ok {
		if len(vals) != 1 || (vals[0] != "true" && vals[0] != "false") {
			return personRequest{}, badRequest(paramVisGraderte + " must be true or false")
		}
		pr.reveal = vals[0] == "true"
	}
	return pr, nil
}

// rules turns an allowed person request into reduction rules.
func (x *exchange) rules(pr personRequest) reduce.Rules {
	return rulesFor(x.role, x.area, pr.sel, pr.reveal)
}

// rulesFor is the one statement of the reduction rules of a role: graded
// addresses are revealed only in a tjenesteområde with confidential access,
// and then when asked for (visGraderteAdresser=true) or when the role shows
// them by default.
func rulesFor(role store.Role, area store.ServiceArea, sel freg.Selection, reveal bool) reduce.Rules {
	conf := area.ConfidentialAllowed
	return reduce.Rules{
		Selection:    sel,
		Confidential: conf,
		RevealGraded: conf && (reveal || role.GradedAddresses == store.GradedShow),
	}
}

func (s *Server) person(x *exchange) (any, error) {
	id := x.c.Param("id")
	x.rec.Persons = []string{id}
	pr, err := parsePersonParams(x.c.Request.URL.Query())
	if err != nil {
		return nil, err
	}
	if err := ident.Validate(id); err != nil {
		return nil, badRequest("invalid identity number: " + err.Error())
	}
	if err := x.authorize(pr.elements, pr.parts, len(pr.parts) == 0); err != nil {
		return nil, err
	}
	doc, err := upstream(x, "person", func(ctx context.Context) ([]byte, error) {
		if rp, ok := s.upstream.(rawPersons); ok {
			return rp.PersonJSON(ctx, id, pr.parts)
		}
		p, err := s.upstream.Person(ctx, id, pr.parts)
		if err != nil {
			return nil, err
		}
		return json.Marshal(p)
	})
	if err != nil {
		return nil, err
	}
	// One reduction for every lookup, whatever the upstream: the JSON one.
	out, revealed, err := reduce.PersonJSON(doc, x.rules(pr))
	if err != nil {
		return nil, fmt.Errorf("%w: person document: %v", freg.ErrUpstream, err)
	}
	x.rec.GradedRevealed = revealed
	return rawBody(out), nil
}

// rawPersons is implemented by upstreams that can hand over a person
// document as received (fregclient), sparing the lookup a decode into
// freg.Person and an encode back.
type rawPersons interface {
	PersonJSON(ctx context.Context, id string, parts []string) ([]byte, error)
}

// rawBody is an answer already in JSON, sent as is.
type rawBody []byte

type bulkBody struct {
	FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
}

type bulkAnswer struct {
	Oppslag []freg.BulkResult `json:"oppslag"`
}

func (s *Server) bulk(x *exchange) (any, error) {
	pr, err := parsePersonParams(x.c.Request.URL.Query())
	if err != nil {
		return nil, err
	}
	var body bulkBody
	if err := decodeJSON(x.c.Request, &body); err != nil {
		return nil, err
	}
	ids := body.FoedselsEllerDNummer
	switch {
	case len(ids) == 0:
		return nil, badRequest("foedselsEllerDNummer must hold at least one identity number")
	case len(ids) > MaxBulkIDs:
		return nil, badRequest(fmt.Sprintf("at most %d identity numbers per bulkoppslag, got %d", MaxBulkIDs, len(ids)))
	}
	x.rec.Persons = uniq(ids)
	for i, id := range ids {
		if err := ident.Validate(id); err != nil {
			return nil, badRequest(fmt.Sprintf("foedselsEllerDNummer[%d] is not a valid identity number: %v", i, err))
		}
	}
	if err := x.authorize(pr.elements, pr.parts, len(pr.parts) == 0); err != nil {
		return nil, err
	}
	res, err := upstream(x, "bulkoppslag", func(ctx context.Context) ([]freg.BulkResult, error) {
		return s.upstream.BulkLookup(ctx, ids, pr.parts)
	})
	if err != nil {
		return nil, err
	}
	rules := x.rules(pr)
	out := make([]freg.BulkResult, len(res))
	for i, r := range res {
		out[i] = freg.BulkResult{FoedselsEllerDNummer: r.FoedselsEllerDNummer}
		if r.Folkeregisterperson != nil {
			p, revealed := reduce.Person(r.Folkeregisterperson, rules)
			out[i].Folkeregisterperson = p
			x.rec.GradedRevealed = x.rec.GradedRevealed || revealed
		}
		if r.Feilmelding != nil {
			out[i].Feilmelding = &freg.Feilmelding{Feilmelding: freg.RedactIdentityNumbers(r.Feilmelding.Feilmelding)}
		}
	}
	return bulkAnswer{Oppslag: out}, nil
}

type idList struct {
	FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
}

func (s *Server) search(x *exchange) (any, error) {
	v := x.c.Request.URL.Query()
	if _, ok := v[freg.ParamPart]; ok {
		return nil, badRequest("soek takes no part; it returns identity numbers")
	}
	q, err := freg.ParseSearchQuery(v)
	if err != nil {
		return nil, searchError(err)
	}
	x.rec.Criteria = criteriaJSON(q.Values())
	if err := x.authorize(searchElements(q, nil), nil, false); err != nil {
		return nil, err
	}
	ids, err := upstream(x, "soek", func(ctx context.Context) ([]string, error) { return s.upstream.Search(ctx, q) })
	if err != nil {
		return nil, err
	}
	x.rec.Persons = uniq(ids)
	if ids == nil {
		ids = []string{}
	}
	return idList{FoedselsEllerDNummer: ids}, nil
}

func (s *Server) uniqueSearch(x *exchange) (any, error) {
	v := x.c.Request.URL.Query()
	own, crit := url.Values{}, url.Values{}
	for k, vals := range v {
		if k == paramVisGraderte || k == freg.ParamPart {
			own[k] = vals
		}
		if k != paramVisGraderte {
			crit[k] = vals
		}
	}
	pr, err := parsePersonParams(own)
	if err != nil {
		return nil, err
	}
	q, err := freg.ParseSearchQuery(crit)
	if err != nil {
		return nil, searchError(err)
	}
	x.rec.Criteria = criteriaJSON(q.Values())
	if err := x.authorize(searchElements(q, pr.elements), pr.parts, len(pr.parts) == 0); err != nil {
		return nil, err
	}
	p, err := upstream(x, "entydigsoek", func(ctx context.Context) (*freg.Person, error) {
		return s.upstream.UniqueSearch(ctx, q, pr.parts)
	})
	if err != nil {
		return nil, err
	}
	out, revealed := reduce.Person(p, x.rules(pr))
	x.rec.GradedRevealed = revealed
	for _, n := range out.Identifikasjonsnummer {
		x.rec.Persons = append(x.rec.Persons, n.FoedselsEllerDNummer)
	}
	x.rec.Persons = uniq(x.rec.Persons)
	return out, nil
}

func (s *Server) feed(x *exchange) (any, error) {
	v := x.c.Request.URL.Query()
	for name := range v {
		if name != "seq" {
			return nil, badRequest(fmt.Sprintf("unknown parameter %q", name))
		}
	}
	raw := v["seq"]
	if len(raw) != 1 {
		return nil, badRequest("seq is required, once")
	}
	seq, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil || seq < 1 {
		return nil, badRequest("seq must be a positive integer")
	}
	x.rec.Criteria = criteriaJSON(url.Values{"seq": raw})
	if err := x.authorize([]string{"identifikasjonsnummer"}, nil, false); err != nil {
		return nil, err
	}
	items, err := upstream(x, "feed", func(ctx context.Context) ([]freg.FeedItem, error) { return s.upstream.Feed(ctx, seq) })
	if err != nil {
		return nil, err
	}
	kept, unknown := reduce.Feed(items, x.roleMayRead)
	if unknown > 0 {
		s.m.feedUnknown.Add(float64(unknown))
	}
	for _, it := range kept {
		x.rec.Persons = append(x.rec.Persons, it.Hendelse.Folkeregisteridentifikator)
	}
	x.rec.Persons = uniq(x.rec.Persons)
	return kept, nil
}

// roleMayRead reports whether the role holds element and its tjenesteområde
// allows it (confidential elements).
func (x *exchange) roleMayRead(element string) bool {
	if !slices.Contains(x.role.Elements, element) && element != "identifikasjonsnummer" {
		return false
	}
	e, ok := freg.LookupElement(element)
	return ok && (!e.Confidential || x.area.ConfidentialAllowed)
}

func (s *Server) lastSequence(x *exchange) (any, error) {
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, badRequest("siste/sekvensnummer takes no parameters")
	}
	if err := x.authorize([]string{"identifikasjonsnummer"}, nil, false); err != nil {
		return nil, err
	}
	return upstream(x, "sekvensnummer", func(ctx context.Context) (int64, error) { return s.upstream.LastSequence(ctx) })
}

type jobAnswer struct {
	JobbID string `json:"jobbId"`
}

var (
	personstatustyper = []string{"aktiv", "bosatt", "utflyttet", "doed", "inaktiv"}
	sivilstandstyper  = []string{"uoppgitt", "ugift", "gift", "enkeEllerEnkemann", "skilt", "separert", "registrertPartner", "separertPartner", "skiltPartner", "gjenlevendePartner"}
	reKommunenr       = regexp.MustCompile(`^[0-9]{4}$`)
	reISO3            = regexp.MustCompile(`^[A-Z]{3}$`)
	reJobID           = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
)

func (s *Server) orderExtract(x *exchange) (any, error) {
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, badRequest("uttrekk/tilpasset takes no query parameters")
	}
	var req freg.ExtractRequest
	if err := decodeJSON(x.c.Request, &req); err != nil {
		return nil, err
	}
	if b, err := json.Marshal(req); err == nil {
		x.rec.Criteria = b
	}
	if err := validateExtract(req); err != nil {
		return nil, err
	}
	if err := x.authorize(extractElements(req), nil, false); err != nil {
		return nil, err
	}
	if err := s.extractScope(x, req); err != nil {
		return nil, err
	}
	id, err := upstream(x, "uttrekk", func(ctx context.Context) (string, error) { return s.upstream.OrderExtract(ctx, req) })
	if err != nil {
		return nil, err
	}
	if err := s.rememberJob(x, id); err != nil {
		return nil, err
	}
	return jobAnswer{JobbID: id}, nil
}

func validateExtract(r freg.ExtractRequest) error {
	if len(r.Personstatustyper) == 0 {
		return badRequest("personstatustyper is required")
	}
	for _, st := range r.Personstatustyper {
		if !slices.Contains(personstatustyper, st) {
			return badRequest(fmt.Sprintf("personstatustyper: %q is not one of aktiv, bosatt, utflyttet, doed, inaktiv", st))
		}
	}
	if k := r.Kommunenummer; k != nil {
		if (k.Bostedskommunenummer == "") == (k.Oppholdskommunenummer == "") {
			return badRequest("kommunenummer needs exactly one of bostedskommunenummer and oppholdskommunenummer")
		}
		if !reKommunenr.MatchString(k.Bostedskommunenummer + k.Oppholdskommunenummer) {
			return badRequest("kommunenummer must be 4 digits")
		}
	}
	for name, y := range map[string]int{"foedselsaarFraOgMed": r.FoedselsaarFraOgMed, "foedselsaarTilOgMed": r.FoedselsaarTilOgMed,
		"doedsaarFraOgMed": r.DoedsaarFraOgMed, "doedsaarTilOgMed": r.DoedsaarTilOgMed} {
		if y != 0 && (y < 1000 || y > 9999) {
			return badRequest(name + " must be a year")
		}
	}
	if r.Kjoenn != "" && r.Kjoenn != "mann" && r.Kjoenn != "kvinne" {
		return badRequest("kjoenn must be mann or kvinne")
	}
	if r.Statsborgerskap != "" && !reISO3.MatchString(r.Statsborgerskap) {
		return badRequest("statsborgerskap must be an ISO 3166-1 alpha-3 code")
	}
	if r.Sivilstandstype != "" && !slices.Contains(sivilstandstyper, r.Sivilstandstype) {
		return badRequest("sivilstandstype is not a FREG sivilstand")
	}
	return nil
}

func (s *Server) extractBatch(x *exchange) (any, error) {
	job, nraw := x.c.Param("jobbid"), x.c.Param("n")
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, badRequest("uttrekk batches take no query parameters")
	}
	if !reJobID.MatchString(job) {
		return nil, badRequest("jobbid is malformed")
	}
	n, err := strconv.Atoi(nraw)
	if err != nil || n < 0 || strconv.Itoa(n) != nraw {
		return nil, badRequest("batch number must be a non-negative integer")
	}
	x.rec.Criteria, _ = json.Marshal(map[string]any{"jobbId": job, "batch": n})
	if err := x.authorize([]string{"identifikasjonsnummer"}, nil, false); err != nil {
		return nil, err
	}
	owns, err := s.ownsJob(x, job)
	if err != nil {
		return nil, err
	}
	if !owns {
		// Answered like FREG's unknown job, without asking the upstream.
		return nil, &apiError{status: http.StatusGone, code: codeGone, message: "no uttrekk job with this id was ordered in this role"}
	}
	b, err := upstream(x, "uttrekk-batch", func(ctx context.Context) (freg.ExtractBatch, error) {
		return s.upstream.ExtractBatch(ctx, job, n)
	})
	if err != nil {
		return nil, err
	}
	x.rec.Persons = uniq(b.FoedselsEllerDNummer)
	b.Feilmelding = freg.RedactIdentityNumbers(b.Feilmelding)
	return b, nil
}

// searchError turns a ParseSearchQuery error (which names the parameter,
// never its value) into a 400.
func searchError(err error) error {
	return badRequest(strings.TrimPrefix(err.Error(), freg.ErrInvalid.Error()+": "))
}

// searchElements are the elements a search reads: searching by a value is
// reading it (a role without navn must not probe names by search), plus the
// elements asked for (entydigsoek).
func searchElements(q freg.SearchQuery, asked []string) []string {
	els := append([]string{"identifikasjonsnummer"}, asked...)
	if q.Navn != "" {
		els = append(els, "navn")
	}
	if q.Kjoenn != "" {
		els = append(els, "kjoenn")
	}
	if q.Foedselsdato != "" || q.FoedselsaarFraOgMed != 0 || q.FoedselsaarTilOgMed != 0 {
		els = append(els, "foedsel")
	}
	if q.Adressenavn != "" || q.Husnummer != "" || q.Postnummer != "" || q.Kommunenummer != "" || q.Fylkesnummer != "" {
		els = append(els, "bostedsadresse")
		if q.InkluderOppholdsadresse {
			els = append(els, "oppholdsadresse")
		}
	}
	if q.Opplysningsgrunnlag == "historisk" || q.Opplysningsgrunnlag == "begge" {
		els = append(els, freg.ElementHistorikk)
	}
	return uniq(els)
}

// extractElements are the elements an uttrekk's criteria read.
func extractElements(r freg.ExtractRequest) []string {
	els := []string{"identifikasjonsnummer", "status"}
	if k := r.Kommunenummer; k != nil {
		if k.Bostedskommunenummer != "" {
			els = append(els, "bostedsadresse")
		} else {
			els = append(els, "oppholdsadresse")
		}
	}
	if r.FoedselsaarFraOgMed != 0 || r.FoedselsaarTilOgMed != 0 {
		els = append(els, "foedsel")
	}
	if r.DoedsaarFraOgMed != 0 || r.DoedsaarTilOgMed != 0 {
		els = append(els, "doedsfall")
	}
	if r.Kjoenn != "" {
		els = append(els, "kjoenn")
	}
	if r.Statsborgerskap != "" {
		els = append(els, "statsborgerskap")
	}
	if r.Sivilstandstype != "" {
		els = append(els, "sivilstand")
	}
	return uniq(els)
}

// decodeJSON reads a JSON POST body strictly into dst.
func decodeJSON(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return badRequest("Content-Type application/json is required")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return badRequest("Content-Type must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return badRequest("could not read the body")
	}
	if len(body) > maxBodyBytes {
		return badRequest(fmt.Sprintf("body larger than %d bytes", maxBodyBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return badRequest("malformed JSON body")
		case errors.As(err, &te):
			return badRequest(fmt.Sprintf("JSON field %q has the wrong type", te.Field))
		default:
			// Unknown field: the message names the field, never a value.
			return badRequest("invalid JSON body: " + err.Error())
		}
	}
	if dec.More() {
		return badRequest("trailing data after the JSON body")
	}
	return nil
}

func criteriaJSON(v url.Values) json.RawMessage {
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	b, _ := json.Marshal(m)
	return b
}

// uniq returns the sorted distinct values of xs.
func uniq(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
