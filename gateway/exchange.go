package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg"
	"folkevakt/policy"
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

// exchange is one gateway request on its way through authentication, policy,
// upstream, reduction and audit.
type exchange struct {
	s       *Server
	c       *gin.Context
	ctx     context.Context
	purpose string
	path    string // request path for the error body (identity numbers redacted)

	principal auth.Principal
	orgID     string // "" until the organisation is known
	role      store.Role
	area      store.ServiceArea
	allowed   bool // the policy allowed the request

	rec store.AuditRecord // the audit record, completed in finish
}

// handler does the route-specific part: parse input, authorise (x.authorize),
// call the upstream and reduce. It returns the body to send with 200, or an
// *apiError or an upstream error.
type handler func(x *exchange) (any, error)

// handle wraps a route handler with authentication, the role checks, audit
// and the answer.
func (s *Server) handle(purpose string, h handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		x := s.newExchange(c, purpose)
		if err := x.identify(); err != nil {
			x.finish(nil, err)
			return
		}
		body, err := h(x)
		x.finish(body, err)
	}
}

// newExchange starts the audit record of a request.
func (s *Server) newExchange(c *gin.Context, purpose string) *exchange {
	x := &exchange{s: s, c: c, ctx: c.Request.Context(), purpose: purpose, path: c.Request.URL.Path}
	x.rec = store.AuditRecord{
		Time:      s.now(),
		RequestID: RequestID(x.ctx),
		RoleID:    c.Param("rolleId"),
		Purpose:   purpose,
		Action:    c.Request.Method + " " + c.FullPath(),
	}
	if id := c.Param("id"); id != "" {
		// The person segment is redacted whatever its shape: a mistyped
		// number is still personal data. The audit record names the person
		// even when the request is refused before the lookup, so that a
		// person's audit trail shows every attempt.
		x.path = strings.Replace(x.path, "/personer/"+id, "/personer/[redacted]", 1)
		x.rec.Persons = []string{id}
	}
	c.Set(keyRoleID, x.rec.RoleID)
	return x
}

