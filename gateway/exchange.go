package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/access"
	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/store"
)

// Authenticator verifies gateway callers (implemented by *auth.Authenticator).
type Authenticator interface {
	// Machine checks an integration id, its password and a Maskinporten token.
	Machine(ctx context.Context, integrationID, password, bearer, remoteAddr string) (auth.Principal, error)
	// Employee checks an ID token and maps it to an active SCIM user of orgID.
	Employee(ctx context.Context, orgID, bearer string) (auth.Principal, error)
}

// Fiks header names (freg.md §8).
const (
	headerIntegrasjonID      = "IntegrasjonId"
	headerIntegrasjonPassord = "IntegrasjonPassord"
)

// Gin context keys read by the access log.
const (
	keyRoleID   = "folkevakt.role_id"
	keyDecision = "folkevakt.decision"
)

// exchange is one gateway request on its way through authentication to
// the access service, which decides, fetches, reduces and audits.
type exchange struct {
	s       *Server
	c       *gin.Context
	ctx     context.Context
	purpose string
	path    string // request path for the error body (identity numbers redacted)

	caller access.Caller
	// persons are the identity numbers the path names, for the audit record
	// of a request refused before it reaches the service.
	persons []string
	// audited says that the access service has audited the request.
	audited bool
}

// handler does the route-specific part: parse the input and call the
// access service (through x.read). It returns the body to send with 200 or
// an error.
type handler func(x *exchange) (any, error)

// handle wraps a route handler with authentication and the answer.
func (s *Server) handle(purpose string, h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		x := s.newExchange(c, purpose)
		if err := x.identify(); err != nil {
			x.finish(nil, err)
			return
		}
		// Bounded before any handler parses the query.
		if err := freg.CheckQuery(c.Request.URL.RawQuery); err != nil {
			x.finish(nil, searchError(err))
			return
		}
		body, err := h(x)
		x.finish(body, err)
	}
}

// newExchange starts a request.
func (s *Server) newExchange(c *gin.Context, purpose string) *exchange {
	x := &exchange{s: s, c: c, ctx: c.Request.Context(), purpose: purpose, path: c.Request.URL.Path}
	x.caller = access.Caller{
		RequestID: RequestID(x.ctx),
		Action:    c.Request.Method + " " + c.FullPath(),
		Role:      store.Role{ID: c.Param("rolleId")},
	}
	if id := c.Param("id"); id != "" {
		// The person segment is redacted whatever its shape: a mistyped
		// number is still personal data. A refused request still names the
		// person in its audit record, so that a person's audit trail shows
		// every attempt.
		x.path = strings.Replace(x.path, "/personer/"+id, "/personer/[redacted]", 1)
		x.persons = []string{id}
	}
	c.Set(keyRoleID, x.caller.Role.ID)
	return x
}

// read marks the request as handed to the access service, which audits it
// whatever the outcome; call it right before the service call.
func (x *exchange) read() (context.Context, access.Caller) {
	x.audited = true
	return x.ctx, x.caller
}

// identify authenticates the caller and finds the role in the caller's
// organisation (machine callers) or the caller in the role's organisation
// (employees).
func (x *exchange) identify() error {
	r := x.c.Request
	roleID := x.caller.Role.ID
	bearer, hasBearer := bearerToken(r.Header.Get("Authorization"))
	if _, machine := r.Header[http.CanonicalHeaderKey(headerIntegrasjonID)]; machine {
		x.caller.SubjectKind = store.SubjectIntegration
		integrationID := r.Header.Get(headerIntegrasjonID)
		x.caller.SubjectID = integrationID
		password := r.Header.Get(headerIntegrasjonPassord)
		if password == "" || !hasBearer {
			x.attributeIntegration(integrationID)
			return &access.Error{Reason: access.ReasonUnauthenticated,
				Message: "machine callers need IntegrasjonId, IntegrasjonPassord and a Maskinporten bearer token"}
		}
		key := machineKey(integrationID, password, bearer)
		p, ok := x.s.machines.get(key)
		if !ok {
			var err error
			if p, err = x.s.auth.Machine(x.ctx, integrationID, password, bearer, remoteIP(r)); err != nil {
				x.attributeIntegration(integrationID)
				return x.authError(err)
			}
			x.s.machines.put(key, p)
		}
		x.setPrincipal(p)
		role, area, ok := x.s.policy.Role(p.OrgID, roleID)
		if !ok {
			return &access.Error{Reason: access.ReasonUnknownRole, Message: "no such role for this integration"}
		}
		x.caller.Role, x.caller.Area = role, area
		return nil
	}
	x.caller.SubjectKind = store.SubjectUser
	missing := &access.Error{Reason: access.ReasonUnauthenticated, Message: "missing bearer token"}
	orgID, err := x.s.store.ResolveRoleOrg(x.ctx, roleID)
	switch {
	case errors.Is(err, store.ErrNotFound) && !hasBearer:
		return missing
	case errors.Is(err, store.ErrNotFound):
		// No organisation to chain a record to; counted, not audited.
		return &access.Error{Reason: access.ReasonUnknownRole, Message: "no such role"}
	case err != nil:
		return x.internal(err, "resolve role")
	}
	// From here on the attempt is audited in the role's organisation.
	x.caller.OrgID = orgID
	if !hasBearer {
		return missing
	}
	role, area, ok := x.s.policy.Role(orgID, roleID)
	if !ok {
		return &access.Error{Reason: access.ReasonUnknownRole, Message: "no such role"}
	}
	x.caller.Role, x.caller.Area = role, area
	p, err := x.s.auth.Employee(x.ctx, orgID, bearer)
	if errors.Is(err, auth.ErrUnknownUser) {
		// A valid token of someone who is no user of the role's organisation
		// (an employee of another organisation trying its role): answered
		// exactly like a role that does not exist, audited where it was tried.
		return &access.Error{Reason: access.ReasonUnknownRole, Message: "no such role", AuditReason: "unknown-user"}
	}
	if err != nil {
		return x.authError(err)
	}
	x.setPrincipal(p)
	if role.Usage == store.UsageM2M {
		return &access.Error{Reason: access.ReasonRoleM2MOnly, Message: "this role is for machine callers only"}
	}
	return nil
}

