// Package fregspec checks FREG wire traffic against Skatteetaten's official
// OpenAPI document for the package "offentlig med hjemmel" (version 1.5).
// It is test support: tests of fregsim, fregclient and the gateway wrap
// their HTTP transport with it, so that every request our client sends and
// every response a server answers is validated against the spec, including
// fields the spec does not define.
//
// The document is third-party material and is not in the repository; Load
// reads it from ../shared/reference relative to the repository root and
// skips the test with a clear message when it is absent.
package fregspec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// File is the spec's name under ../shared/reference.
const File = "freg-openapi-offentlig-med-hjemmel-1.5.yaml"

// Prefix is the spec's server URL: the package prefix every path follows.
const Prefix = "/folkeregisteret/offentlig-med-hjemmel/api"

// Spec is the loaded document, made strict: every object schema with
// properties refuses properties it does not define.
type Spec struct {
	doc   *openapi3.T
	paths []string
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
	loadPath string
)

// Load returns the strict spec, or skips t when the document is absent.
func Load(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() { loaded, loadPath, loadErr = load() })
	if errors.Is(loadErr, os.ErrNotExist) {
		t.Skipf("FREG OpenAPI not found (%s): put Skatteetaten's %s in ../shared/reference to validate against the official spec", loadPath, File)
	}
	if loadErr != nil {
		t.Fatalf("FREG OpenAPI %s: %v", loadPath, loadErr)
	}
	return loaded
}

// MaybeLoad is Load for tests that test more than conformance: without the
// document it logs why nothing is validated and returns nil, whose
// Transport passes traffic through unchecked.
func MaybeLoad(t testing.TB) *Spec {
	t.Helper()
	loadOnce.Do(func() { loaded, loadPath, loadErr = load() })
	if errors.Is(loadErr, os.ErrNotExist) {
		t.Logf("FREG OpenAPI not found (%s): responses are not validated against the official spec", loadPath)
		return nil
	}
	if loadErr != nil {
		t.Fatalf("FREG OpenAPI %s: %v", loadPath, loadErr)
	}
	return loaded
}

func load() (*Spec, string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, "", err
	}
	path := filepath.Join(root, "..", "shared", "reference", File)
	if _, err := os.Stat(path); err != nil {
		return nil, path, err
	}
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, path, err
	}
	// The document's own examples are not all valid (foedselsdato's is a
	// number for a string parameter); they play no part in validation.
	if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
		return nil, path, fmt.Errorf("the document itself is invalid: %w", err)
	}
	seen := map[*openapi3.Schema]bool{}
	for _, s := range doc.Components.Schemas {
		closeObjects(s, seen)
	}
	return &Spec{doc: doc, paths: doc.Paths.InMatchingOrder()}, path, nil
}

// repoRoot is the nearest directory above the working directory that holds
// go.mod (tests run in their package directory).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: %w", os.ErrNotExist)
		}
		dir = parent
	}
}

// closeObjects sets additionalProperties: false on every object schema that
// lists properties and says nothing about others, so that a field the spec
// does not define fails validation.
func closeObjects(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
		no := false
		s.AdditionalProperties.Has = &no
	}
	for _, p := range s.Properties {
		closeObjects(p, seen)
	}
	closeObjects(s.Items, seen)
	closeObjects(s.AdditionalProperties.Schema, seen)
	for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
		for _, x := range list {
			closeObjects(x, seen)
		}
	}
}

// route finds the operation for method and a path below Prefix. Literal
// segments win over parameters (personer/xsd is not a personidentifikator),
// which is the order InMatchingOrder gives.
func (s *Spec) route(method, path string) (*routers.Route, map[string]string, error) {
	rel, ok := strings.CutPrefix(path, Prefix)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not below %s", path, Prefix)
	}
	segs := strings.Split(strings.Trim(rel, "/"), "/")
	for _, tmpl := range s.paths {
		params, ok := match(strings.Split(strings.Trim(tmpl, "/"), "/"), segs)
		if !ok {
			continue
		}
		item := s.doc.Paths.Value(tmpl)
		op := item.GetOperation(method)
		if method == http.MethodHead {
			op = item.Get // HEAD is GET without a body
		}
		if op == nil {
			return nil, nil, fmt.Errorf("%w: no %s %s", errNoPath, method, tmpl)
		}
		return &routers.Route{Spec: s.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}, params, nil
	}
	return nil, nil, fmt.Errorf("%w %s", errNoPath, rel)
}

var errNoPath = errors.New("the spec has no path")

// bulkAsList names the two bulk operations whose 200 schema in the spec is
// a single document, which cannot carry a set (a defect of the published
// document). folkevakt answers them with a list, in bulkoppslag's manner,
// and each document in it must match the spec's document schema.
var bulkAsList = map[string]string{
	"/v1/personer/bulkoppslag/arkiv": "folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson",
	"/v1/hendelser/bulkoppslag":      "folkeregisteret.tilgjengeliggjoering.hendelse.v1.DokumentForHendelse",
}