// identify authenticates the caller and finds the role in the caller's
// organisation (machine callers) or the caller in the role's organisation
// (employees).
func (x *exchange) identify() error {
	r := x.c.Request
	bearer, hasBearer := bearerToken(r.Header.Get("Authorization"))
	if _, machine := r.Header[http.CanonicalHeaderKey(headerIntegrasjonID)]; machine {
		x.rec.SubjectKind = store.SubjectIntegration
		integrationID := r.Header.Get(headerIntegrasjonID)
		x.rec.SubjectID = integrationID
		password := r.Header.Get(headerIntegrasjonPassord)
		if password == "" || !hasBearer {
			x.attributeIntegration(integrationID)
			return &apiError{status: http.StatusUnauthorized, code: codeUnauthenticated,
				message: "machine callers need IntegrasjonId, IntegrasjonPassord and a Maskinporten bearer token"}
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
		role, area, ok := x.s.policy.Role(p.OrgID, x.rec.RoleID)
		if !ok {
			return forbidden(policy.ReasonUnknownRole, "no such role for this integration")
		}
		x.role, x.area = role, area
		x.rec.ServiceArea, x.rec.LegalBasis = area.ID, area.LegalBasis
		return nil
	}
	x.rec.SubjectKind = store.SubjectUser
	missing := &apiError{status: http.StatusUnauthorized, code: codeUnauthenticated, message: "missing bearer token"}
	orgID, err := x.s.store.ResolveRoleOrg(x.ctx, x.rec.RoleID)
	switch {
	case errors.Is(err, store.ErrNotFound) && !hasBearer:
		return missing
	case errors.Is(err, store.ErrNotFound):
		// No organisation to chain a record to; counted, not audited.
		return forbidden(policy.ReasonUnknownRole, "no such role")
	case err != nil:
		return x.internal(err, "resolve role")
	}
	// From here on the attempt is audited in the role's organisation.
	x.orgID = orgID
	if !hasBearer {
		return missing
	}
	role, area, ok := x.s.policy.Role(orgID, x.rec.RoleID)
	if !ok {
		return forbidden(policy.ReasonUnknownRole, "no such role")
	}
	x.role, x.area = role, area
	x.rec.ServiceArea, x.rec.LegalBasis = area.ID, area.LegalBasis
	p, err := x.s.auth.Employee(x.ctx, orgID, bearer)
	if errors.Is(err, auth.ErrUnknownUser) {
		// A valid token of someone who is no user of the role's organisation
		// (an employee of another organisation trying its role): answered
		// exactly like a role that does not exist, audited where it was tried.
		e := forbidden(policy.ReasonUnknownRole, "no such role")
		e.auditReason = "unknown-user"
		return e
	}
	if err != nil {
		return x.authError(err)
	}
	x.setPrincipal(p)
	if role.Usage == store.UsageM2M {
		return forbidden(codeRoleM2MOnly, "this role is for machine callers only")
	}
	return nil
}

func (x *exchange) setPrincipal(p auth.Principal) {
	x.principal = p
	x.orgID = p.OrgID
	x.rec.SubjectKind, x.rec.SubjectID, x.rec.SubjectName = p.Kind, p.SubjectID, p.Name
}

// attributeIntegration finds the organisation of a machine caller whose
// authentication failed, so that the attempt is audited there.
func (x *exchange) attributeIntegration(id string) {
	if len(id) != 36 {
		return
	}
	if i, err := x.s.store.ResolveIntegration(x.ctx, id); err == nil {
		x.orgID = i.OrgID
		x.rec.SubjectName = i.Name
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
		return &apiError{status: http.StatusTooManyRequests, code: codeThrottled, message: "too many failed attempts, retry later", retryAfter: retry}
	case errors.Is(err, auth.ErrUnauthenticated):
		// The reason is safe to show by auth's contract ("expired token").
		return &apiError{status: http.StatusUnauthorized, code: codeUnauthenticated, message: strings.TrimPrefix(err.Error(), auth.ErrUnauthenticated.Error()+": ")}
	default:
		return x.internal(err, "authenticate")
	}
}

// authorize asks the policy whether the caller may read elements for the
// route's purpose in the role; parts are the request's `part` values (for
// messages only), and basisDefault says that no part was given, so that the
// elements include person-basis by FREG's default.
func (x *exchange) authorize(elements, parts []string, basisDefault bool) error {
	x.rec.Elements = elements
	d := x.s.policy.Decide(x.orgID, policy.Query{
		Subject:  policy.Subject{Kind: x.principal.Kind, ID: x.principal.SubjectID},
		RoleID:   x.rec.RoleID,
		Purpose:  x.purpose,
		Elements: elements,
	})
	if d.Allowed {
		x.allowed = true
		return nil
	}
	switch d.Reason {
	case policy.ReasonUnknownRole:
		return forbidden(d.Reason, "no such role")
	case policy.ReasonNotGranted:
		return forbidden(d.Reason, "the caller does not hold this role")
	case policy.ReasonPurpose:
		return forbidden(d.Reason, "the role does not allow the purpose "+x.purpose)
	case policy.ReasonElement, policy.ReasonConfidential:
		if basisDefault && isPersonBasis(d.Detail) {
			return forbidden(codePersonBasis, "no part given and the role does not cover all of person-basis")
		}
		msg := "element " + d.Detail + " is not in the role"
		if p := partOf(parts, d.Detail); p != "" && p != d.Detail {
			msg = "part " + p + " is not within the role (element " + d.Detail + ")"
		} else if p == "" && !isPart(parts, d.Detail) {
			msg = "the search criteria need element " + d.Detail + ", which is not in the role"
		}
		if d.Reason == policy.ReasonConfidential {
			msg += ": the tjenesteområde does not allow confidential data"
		}
		return forbidden(d.Reason, msg)
	default:
		return x.internal(errors.New("policy evaluation failed"), "decide")
	}
}

// finish audits the request and sends the answer. The audit record is
// durable before a byte of the answer leaves; if it cannot be written, the
// caller gets 503 and no data.
func (x *exchange) finish(body any, err error) {
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		var kind string
		ae, kind = upstreamError(err)
		if kind != "" {
			x.s.m.upstreamErrors.WithLabelValues(kind).Inc()
		}
		if ae.status >= 500 {
			x.s.log.Error("upstream call failed", "request_id", x.rec.RequestID, "route", x.c.FullPath(), "kind", kind, "err", freg.RedactIdentityNumbers(err.Error()))
		}
		if errors.Is(err, freg.ErrInvalid) {
			ae.message = freg.RedactIdentityNumbers(strings.TrimPrefix(err.Error(), freg.ErrInvalid.Error()+": "))
		}
	}
	var payload []byte
	status := http.StatusOK
	if ae == nil {
		if b, ok := body.(rawBody); ok {
			payload = b
		} else {
			var merr error
			if payload, merr = json.Marshal(body); merr != nil {
				ae = x.internal(merr, "encode response")
			}
		}
	}
	if ae != nil {
		status = ae.status
		x.rec.Reason = ae.code
		if ae.auditReason != "" {
			x.rec.Reason = ae.auditReason
		}
		payload = nil
		// Nothing of a refused or failed request names elements it returned.
		x.rec.GradedRevealed = false
	}
	x.rec.Status = status
	x.rec.Decision = store.DecisionDeny
	if x.allowed && status != http.StatusBadRequest {
		x.rec.Decision = store.DecisionAllow
	}
	if x.rec.Decision == store.DecisionDeny && x.rec.Reason == "" {
		x.rec.Reason = codeInvalid
	}
	if !x.allowed {
		x.rec.Elements = nil
	}
	x.c.Set(keyDecision, x.rec.Decision)
	reason := x.rec.Reason
	if reason == "" {
		reason = "ok"
	}
	x.s.m.decisions.WithLabelValues(x.rec.Decision, reason).Inc()

	if x.orgID == "" {
		x.s.m.unattributed.WithLabelValues(reason).Inc()
	} else {
		x.rec.OrgID = x.orgID
		// The record outlives a client that gave up: data may have been read.
		if _, werr := x.s.audit.Write(context.WithoutCancel(x.ctx), x.rec); werr != nil {
			x.s.m.auditFailures.Inc()
			ae = &apiError{status: http.StatusServiceUnavailable, code: codeAudit, message: "the request could not be audited and was not answered"}
			status = ae.status
			x.s.log.Error("audit write failed", "request_id", x.rec.RequestID, "route", x.c.FullPath(), "err", werr)
		}
	}
	if ae != nil {
		x.writeError(ae)
		return
	}
	x.c.Data(status, "application/json", payload)
}

