// Package scim serves the SCIM 2.0 API (RFC 7643/7644) through which Entra ID
// provisions an organisation's users and groups. It is built on
// github.com/elimity-com/scim, which does routing, discovery endpoints and
// request validation; this package adds bearer authentication, the body
// limit, the Entra quirks elimity cannot parse, persistence through
// store.Tenant and filter/PATCH semantics.
//
// The handler expects paths that start with /v2 (elimity strips that prefix
// itself). The gin router mounts it with
//
//	r.Any("/scim", gin.WrapH(http.StripPrefix("/scim", h)))
//	r.Any("/scim/*path", gin.WrapH(http.StripPrefix("/scim", h)))
//
// so that /scim/v2/Users reaches it as /v2/Users.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"

	"folkevakt/policy/secret"
	"folkevakt/store"
)

// MaxBodyBytes is the largest request body accepted (413 above it). It equals
// the bulk.maxPayloadSize that elimity advertises in ServiceProviderConfig,
// the only body-size field SCIM defines.
const MaxBodyBytes = 1 << 20

// defaultMaxResults is the page size used when the client sends no count and
// the ceiling for count; advertised as filter.maxResults.
const defaultMaxResults = 100

func init() {
	// Entra sends booleans as strings ("active": "False"); elimity parses
	// them only with this process-wide switch, set once before any request.
	schema.SetAllowStringValues(true)
}

// Handler is the SCIM endpoint.
type Handler struct {
	store      store.Store
	auth       *secret.TokenAuthenticator
	logger     *slog.Logger
	users      resourceSchema
	groups     resourceSchema
	maxResults int
	server     elimity.Server
}

// Option configures a Handler.
type Option func(*Handler)

// WithMaxResults sets the page size ceiling (default 100).
func WithMaxResults(n int) Option {
	return func(h *Handler) { h.maxResults = n }
}

// NewHandler returns the SCIM API over st. Every request must carry a SCIM
// bearer token; the token's organisation scopes all store access and its
// name becomes the actor ("scim:<name>") of every change.
func NewHandler(st store.Store, auth *secret.TokenAuthenticator, logger *slog.Logger, opts ...Option) *Handler {
	h := &Handler{
		store:      st,
		auth:       auth,
		logger:     logger,
		users:      userResourceSchema(),
		groups:     groupResourceSchema(),
		maxResults: defaultMaxResults,
	}
	for _, o := range opts {
		o(h)
	}
	// NewServer fails only on nil arguments, which these never are.
	h.server, _ = elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{
			DocumentationURI: optional.NewString("https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"),
			AuthenticationSchemes: []elimity.AuthenticationScheme{{
				Type:        elimity.AuthenticationTypeOauthBearerToken,
				Name:        "OAuth Bearer Token",
				Description: "A SCIM token of the organisation, created with `folkevakt tokens create --kind scim`.",
				SpecURI:     optional.NewString("https://www.rfc-editor.org/info/rfc6750"),
				Primary:     true,
			}},
			MaxResults:       h.maxResults,
			SupportFiltering: true,
			SupportPatch:     true,
		},
		ResourceTypes: []elimity.ResourceType{
			{
				ID:               optional.NewString("User"),
				Name:             "User",
				Endpoint:         "/Users",
				Description:      optional.NewString("User Account"),
				Schema:           h.users.core,
				SchemaExtensions: []elimity.SchemaExtension{{Schema: h.users.exts[0]}},
				Handler:          userHandler{h},
			},
			{
				ID:          optional.NewString("Group"),
				Name:        "Group",
				Endpoint:    "/Groups",
				Description: optional.NewString("Group"),
				Schema:      h.groups.core,
				Handler:     groupHandler{h},
			},
		},
	}, elimity.WithLogger(elimityLogger{logger}))
	return h
}

type tenantKey struct{}

// tenant returns the organisation-scoped store of an authenticated request.
func tenant(ctx context.Context) store.Tenant {
	return ctx.Value(tenantKey{}).(store.Tenant)
}

// requestState carries what ServeHTTP learnt about a request to the
// resource handlers and back: the list filter and the attribute selection
// it parsed itself (before anything is stored, so that a bad one changes
// nothing) and the id of a created resource (for the Location header).
type requestState struct {
	filter     *store.Filter
	projection projection
	createdID  string
	// unavailable: the store could not be reached. elimity allows only
	// some statuses per operation and turns 503 into 500, so resourceWriter
	// answers errUnavailable in its place.
	unavailable bool
}

