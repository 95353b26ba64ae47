// Package adminapi serves the admin API for compliance officers
// (/admin/api/v1, contract.md §4) over policy/admin: every rule lives in the
// service layer, this package only maps HTTP to it and errors to statuses.
package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/policy/admin"
	"folkevakt/policy/secret"
	"folkevakt/store"
)

// Base is the path prefix of the admin API.
const Base = "/admin/api/v1"

// MaxBody is the largest request body accepted (413 above it).
const MaxBody = 1 << 20

type api struct {
	svc    *admin.Service
	engine *policy.Engine
	tokens *secret.TokenAuthenticator
	log    *slog.Logger
}

// Mount returns a gateway mount (gateway.Options.Mounts) serving the admin
// API. Every request needs an admin token, which decides the organisation.
func Mount(svc *admin.Service, engine *policy.Engine, tokens *secret.TokenAuthenticator, logger *slog.Logger) func(*gin.Engine) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &api{svc: svc, engine: engine, tokens: tokens, log: logger}
	return func(r *gin.Engine) {
		g := r.Group(Base, a.authenticate)
		g.GET("/service-areas", a.listServiceAreas)
		g.GET("/elements", a.listElements)
		g.POST("/roles", a.createRole)
		g.GET("/roles", a.listRoles)
		g.GET("/roles/:id", a.getRole)
		g.PUT("/roles/:id", a.replaceRole)
		g.DELETE("/roles/:id", a.deleteRole)
		g.POST("/roles/:id/copy", a.copyRole)
		g.GET("/roles/:id/grants", a.listGrants)
		g.POST("/roles/:id/grants", a.createGrant)
		g.DELETE("/roles/:id/grants/:grantId", a.revokeGrant)
		g.POST("/integrations", a.createIntegration)
		g.GET("/integrations", a.listIntegrations)
		g.GET("/integrations/:id", a.getIntegration)
		g.DELETE("/integrations/:id", a.deleteIntegration)
		g.POST("/integrations/:id/password", a.rotatePassword)
		g.GET("/audit", a.audit)
		g.GET("/changes", a.changes)
		g.GET("/explain", a.explain)
		g.GET("/policy", a.exportPolicy)
		g.GET("/sign-in", a.getSignIn)
		g.PUT("/sign-in", a.putSignIn)
		g.POST("/policy", a.importPolicy)
	}
}

// --- authentication ---

const orgKey = "folkevakt.admin.org"

func (a *api) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	bearer, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		a.log.Warn("authentication_failed", "reason", "no bearer token", "client_ip", c.ClientIP(), "route", c.FullPath())
		c.Header("WWW-Authenticate", `Bearer realm="folkevakt-admin"`)
		writeError(c, http.StatusUnauthorized, "unauthorized", "an admin token is required (Authorization: Bearer <token>)")
		return
	}
	tok, err := a.tokens.Authenticate(ctx, store.TokenAdmin, bearer)
	if err == nil {
		c.Set(orgKey, tok.OrgID)
		c.Request = c.Request.WithContext(store.WithActor(ctx, "admin:"+tok.Name))
		c.Next()
		return
	}
	if !errors.Is(err, secret.ErrUnauthenticated) {
		a.internal(c, err)
		return
	}
	// A valid SCIM token is a known caller without the right: 403, not 401.
	if _, err := a.tokens.Authenticate(ctx, store.TokenSCIM, bearer); err == nil {
		a.log.Warn("authorization_failed", "reason", "scim token on admin API", "client_ip", c.ClientIP(), "route", c.FullPath())
		writeError(c, http.StatusForbidden, "forbidden", "this token is a SCIM token; the admin API needs an admin token")
		return
	}
	a.log.Warn("authentication_failed", "reason", "unknown token", "client_ip", c.ClientIP(), "route", c.FullPath())
	c.Header("WWW-Authenticate", `Bearer realm="folkevakt-admin", error="invalid_token"`)
	writeError(c, http.StatusUnauthorized, "unauthorized", "the admin token is not valid")
}

func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func org(c *gin.Context) string { return c.GetString(orgKey) }

func ctxOf(c *gin.Context) context.Context { return c.Request.Context() }

// --- errors ---

func writeError(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": code, "message": msg})
}

// Unmatched answers a request under Base that no route takes; gin has set
// the status to 404 or, for a known path with another method, 405.
func Unmatched(c *gin.Context) {
	if c.Writer.Status() == http.StatusMethodNotAllowed {
		writeError(c, http.StatusMethodNotAllowed, "method_not_allowed", "method "+c.Request.Method+" is not allowed here")
		return
	}
	writeError(c, http.StatusNotFound, "not_found", "no such endpoint")
}

// fail maps a service error to its status; anything unexpected is logged
// once and answered with a generic 500.
func (a *api) fail(c *gin.Context, err error) {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "invalid", "message": ve.Error(), "field": ve.Field})
	case errors.Is(err, store.ErrNotFound):
		writeError(c, http.StatusNotFound, "not_found", trimSentinel(err, store.ErrNotFound))
	case errors.Is(err, store.ErrConflict):
		writeError(c, http.StatusConflict, "conflict", trimSentinel(err, store.ErrConflict))
	case errors.Is(err, store.ErrInvalid):
		writeError(c, http.StatusBadRequest, "invalid", trimSentinel(err, store.ErrInvalid))
	default:
		a.internal(c, err)
	}
}

