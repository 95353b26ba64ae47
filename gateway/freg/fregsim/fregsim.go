// Package fregsim serves any freg.Client in Folkeregisteret's wire format
// under the OMH package prefix, so that the embedded synthetic register can
// stand in for a real FREG (tests, benchmarks, vendors).
//
// Routes, relative to Prefix (freg.md §2):
//
//	GET      v1/personer/{personidentifikator}?part=…
//	POST     v1/personer/bulkoppslag?part=…        {"foedselsEllerDNummer":[…]} → {"oppslag":[…]}
//	GET      v1/personer/soek?…                    → {"foedselsEllerDNummer":[…]}
//	GET      v1/personer/entydigsoek?…&part=…      → Folkeregisterperson
//	GET/HEAD v1/hendelser/feed?seq=n               → [FeedItem…], ETag, 304 on If-None-Match
//	GET      v1/hendelser/siste/sekvensnummer      → bare JSON number
//	POST     v1/uttrekk/tilpasset                  TilpassetUttrekkJobbRequest → {"jobbId":…}
//	GET      v1/uttrekk/{jobbid}/batch/{batchnr}   → {"foedselsEllerDNummer":[…]} or {"dokumentidentifikator":[…]}; {} past the end
//	GET      v1/uttrekk/komplett?feedsekvensnr=n   → {"jobbId":…}
//	GET      v1/personer/arkiv/{dokumentidentifikator}?part=… → Folkeregisterperson as the event left it
//	POST     v1/personer/bulkoppslag/arkiv?part=…  {"dokumentidentifikator":[…]} → {"oppslag":[…]}
//	GET      v1/hendelser/{hendelsesidentifikator} → DokumentForHendelse
//	POST     v1/hendelser/bulkoppslag              {"dokumentidentifikator":[…]} → {"hendelser":[…]}
//	GET      v1/personer/xsd, v1/hendelser/xsd, v1/hendelser/feedxsd → XML Schema
//
// plus GET /healthz outside the prefix. bulkoppslag takes somBestilt; the
// two archive bulk operations answer lists (the spec's 200 schema there is
// a single document). JSON is served, and XML Schema on the xsd resources.
//
// Errors carry FREG's body {"kode","melding"}, or where the official spec
// lists a body for the status, that one (FolkeregisterFeilmelding for 401
// and 403, ErrorMessageForExternalUsers for the feed's 404, {"feilmelding"}
// for uttrekk batches), with these kode values:
//
//	FREG-001 400 invalid request (melding names the parameter)
//	FREG-002 404 person or document not found
//	FREG-003 404 unknown resource (wrong URI)
//	FREG-004 404 uttrekk batch not ready
//	FREG-005 410 unknown uttrekk job or batch
//	FREG-006 403 not authorised
//	FREG-007 405 method not allowed
//	FREG-008 406 Accept other than JSON
//	FREG-009 413 request body over 1 MiB
//	FREG-010 415 Content-Type other than application/json
//	FREG-011 429 throttled (Retry-After in milliseconds)
//	FREG-012 502 the register's own upstream failed
//	FREG-013 504 the register's own upstream timed out
//	FREG-014 500 internal error
package fregsim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/gateway/freg/ident"
)

// Prefix is the OMH package prefix that fregsim serves.
const Prefix = "/folkeregisteret/offentlig-med-hjemmel/api"

const (
	maxBodyBytes = 1 << 20
	maxBulkIDs   = 1000
)

type server struct {
	c   freg.Client
	log *slog.Logger
	mux *http.ServeMux
}