type stateKey struct{}

func state(ctx context.Context) *requestState {
	if s, ok := ctx.Value(stateKey{}).(*requestState); ok {
		return s
	}
	return &requestState{}
}

// mountPrefix is where the gateway router mounts the handler (stripped
// before it sees the request); absolute resource URLs start with it.
const mountPrefix = "/scim"

// ServeHTTP authenticates, matches the route, enforces the limits on
// bodies and filters, rewrites Entra's non-standard request forms and hands
// the request to elimity.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, err := h.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="folkevakt-scim"`)
		h.writeError(w, r, err)
		return
	}
	rt, err := matchRoute(r.Method, r.URL.Path)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	r.URL.Path, r.URL.RawPath = rt.canonicalPath(), ""
	if rt.endpoint == "ServiceProviderConfig" {
		h.serviceProviderConfig(w, r)
		return
	}
	st := &requestState{}
	if rt.isResource() {
		rs := h.users
		if rt.endpoint == "Groups" {
			rs = h.groups
		}
		if st.projection, err = parseProjection(rs, r); err != nil {
			h.writeError(w, r, err)
			return
		}
		if rt.id == "" && r.Method == http.MethodGet {
			if st.filter, err = listFilter(rs, r); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := readLimited(r.Body)
		if err == nil {
			err = checkJSONDepth(body)
		}
		if err == nil {
			body, err = h.normalize(r, body)
		}
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	ctx := store.WithActor(r.Context(), "scim:"+tok.Name)
	ctx = context.WithValue(ctx, tenantKey{}, h.store.Tenant(tok.OrgID))
	ctx = context.WithValue(ctx, stateKey{}, st)
	h.server.ServeHTTP(&resourceWriter{ResponseWriter: w, base: baseURL(r), state: st}, r.WithContext(ctx))
}

// serviceProviderConfig serves elimity's document with the limits added
// that RFC 7643 §5 has no field for: filter.maxLength (bytes),
// filter.maxDepth (nesting of parentheses and brackets),
// filter.maxComparisons and patch.maxOperations.
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	rec := &bufferWriter{header: http.Header{}}
	h.server.ServeHTTP(rec, r)
	var doc map[string]any
	if err := json.Unmarshal(rec.body.Bytes(), &doc); err != nil {
		h.writeError(w, r, fmt.Errorf("scim: service provider config: %w", err))
		return
	}
	if f, ok := doc["filter"].(map[string]any); ok {
		f["maxLength"], f["maxDepth"], f["maxComparisons"] = MaxFilterBytes, MaxFilterDepth, MaxFilterTerms
	}
	if p, ok := doc["patch"].(map[string]any); ok {
		p["maxOperations"] = MaxPatchOperations
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("scim: service provider config: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	_, _ = w.Write(raw)
}

// bufferWriter collects a response in memory.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) WriteHeader(int)             {}
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

// listFilter checks, parses and converts the filter of a listing and takes
// it out of the query, so that elimity's own filter handling (which knows
// neither the limits nor meta.created) never runs.
func listFilter(rs resourceSchema, r *http.Request) (*store.Filter, error) {
	q := r.URL.Query()
	if !q.Has("filter") {
		return nil, nil
	}
	raw := strings.TrimSpace(q.Get("filter"))
	q.Del("filter")
	r.URL.RawQuery = q.Encode()
	if raw == "" {
		return nil, nil
	}
	return parseFilter(rs, raw)
}

// baseURL is the absolute URL of the SCIM base (".../scim/v2") as the
// client addressed it; a TLS-terminating proxy in front says https in
// X-Forwarded-Proto.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + mountPrefix + "/v2"
}

// resourceWriter makes elimity's relative meta.location ("Users/{id}")
// absolute and adds the Location header to a 201, as RFC 7644 §3.3 asks.
// elimity writes each response body with a single Write.
type resourceWriter struct {
	http.ResponseWriter
	base  string
	state *requestState
}

func (rw *resourceWriter) WriteHeader(status int) {
	if status == http.StatusCreated && rw.state.createdID != "" {
		rw.Header().Set("Location", rw.base+"/"+rw.state.createdID)
	}
	if rw.state.unavailable {
		status = errUnavailable.Status
		rw.Header().Set("Retry-After", "5")
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *resourceWriter) Write(b []byte) (int, error) {
	if rw.state.unavailable {
		raw, _ := errUnavailable.MarshalJSON() // marshals only strings
		if _, err := rw.ResponseWriter.Write(raw); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	for _, ep := range [...]string{"Users/", "Groups/"} {
		b = bytes.ReplaceAll(b, []byte(`"location":"`+ep), []byte(`"location":"`+rw.base+"/"+ep))
	}
	return rw.ResponseWriter.Write(b)
}

// authenticate resolves the bearer token; failures are 401 SCIM errors.
func (h *Handler) authenticate(r *http.Request) (store.Token, error) {
	scheme, bearer, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || bearer == "" {
		h.logger.WarnContext(r.Context(), "scim authentication failed", "reason", "missing bearer token",
			"route", routeTemplate(r.URL.Path), "request_id", requestID(r), "client_ip", r.RemoteAddr)
		return store.Token{}, errUnauthorized
	}
	tok, err := h.auth.Authenticate(r.Context(), store.TokenSCIM, strings.TrimSpace(bearer))
	switch {
	case errors.Is(err, secret.ErrUnauthenticated):
		h.logger.WarnContext(r.Context(), "scim authentication failed", "reason", "unknown token",
			"route", routeTemplate(r.URL.Path), "request_id", requestID(r), "client_ip", r.RemoteAddr)
		return store.Token{}, errUnauthorized
	case errors.Is(err, store.ErrUnavailable):
		return store.Token{}, errUnavailable
	case err != nil:
		return store.Token{}, h.fault(r, err)
	}
	return tok, nil
}

var errUnauthorized = scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "A valid SCIM bearer token is required."}

var errTooLarge = scimerrors.ScimError{
	Status: http.StatusRequestEntityTooLarge,
	Detail: fmt.Sprintf("The request body exceeds %d bytes.", MaxBodyBytes),
}

// readLimited reads a request body of at most MaxBodyBytes.
func readLimited(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		return nil, scimerrors.ScimErrorInvalidSyntax
	}
	if len(b) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return b, nil
}

// writeError writes err, a ScimError or a methodNotAllowed.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var se scimerrors.ScimError
	var mna methodNotAllowed
	switch {
	case errors.As(err, &mna):
		w.Header().Set("Allow", strings.Join(mna.allowed, ", "))
		se = mna.scimError()
	case !errors.As(err, &se):
		se = scimerrors.ScimErrorInternal
		_ = h.fault(r, err)
	}
	raw, _ := se.MarshalJSON() // marshals only strings
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(se.Status)
	_, _ = w.Write(raw)
}