func trimSentinel(err, sentinel error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+sentinel.Error())
	if msg == "" || msg == sentinel.Error() {
		return sentinel.Error()
	}
	return msg
}

func (a *api) internal(c *gin.Context, err error) {
	a.log.Error("admin api: internal error", "route", c.FullPath(), "method", c.Request.Method, "err", err)
	writeError(c, http.StatusInternalServerError, "internal", "internal error")
}

// bind decodes a JSON body strictly: JSON content type (415), at most
// MaxBody bytes (413), no unknown fields and nothing after the value (400).
func (a *api) bind(c *gin.Context, dst any) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)")
		return false
	}
	if c.Request.ContentLength > MaxBody {
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err == nil && freg.CheckJSONDepth(body, freg.MaxJSONDepth) != nil {
		writeError(c, http.StatusBadRequest, "malformed_json", fmt.Sprintf("the body nests deeper than %d levels", freg.MaxJSONDepth))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err == nil {
		err = dec.Decode(dst)
	}
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
	case errors.As(err, &te):
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "invalid", "field": te.Field,
			"message": fmt.Sprintf("%s: must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))})
	case errors.As(err, &se), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		writeError(c, http.StatusBadRequest, "malformed_json", "the body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		c.AbortWithStatusJSON(http.StatusBadRequest, gin.H{"error": "unknown_field", "field": field,
			"message": fmt.Sprintf("%s: unknown field", field)})
	default:
		writeError(c, http.StatusBadRequest, "malformed_json", err.Error())
	}
	return false
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object or string as documented"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	}
	return "number"
}

func created(c *gin.Context, location string, body any) {
	c.Header("Location", Base+location)
	c.JSON(http.StatusCreated, body)
}

// --- catalogue ---