// NewHandler returns the FREG wire API over c. Each request is logged with
// method, route template, status and duration, never the path, which holds
// identity numbers.
func NewHandler(c freg.Client, logger *slog.Logger) http.Handler {
	s := &server{c: c, log: logger, mux: http.NewServeMux()}
	v1 := Prefix + "/v1/"
	s.mux.HandleFunc("GET "+v1+"personer/{personidentifikator}", s.person)
	s.mux.HandleFunc("POST "+v1+"personer/bulkoppslag", s.bulk)
	s.mux.HandleFunc("GET "+v1+"personer/soek", s.search)
	s.mux.HandleFunc("GET "+v1+"personer/entydigsoek", s.uniqueSearch)
	s.mux.HandleFunc("GET "+v1+"hendelser/feed", s.feed)
	s.mux.HandleFunc("GET "+v1+"hendelser/siste/sekvensnummer", s.lastSequence)
	s.mux.HandleFunc("POST "+v1+"uttrekk/tilpasset", s.orderExtract)
	s.mux.HandleFunc("GET "+v1+"uttrekk/{jobbid}/batch/{batchnr}", s.extractBatch)
	s.mux.HandleFunc("GET "+v1+"uttrekk/komplett", s.orderCompleteExtract)
	s.mux.HandleFunc("GET "+v1+"personer/arkiv/{dokumentidentifikator}", s.archivedPerson)
	s.mux.HandleFunc("POST "+v1+"personer/bulkoppslag/arkiv", s.archivedBulk)
	s.mux.HandleFunc("GET "+v1+"hendelser/{hendelsesidentifikator}", s.event)
	s.mux.HandleFunc("POST "+v1+"hendelser/bulkoppslag", s.eventBulk)
	// The XML schemas; literal paths win over {personidentifikator}.
	s.mux.HandleFunc("GET "+v1+"personer/xsd", s.schema)
	s.mux.HandleFunc("GET "+v1+"hendelser/xsd", s.schema)
	s.mux.HandleFunc("GET "+v1+"hendelser/feedxsd", s.schema)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h, pattern := s.mux.Handler(r)
	switch {
	case pattern == "":
		s.unmatched(sw, r, h)
	case strings.HasSuffix(pattern, "xsd"):
		s.mux.ServeHTTP(sw, r) // XML whatever the Accept header says
	case strings.Contains(pattern, Prefix) && !acceptsJSON(r.Header.Values("Accept")):
		s.writeError(sw, r, errAccept)
	default:
		s.mux.ServeHTTP(sw, r)
	}
	route := pattern
	if route == "" {
		route = "unmatched"
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", sw.status()),
		slog.Duration("duration", time.Since(start)))
}

// unmatched answers a request no route takes, in FREG's error format. The
// mux's own fallback handler tells a wrong method (405, with Allow) from an
// unknown path (404).
func (s *server) unmatched(w http.ResponseWriter, r *http.Request, fallback http.Handler) {
	p := &probe{header: http.Header{}}
	fallback.ServeHTTP(p, r)
	if p.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", p.header.Get("Allow"))
		s.writeError(w, r, errMethod)
		return
	}
	s.writeError(w, r, errNoRoute)
}

// acceptsJSON reports whether an Accept header admits application/json;
// no header admits anything.
func acceptsJSON(accept []string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, h := range accept {
		for item := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(item))
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
				continue // q=0 means "not acceptable"
			}
			if mt == "application/json" || mt == "application/*" || mt == "*/*" {
				return true
			}
		}
	}
	return false
}