func (x *exchange) setPrincipal(p auth.Principal) {
	x.caller.OrgID = p.OrgID
	x.caller.SubjectKind, x.caller.SubjectID, x.caller.SubjectName = p.Kind, p.SubjectID, p.Name
}

// attributeIntegration finds the organisation of a machine caller whose
// authentication failed, so that the attempt is audited there.
func (x *exchange) attributeIntegration(id string) {
	if len(id) != 36 {
		return
	}
	if i, err := x.s.store.ResolveIntegration(x.ctx, id); err == nil {
		x.caller.OrgID = i.OrgID
		x.caller.SubjectName = i.Name
	}
}

func (x *exchange) authError(err error) error {
	switch {
	case errors.Is(err, auth.ErrThrottled):
		retry := auth.ThrottleCooldown
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			retry = te.RetryAfter
		}
		return &access.Error{Reason: access.ReasonThrottled, Message: "too many failed attempts, retry later", RetryAfter: retry}
	case errors.Is(err, auth.ErrUnauthenticated):
		// The reason is safe to show by auth's contract ("expired token").
		return &access.Error{Reason: access.ReasonUnauthenticated, Message: strings.TrimPrefix(err.Error(), auth.ErrUnauthenticated.Error()+": ")}
	default:
		return x.internal(err, "authenticate")
	}
}

// finish sends the answer. A request the access service did not see (its
// authentication or input was refused first) is audited here through the
// service; the service audits everything else before it returns.
func (x *exchange) finish(body any, err error) {
	var payload []byte
	cond, isCond := body.(conditional)
	if isCond {
		body = cond.v
	}
	if err == nil {
		if b, ok := body.(rawBody); ok {
			payload = b
		} else {
			var merr error
			if payload, merr = json.Marshal(body); merr != nil {
				err = x.internal(merr, "encode response")
			}
		}
	}
	if err != nil {
		e, _ := access.AsError(err)
		if !x.audited {
			e = x.s.access.Refuse(x.ctx, x.caller, x.purpose, x.persons, e)
		}
		x.c.Set(keyDecision, store.DecisionDeny)
		x.writeError(e)
		return
	}
	x.c.Set(keyDecision, store.DecisionAllow)
	if isCond {
		sum := sha256.Sum256(append([]byte(cond.key+"\x00"), payload...))
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		x.c.Header("ETag", etag)
		if etagMatches(x.c.GetHeader("If-None-Match"), etag) {
			x.c.Status(http.StatusNotModified)
			return
		}
	}
	x.c.Data(http.StatusOK, "application/json", payload)
}

// conditional is an answer with an ETag: a client that already holds the
// same answer (If-None-Match) gets 304 Not Modified without a body. key
// holds what besides the body the answer depends on (the feed position and
// the role that reduced it), so a tag never matches another answer.
type conditional struct {
	v   any
	key string
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

// writeError sends the Fiks error body.
func (x *exchange) writeError(e *access.Error) {
	b := writeFiks(x.c, e, x.path, x.s.now())
	if e.Status() >= 500 {
		x.s.log.Warn("request failed", "request_id", x.caller.RequestID, "route", x.c.FullPath(), "status", e.Status(), "error_id", b.ErrorID, "code", e.Reason)
	}
}

// internal logs err once and returns its Failure (500, or 503 while the
// database is unreachable).
func (x *exchange) internal(err error, op string) *access.Error {
	x.s.log.Error("internal error", "request_id", x.caller.RequestID, "route", x.c.FullPath(), "op", op, "err", err)
	return access.Failure(err)
}

func bearerToken(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// accessLogAttrs are the gateway's additions to the access line.
func accessLogAttrs(c *gin.Context) []slog.Attr {
	var attrs []slog.Attr
	if v, ok := c.Get(keyRoleID); ok {
		attrs = append(attrs, slog.String("role_id", v.(string)))
	}
	if v, ok := c.Get(keyDecision); ok {
		attrs = append(attrs, slog.String("decision", v.(string)))
	}
	return attrs
}