// writeError sends the Fiks error body.
func (x *exchange) writeError(ae *apiError) {
	b := errorBody(ae, x.path, x.s.now())
	if ae.status == http.StatusTooManyRequests {
		x.c.Header("Retry-After", retryAfterSeconds(ae.retryAfter))
	}
	if ae.status == http.StatusUnauthorized {
		x.c.Header("WWW-Authenticate", `Bearer realm="folkevakt"`)
	}
	if ae.status >= 500 {
		x.s.log.Warn("request failed", "request_id", x.rec.RequestID, "route", x.c.FullPath(), "status", ae.status, "error_id", b.ErrorID, "code", ae.code)
	}
	x.c.JSON(ae.status, b)
}

// internal logs err once and returns the generic 500.
func (x *exchange) internal(err error, op string) *apiError {
	x.s.log.Error("internal error", "request_id", x.rec.RequestID, "route", x.c.FullPath(), "op", op, "err", err)
	return &apiError{status: http.StatusInternalServerError, code: codeInternal, message: "internal error"}
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

func isPersonBasis(el string) bool {
	e, ok := freg.LookupElement(el)
	return ok && e.Part == freg.PartPersonBasis
}

// partOf returns the requested part that brought in element el.
func partOf(parts []string, el string) string {
	for _, p := range parts {
		if p == el {
			return p
		}
		for _, e := range freg.PartElements(p) {
			if e == el {
				return p
			}
		}
	}
	return ""
}

func isPart(parts []string, el string) bool {
	return el == "identifikasjonsnummer" || partOf(parts, el) != ""
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
