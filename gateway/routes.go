package gateway

import (
	"bytes"
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

	"folkevakt/gateway/access"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// Prefix is where the gateway's FREG resources live (contract.md §5); the
// second v1 is FREG's own version segment, as in Fiks.
const Prefix = "/folkeregister/api/v1/:rolleId/v1"

// MaxBulkIDs is FREG's limit for bulkoppslag.
const MaxBulkIDs = access.MaxBulkIDs

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

// personRequest reads `part` and visGraderteAdresser; any other query
// parameter is refused unless allowed lists it.
func personRequest(v url.Values, allowed ...string) (access.PersonRequest, error) {
	for name := range v {
		if name != freg.ParamPart && name != paramVisGraderte && !slices.Contains(allowed, name) {
			return access.PersonRequest{}, access.Invalid(fmt.Sprintf("unknown parameter %q", name))
		}
	}
	pr := access.PersonRequest{Parts: freg.ParsePartParams(v)}
	if err := freg.CheckParts(pr.Parts); err != nil {
		return access.PersonRequest{}, searchError(err)
	}
	if vals, ok := v[paramVisGraderte]; ok {
		if len(vals) != 1 || (vals[0] != "true" && vals[0] != "false") {
			return access.PersonRequest{}, access.Invalid(paramVisGraderte + " must be true or false")
		}
		pr.Reveal = vals[0] == "true"
	}
	return pr, nil
}

func (s *Server) person(x *exchange) (any, error) {
	pr, err := personRequest(x.c.Request.URL.Query())
	if err != nil {
		return nil, err
	}
	ctx, c := x.read()
	doc, err := s.access.Person(ctx, c, x.c.Param("id"), pr)
	return rawBody(doc), err
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
	v := x.c.Request.URL.Query()
	pr, err := personRequest(v, paramSomBestilt)
	if err != nil {
		return nil, err
	}
	somBestilt, err := somBestiltParam(v)
	if err != nil {
		return nil, err
	}
	var body bulkBody
	if err := decodeJSON(x.c.Request, &body); err != nil {
		return nil, err
	}
	ids := body.FoedselsEllerDNummer
	if !somBestilt && len(ids) <= MaxBulkIDs {
		// FREG answers each person once unless somBestilt; the limit holds
		// for the request as sent, so a longer one is refused whole.
		ids = uniqueIDs(ids)
	}
	ctx, c := x.read()
	out, err := s.access.Bulk(ctx, c, ids, pr)
	return bulkAnswer{Oppslag: out}, err
}

// paramSomBestilt asks bulkoppslag to answer in request order, duplicates
// included (FREG's somBestilt).
const paramSomBestilt = "somBestilt"

func somBestiltParam(v url.Values) (bool, error) {
	vals, ok := v[paramSomBestilt]
	if !ok {
		return false, nil
	}
	if len(vals) != 1 || (vals[0] != "true" && vals[0] != "false") {
		return false, access.Invalid(paramSomBestilt + " must be true or false")
	}
	return vals[0] == "true", nil
}

// uniqueIDs keeps the first occurrence of each identity number, in order.
func uniqueIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

type idList struct {
	FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
}

func (s *Server) search(x *exchange) (any, error) {
	v := x.c.Request.URL.Query()
	if _, ok := v[freg.ParamPart]; ok {
		return nil, access.Invalid("soek takes no part; it returns identity numbers")
	}
	q, err := freg.ParseSearchQuery(v)
	if err != nil {
		return nil, searchError(err)
	}
	for _, name := range freg.EntydigOnly {
		if v.Has(name) {
			return nil, access.Invalid(name + " is a parameter of entydigsoek only")
		}
	}
	ctx, c := x.read()
	ids, err := s.access.Search(ctx, c, q)
	return idList{FoedselsEllerDNummer: ids}, err
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
	pr, err := personRequest(own)
	if err != nil {
		return nil, err
	}
	q, err := freg.ParseSearchQuery(crit)
	if err != nil {
		return nil, searchError(err)
	}
	ctx, c := x.read()
	return s.access.UniqueSearch(ctx, c, q, pr)
}

func (s *Server) feed(x *exchange) (any, error) {
	v := x.c.Request.URL.Query()
	for name := range v {
		if name != "seq" {
			return nil, access.Invalid(fmt.Sprintf("unknown parameter %q", name))
		}
	}
	raw := v["seq"]
	if len(raw) != 1 {
		return nil, access.Invalid("seq is required, once")
	}
	seq, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil || seq < 1 {
		return nil, access.Invalid("seq must be a positive integer")
	}
	ctx, c := x.read()
	items, err := s.access.Feed(ctx, c, seq)
	// The feed carries ETag / If-None-Match end to end, as FREG's does.
	return conditional{v: items, key: c.Role.ID + "/" + strconv.FormatInt(seq, 10)}, err
}

func (s *Server) lastSequence(x *exchange) (any, error) {
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, access.Invalid("siste/sekvensnummer takes no parameters")
	}
	ctx, c := x.read()
	return s.access.LastSequence(ctx, c)
}

type jobAnswer struct {
	JobbID string `json:"jobbId"`
}

var reJobID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

func (s *Server) orderExtract(x *exchange) (any, error) {
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, access.Invalid("uttrekk/tilpasset takes no query parameters")
	}
	var req freg.ExtractRequest
	if err := decodeJSON(x.c.Request, &req); err != nil {
		return nil, err
	}
	ctx, c := x.read()
	id, err := s.access.OrderExtract(ctx, c, req)
	return jobAnswer{JobbID: id}, err
}

func (s *Server) extractBatch(x *exchange) (any, error) {
	job, nraw := x.c.Param("jobbid"), x.c.Param("n")
	if len(x.c.Request.URL.Query()) > 0 {
		return nil, access.Invalid("uttrekk batches take no query parameters")
	}
	if !reJobID.MatchString(job) {
		return nil, access.Invalid("jobbid is malformed")
	}
	n, err := strconv.Atoi(nraw)
	if err != nil || n < 0 || strconv.Itoa(n) != nraw {
		return nil, access.Invalid("batch number must be a non-negative integer")
	}
	ctx, c := x.read()
	return s.access.ExtractBatch(ctx, c, job, n)
}

// searchError turns a ParseSearchQuery error (which names the parameter,
// never its value) into a 400.
// (searchError serves every freg.ErrInvalid of the request's own input.)
func searchError(err error) error {
	return access.Invalid(strings.TrimPrefix(err.Error(), freg.ErrInvalid.Error()+": "))
}

// decodeJSON reads a JSON POST body strictly into dst.
func decodeJSON(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return access.Invalid("Content-Type application/json is required")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return access.Invalid("Content-Type must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return access.Invalid("could not read the body")
	}
	if len(body) > maxBodyBytes {
		return access.Invalid(fmt.Sprintf("body larger than %d bytes", maxBodyBytes))
	}
	if err := freg.CheckJSONDepth(body, freg.MaxJSONDepth); err != nil {
		return searchError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return access.Invalid("malformed JSON body")
		case errors.As(err, &te):
			return access.Invalid(fmt.Sprintf("JSON field %q has the wrong type", te.Field))
		default:
			// Unknown field: the message names the field, never a value.
			return access.Invalid("invalid JSON body: " + err.Error())
		}
	}
	if dec.More() {
		return access.Invalid("trailing data after the JSON body")
	}
	return nil
}