func (a *api) listServiceAreas(c *gin.Context) {
	areas, err := a.svc.ListServiceAreas(ctxOf(c), org(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, nonNil(areas))
}

func (a *api) listElements(c *gin.Context) { c.JSON(http.StatusOK, a.svc.Elements()) }

// --- roles ---

func (a *api) createRole(c *gin.Context) {
	var in admin.RoleInput
	if !a.bind(c, &in) {
		return
	}
	r, err := a.svc.CreateRole(ctxOf(c), org(c), in)
	if err != nil {
		a.fail(c, err)
		return
	}
	created(c, "/roles/"+r.ID, r)
}

func (a *api) listRoles(c *gin.Context) {
	roles, err := a.svc.ListRoles(ctxOf(c), org(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, nonNil(roles))
}

func (a *api) getRole(c *gin.Context) {
	r, err := a.svc.GetRole(ctxOf(c), org(c), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (a *api) replaceRole(c *gin.Context) {
	var in admin.RoleInput
	if !a.bind(c, &in) {
		return
	}
	r, err := a.svc.ReplaceRole(ctxOf(c), org(c), c.Param("id"), in)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

func (a *api) deleteRole(c *gin.Context) {
	if err := a.svc.DeleteRole(ctxOf(c), org(c), c.Param("id")); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) copyRole(c *gin.Context) {
	var in struct {
		Name string `json:"name"`
	}
	if !a.bind(c, &in) {
		return
	}
	r, err := a.svc.CopyRole(ctxOf(c), org(c), c.Param("id"), in.Name)
	if err != nil {
		a.fail(c, err)
		return
	}
	created(c, "/roles/"+r.ID, r)
}

// --- grants ---

func (a *api) listGrants(c *gin.Context) {
	gs, err := a.svc.ListGrants(ctxOf(c), org(c), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, nonNil(gs))
}

func (a *api) createGrant(c *gin.Context) {
	var in admin.GrantInput
	if !a.bind(c, &in) {
		return
	}
	g, err := a.svc.CreateGrant(ctxOf(c), org(c), c.Param("id"), in)
	if err != nil {
		a.fail(c, err)
		return
	}
	created(c, "/roles/"+g.RoleID+"/grants/"+g.ID, g)
}

func (a *api) revokeGrant(c *gin.Context) {
	if err := a.svc.RevokeGrant(ctxOf(c), org(c), c.Param("id"), c.Param("grantId")); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// --- integrations ---

func (a *api) createIntegration(c *gin.Context) {
	var in admin.IntegrationInput
	if !a.bind(c, &in) {
		return
	}
	i, err := a.svc.CreateIntegration(ctxOf(c), org(c), in)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	created(c, "/integrations/"+i.ID, i)
}

func (a *api) listIntegrations(c *gin.Context) {
	is, err := a.svc.ListIntegrations(ctxOf(c), org(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, nonNil(is))
}

func (a *api) getIntegration(c *gin.Context) {
	i, err := a.svc.GetIntegration(ctxOf(c), org(c), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, i)
}

func (a *api) deleteIntegration(c *gin.Context) {
	if err := a.svc.DeleteIntegration(ctxOf(c), org(c), c.Param("id")); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) rotatePassword(c *gin.Context) {
	i, err := a.svc.RotateIntegrationPassword(ctxOf(c), org(c), c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, i)
}

// --- audit, changes, explain ---

// page is the JSON shape of a paged listing.
type page[T any] struct {
	Total      int `json:"total"`
	StartIndex int `json:"startIndex"`
	Count      int `json:"count"`
	Items      []T `json:"items"`
}

func pageOf[T any](p store.Page[T]) page[T] {
	return page[T]{Total: p.Total, StartIndex: p.StartIndex, Count: len(p.Items), Items: nonNil(p.Items)}
}

// query holds parsed query parameters and the first error met.
type query struct {
	c   *gin.Context
	err error
}

func (q *query) time(name string) time.Time {
	v := q.c.Query(name)
	if v == "" || q.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		q.err = store.Invalid(name, "not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)")
	}
	return t
}

func (q *query) int(name string) int {
	v := q.c.Query(name)
	if v == "" || q.err != nil {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		q.err = store.Invalid(name, "not a number")
	}
	return n
}

func (a *api) audit(c *gin.Context) {
	q := &query{c: c}
	aq := store.AuditQuery{Person: c.Query("person"), SubjectID: c.Query("subject"), RoleID: c.Query("role"),
		Decision: c.Query("decision"), From: q.time("from"), To: q.time("to"),
		StartIndex: q.int("startIndex"), Count: q.int("count")}
	if aq.Person != "" && (len(aq.Person) != 11 || strings.Trim(aq.Person, "0123456789") != "") {
		q.err = store.Invalid("person", "must be an 11-digit fødselsnummer or D-nummer")
	}
	if q.err != nil {
		a.fail(c, q.err)
		return
	}
	p, err := a.svc.QueryAudit(ctxOf(c), org(c), aq)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageOf(p))
}

func (a *api) changes(c *gin.Context) {
	q := &query{c: c}
	cq := store.ChangeQuery{Entity: c.Query("entity"), EntityID: c.Query("entityId"), Actor: c.Query("actor"),
		From: q.time("from"), To: q.time("to"), StartIndex: q.int("startIndex"), Count: q.int("count")}
	if q.err != nil {
		a.fail(c, q.err)
		return
	}
	p, err := a.svc.QueryChanges(ctxOf(c), org(c), cq)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageOf(p))
}

func (a *api) explain(c *gin.Context) {
	kind, id, _ := strings.Cut(c.Query("subject"), ":")
	var elements []string
	for _, v := range c.QueryArray("element") {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				elements = append(elements, e)
			}
		}
	}
	x, err := a.svc.Explain(ctxOf(c), a.engine, org(c), policy.Query{Subject: policy.Subject{Kind: kind, ID: id},
		RoleID: c.Query("role"), Purpose: c.Query("purpose"), Elements: elements})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, x)
}

// --- policy as code ---

// getSignIn returns the organisation's own OIDC tenant (empty: the
// instance's).
func (a *api) getSignIn(c *gin.Context) {
	o, err := a.svc.Organisation(ctxOf(c), org(c))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o.SignIn)
}

// putSignIn replaces it. A client secret is never accepted in the body
// (unknown field): only the path of a file that holds it.
func (a *api) putSignIn(c *gin.Context) {
	var si store.SignIn
	if !a.bind(c, &si) {
		return
	}
	o, err := a.svc.SetSignIn(ctxOf(c), org(c), si)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o.SignIn)
}

func (a *api) exportPolicy(c *gin.Context) {
	var b strings.Builder
	if err := a.svc.ExportPolicy(ctxOf(c), org(c), &b); err != nil {
		a.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", []byte(b.String()))
}

// importPolicy takes a policy file (YAML) and answers the diff; dryRun=true
// changes nothing, prune=true deletes roles the file does not name.
func (a *api) importPolicy(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/yaml" && mt != "application/x-yaml" && mt != "text/yaml") {
		writeError(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be a YAML policy file (Content-Type: application/yaml)")
		return
	}
	q := &query{c: c}
	opts := admin.ImportOptions{DryRun: q.bool("dryRun"), Prune: q.bool("prune")}
	if q.err != nil {
		a.fail(c, q.err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(c, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", MaxBody))
		return
	} else if err != nil {
		writeError(c, http.StatusBadRequest, "malformed_body", "the body could not be read")
		return
	}
	res, err := a.svc.ImportPolicy(ctxOf(c), org(c), strings.NewReader(string(body)), opts)
	if err != nil {
		a.fail(c, err)
		return
	}
	if res.Diff == nil {
		res.Diff = []admin.DiffEntry{}
	}
	c.JSON(http.StatusOK, res)
}

func (q *query) bool(name string) bool {
	v := q.c.Query(name)
	if v == "" || q.err != nil {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.err = store.Invalid(name, "must be true or false")
	}
	return b
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