func (s *Spec) checkBulkList(path string, body []byte) error {
	schema := s.doc.Components.Schemas[bulkAsList[path]].Value
	var docs []any
	if path == "/v1/hendelser/bulkoppslag" {
		var out map[string][]any
		if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 || out["hendelser"] == nil {
			return fmt.Errorf("%s: want {\"hendelser\":[…]}, got %.200s", path, body)
		}
		docs = out["hendelser"]
	} else {
		var out map[string][]map[string]any
		if err := json.Unmarshal(body, &out); err != nil || len(out) != 1 || out["oppslag"] == nil {
			return fmt.Errorf("%s: want {\"oppslag\":[…]}, got %.200s", path, body)
		}
		for _, o := range out["oppslag"] {
			for k := range o {
				if k != "dokumentidentifikator" && k != "folkeregisterperson" && k != "feilmelding" {
					return fmt.Errorf("%s: undefined field %s in an oppslag", path, k)
				}
			}
			if p, ok := o["folkeregisterperson"]; ok {
				docs = append(docs, p)
			}
		}
	}
	for _, d := range docs {
		if err := schema.VisitJSON(d, openapi3.MultiErrors()); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func match(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			params[t[1:len(t)-1]] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// unlistedStatuses are answers any HTTP API may give that the spec, like
// most OpenAPI documents, leaves out: wrong method, Accept, size or media
// type, and server-side failures.
var unlistedStatuses = map[int]bool{405: true, 406: true, 413: true, 415: true, 500: true, 502: true, 504: true}

// CheckRequest validates a request our client sends: path, parameters and
// body (JSON bodies only; XML is checked against Skatteetaten's XSDs).
func (s *Spec) CheckRequest(req *http.Request, body []byte) error {
	in, err := s.input(req, body)
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "" && mt != "application/json" {
		in.Options.ExcludeRequestBody = true
	}
	return openapi3filter.ValidateRequest(req.Context(), in)
}

// CheckResponse validates a response to req: its status must be one the
// spec lists for the operation and its JSON body must match the schema,
// with no undefined field.
func (s *Spec) CheckResponse(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	in, err := s.input(req, reqBody)
	if errors.Is(err, errNoPath) && status >= 400 && status < 500 {
		return nil // a wrong URI or method is rightly refused; the spec has nothing to say about it
	}
	if err != nil {
		return err
	}
	if unlistedStatuses[status] {
		return nil
	}
	if status == http.StatusOK && bulkAsList[in.Route.Path] != "" {
		return s.checkBulkList(in.Route.Path, body)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if req.Method == http.MethodHead || status == http.StatusNotModified || (mt != "" && mt != "application/json") {
		opts.ExcludeResponseBody = true
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return fmt.Errorf("%s %s → %d: %w", req.Method, in.Route.Path, status, err)
	}
	return nil
}

func (s *Spec) input(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := s.route(req.Method, req.URL.Path)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}, nil
}

// Transport wraps base (nil: http.DefaultTransport) so that every response
// below Prefix is validated; checkRequests also validates the requests,
// for clients that must send only what FREG accepts. Failures are test
// errors, reported with t.Errorf; the response still reaches the caller.
func (s *Spec) Transport(t testing.TB, base http.RoundTripper, checkRequests bool) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if s == nil {
		return base
	}
	return &transport{t: t, spec: s, base: base, checkRequests: checkRequests}
}

type transport struct {
	t             testing.TB
	spec          *Spec
	base          http.RoundTripper
	checkRequests bool
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, Prefix+"/") {
		return tr.base.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	if tr.checkRequests {
		if err := tr.spec.CheckRequest(req, reqBody); err != nil {
			tr.t.Errorf("FREG spec: request %s %s: %v", req.Method, req.URL.Path, err)
		}
	}
	resp, err := tr.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := tr.spec.CheckResponse(req, reqBody, resp.StatusCode, resp.Header, body); err != nil {
		tr.t.Errorf("FREG spec: %v\nbody: %.600s", err, body)
	}
	return resp, nil
}

// Operations lists "METHOD path" of every operation in the spec.
func (s *Spec) Operations() []string {
	var out []string
	for _, p := range s.paths {
		for m := range s.doc.Paths.Value(p).Operations() {
			out = append(out, m+" "+p)
		}
	}
	return out
}

// Properties lists the properties of a component schema, e.g.
// "folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson".
func (s *Spec) Properties(schema string) []string {
	ref := s.doc.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil
	}
	var out []string
	for name := range ref.Value.Properties {
		out = append(out, name)
	}
	return out
}

// PersonSchema is the spec's name of the person document.
const PersonSchema = "folkeregisteret.tilgjengeliggjoering.person.v1.Folkeregisterperson"