// requestID is the id the router's middleware assigned, for log correlation.
func requestID(r *http.Request) string { return r.Header.Get("X-Request-Id") }

// routeTemplate names the route without ids (which may be personal data in
// other resources and are noise in logs).
func routeTemplate(path string) string {
	p := strings.Trim(path, "/")
	if len(p) >= 2 && strings.EqualFold(p[:2], "v2") && (len(p) == 2 || p[2] == '/') {
		p = strings.TrimLeft(p[2:], "/")
	}
	name, id, _ := strings.Cut(p, "/")
	for _, ep := range endpoints {
		if strings.EqualFold(name, ep.name) {
			if id != "" {
				return "/scim/v2/" + ep.name + "/{id}"
			}
			return "/scim/v2/" + ep.name
		}
	}
	return "/scim/v2/{unknown}"
}

// elimityLogger adapts elimity's Logger. elimity passes whole resources as
// values; only the message and the error are kept so that no personal data
// reaches the log.
type elimityLogger struct{ l *slog.Logger }

func (e elimityLogger) Error(args ...any) {
	msg := "scim library error"
	if len(args) > 0 {
		if s, ok := args[0].(string); ok {
			msg = s
		}
	}
	var errVal any
	for i := 1; i+1 < len(args); i += 2 {
		if args[i] == "error" {
			errVal = args[i+1]
		}
	}
	e.l.Error(msg, "error", errVal)
}