func (s *server) person(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("personidentifikator")
	parts, err := partsOnly(r.URL.Query())
	if err == nil {
		err = checkID(id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.c.Person(r.Context(), id, parts)
	s.answer(w, r, p, err)
}

func (s *server) bulk(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	err := onlyParams(v, freg.ParamPart, "somBestilt")
	var parts []string
	somBestilt := false
	if err == nil {
		parts, err = checkParts(v)
	}
	if err == nil && v.Has("somBestilt") {
		somBestilt, err = strconv.ParseBool(v.Get("somBestilt"))
		if err != nil || (v.Get("somBestilt") != "true" && v.Get("somBestilt") != "false") {
			err = fmt.Errorf("%w: somBestilt: must be true or false", freg.ErrInvalid)
		}
	}
	var req struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
	}
	if err == nil {
		err = decodeBody(w, r, &req)
	}
	if err == nil && (len(req.FoedselsEllerDNummer) == 0 || len(req.FoedselsEllerDNummer) > maxBulkIDs) {
		err = fmt.Errorf("%w: foedselsEllerDNummer: must hold 1 to %d identity numbers", freg.ErrInvalid, maxBulkIDs)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Without somBestilt FREG answers each person once; with it, in the
	// order asked, duplicates included.
	ids := req.FoedselsEllerDNummer
	if !somBestilt {
		ids = unique(ids)
	}
	// Invalid or unknown numbers get a feilmelding entry from the register.
	res, err := s.c.BulkLookup(r.Context(), ids, parts)
	s.answer(w, r, struct {
		Oppslag []freg.BulkResult `json:"oppslag"`
	}{nonNil(res)}, err)
}

func (s *server) search(w http.ResponseWriter, r *http.Request) {
	q, err := freg.ParseSearchQuery(r.URL.Query())
	for _, name := range freg.EntydigOnly {
		if err == nil && r.URL.Query().Has(name) {
			err = fmt.Errorf("%w: %s is a parameter of entydigsoek only", freg.ErrInvalid, name)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ids, err := s.c.Search(r.Context(), q)
	s.answer(w, r, idList{nonNil(ids)}, err)
}

func (s *server) uniqueSearch(w http.ResponseWriter, r *http.Request) {
	q, err := freg.ParseSearchQuery(r.URL.Query())
	var parts []string
	if err == nil {
		parts, err = checkParts(r.URL.Query())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.c.UniqueSearch(r.Context(), q, parts)
	s.answer(w, r, p, err)
}

func (s *server) feed(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	err := onlyParams(v, "seq")
	var seq int64
	if err == nil {
		seq, err = positiveInt("seq", v.Get("seq"), 1)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, err := s.c.Feed(r.Context(), seq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := json.Marshal(nonNil(items))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The tag covers seq as well as the page, so a tag never matches a
	// different position in the feed.
	sum := sha256.Sum256(append(strconv.AppendInt(nil, seq, 10), body...))
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	w.Header().Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, http.StatusOK, body)
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

func (s *server) lastSequence(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	seq, err := s.c.LastSequence(r.Context())
	s.answer(w, r, seq, err)
}

func (s *server) orderExtract(w http.ResponseWriter, r *http.Request) {
	err := onlyParams(r.URL.Query())
	var req freg.ExtractRequest
	if err == nil {
		err = decodeBody(w, r, &req)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The register validates the request's content, as FREG does.
	id, err := s.c.OrderExtract(r.Context(), req)
	s.answer(w, r, struct {
		JobbID string `json:"jobbId"`
	}{id}, err)
}

func (s *server) extractBatch(w http.ResponseWriter, r *http.Request) {
	err := onlyParams(r.URL.Query())
	var n int64
	if err == nil {
		n, err = positiveInt("batchnr", r.PathValue("batchnr"), 0)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.c.ExtractBatch(r.Context(), r.PathValue("jobbid"), int(n))
	if err != nil || b.Done {
		s.answer(w, r, struct{}{}, err)
		return
	}
	if b.Dokumentidentifikator != nil {
		s.answer(w, r, struct {
			Dokumentidentifikator []string `json:"dokumentidentifikator"`
			Feilmelding           string   `json:"feilmelding,omitempty"`
		}{b.Dokumentidentifikator, b.Feilmelding}, nil)
		return
	}
	// foedselsEllerDNummer is always present here, so that an empty batch is
	// not mistaken for the end ({}).
	s.answer(w, r, struct {
		FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
		Feilmelding          string   `json:"feilmelding,omitempty"`
	}{nonNil(b.FoedselsEllerDNummer), b.Feilmelding}, nil)
}

func (s *server) orderCompleteExtract(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	err := onlyParams(v, "feedsekvensnr")
	var upTo int64
	if err == nil && v.Has("feedsekvensnr") {
		upTo, err = positiveInt("feedsekvensnr", v.Get("feedsekvensnr"), 1)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.c.OrderCompleteExtract(r.Context(), upTo)
	s.answer(w, r, struct {
		JobbID string `json:"jobbId"`
	}{id}, err)
}

func (s *server) archivedPerson(w http.ResponseWriter, r *http.Request) {
	parts, err := partsOnly(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.c.ArchivedPerson(r.Context(), r.PathValue("dokumentidentifikator"), parts)
	s.answer(w, r, p, err)
}

// docIDsBody reads {"dokumentidentifikator":[…]} with 1 to maxBulkIDs entries.
func docIDsBody(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var req struct {
		Dokumentidentifikator []string `json:"dokumentidentifikator"`
	}
	if err := decodeBody(w, r, &req); err != nil {
		return nil, err
	}
	if len(req.Dokumentidentifikator) == 0 || len(req.Dokumentidentifikator) > maxBulkIDs {
		return nil, fmt.Errorf("%w: dokumentidentifikator: must hold 1 to %d identifiers", freg.ErrInvalid, maxBulkIDs)
	}
	return req.Dokumentidentifikator, nil
}

// archivedBulk answers a list of person documents. The spec's 200 schema
// for this operation is a single Folkeregisterperson, which cannot carry a
// set; the answer follows bulkoppslag's shape with dokumentidentifikator
// as the key, and each document is a Folkeregisterperson.
func (s *server) archivedBulk(w http.ResponseWriter, r *http.Request) {
	parts, err := partsOnly(r.URL.Query())
	var ids []string
	if err == nil {
		ids, err = docIDsBody(w, r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.c.ArchivedBulkLookup(r.Context(), ids, parts)
	s.answer(w, r, struct {
		Oppslag []freg.ArchivedResult `json:"oppslag"`
	}{nonNil(res)}, err)
}

func (s *server) event(w http.ResponseWriter, r *http.Request) {
	if err := onlyParams(r.URL.Query()); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.c.Event(r.Context(), r.PathValue("hendelsesidentifikator"))
	s.answer(w, r, d, err)
}

// eventBulk answers the known event documents as a list; like
// bulkoppslag/arkiv, the spec's 200 schema is a single document.
func (s *server) eventBulk(w http.ResponseWriter, r *http.Request) {
	err := onlyParams(r.URL.Query())
	var ids []string
	if err == nil {
		ids, err = docIDsBody(w, r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	docs, err := s.c.Events(r.Context(), ids)
	s.answer(w, r, struct {
		Hendelser []freg.EventDocument `json:"hendelser"`
	}{nonNil(docs)}, err)
}

type idList struct {
	FoedselsEllerDNummer []string `json:"foedselsEllerDNummer"`
}

// answer writes v as JSON, or err in FREG's error format.
func (s *server) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode response", slog.String("route", r.Pattern), slog.String("error", err.Error()))
		status, body = http.StatusInternalServerError, []byte(`{"kode":"`+internalError.Kode+`","melding":"`+internalError.Melding+`"}`)
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// decodeBody reads one JSON value of at most maxBodyBytes into dst,
// rejecting unknown fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errContentType
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err = dec.Decode(dst); err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return nil
		}
		if err == nil {
			err = errors.New("trailing data after the JSON value")
		}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errTooLarge
	}
	return fmt.Errorf("%w: body: %v", freg.ErrInvalid, err)
}

// checkID rejects anything that is not a valid fødselsnummer or D-nummer,
// as FREG answers 400 before looking the person up.
func checkID(id string) error {
	if err := ident.Validate(id); err != nil {
		return fmt.Errorf("%w: personidentifikator: %v", freg.ErrInvalid, err)
	}
	return nil
}

// checkParts returns the `part` values after checking that FREG knows them.
func checkParts(v url.Values) ([]string, error) {
	parts := freg.ParsePartParams(v)
	if _, err := freg.ParseParts(parts); err != nil {
		return nil, fmt.Errorf("%w: part: %v", freg.ErrInvalid, err)
	}
	return parts, nil
}

// partsOnly is checkParts for routes that take no other parameter.
func partsOnly(v url.Values) ([]string, error) {
	if err := onlyParams(v, freg.ParamPart); err != nil {
		return nil, err
	}
	return checkParts(v)
}

func onlyParams(v url.Values, allowed ...string) error {
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(allowed, name) {
			return fmt.Errorf("%w: unknown parameter %q", freg.ErrInvalid, freg.RedactIdentityNumbers(name))
		}
	}
	return nil
}

// positiveInt parses a decimal integer ≥ min.
func positiveInt(name, s string, min int64) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || s != strconv.FormatInt(n, 10) {
		return 0, fmt.Errorf("%w: %s: must be an integer ≥ %d", freg.ErrInvalid, name, min)
	}
	return n, nil
}

// unique keeps the first occurrence of each id, in order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// probe captures the status and headers the mux's fallback handler would
// answer, discarding its plain-text body.
type probe struct {
	header http.Header
	code   int
}

func (p *probe) Header() http.Header         { return p.header }
func (p *probe) Write(b []byte) (int, error) { return len(b), nil }
func (p *probe) WriteHeader(code int)        { p.code = code }
