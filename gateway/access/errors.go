package access

import (
	"context"
	"errors"
	"time"

	"folkevakt/gateway/freg"
	"folkevakt/policy"
	"folkevakt/store"
)

// Reason is why a read was refused or failed: the errorCode of the Fiks
// body, the reason of the audit record and of the decision metric.
type Reason string

// Reasons. The policy's own reasons are used as they are.
const (
	ReasonInvalid          Reason = "invalid-request"
	ReasonUnauthenticated  Reason = "unauthenticated"
	ReasonThrottled        Reason = "throttled"
	ReasonUnknownRole      Reason = policy.ReasonUnknownRole
	ReasonNotGranted       Reason = policy.ReasonNotGranted
	ReasonPurpose          Reason = policy.ReasonPurpose
	ReasonElement          Reason = policy.ReasonElement
	ReasonConfidential     Reason = policy.ReasonConfidential
	ReasonRoleM2MOnly      Reason = "role-m2m-only"
	ReasonPersonBasis      Reason = "person-basis-required"
	ReasonKommuneNotServed Reason = "kommune-not-served"
	ReasonNotFound         Reason = "not-found"
	ReasonMethodNotAllowed Reason = "method-not-allowed"
	ReasonGone             Reason = "gone"
	ReasonConflict         Reason = "conflict"
	ReasonBusy             Reason = "busy"
	ReasonUpstreamThrottle Reason = "upstream-throttled"
	ReasonUpstream         Reason = "upstream-failure"
	ReasonUpstreamTimeout  Reason = "upstream-timeout"
	ReasonAudit            Reason = "audit-unavailable"
	ReasonUnavailable      Reason = "store-unavailable"
	ReasonInternal         Reason = "internal-error"
)

// statuses is the one table from reason to status. The audit record keeps
// the status the caller saw, so the service needs it as much as the
// transports; transports answer with Status().
var statuses = map[Reason]int{
	ReasonInvalid:          400,
	ReasonUnauthenticated:  401,
	ReasonThrottled:        429,
	ReasonUnknownRole:      403,
	ReasonNotGranted:       403,
	ReasonPurpose:          403,
	ReasonElement:          403,
	ReasonConfidential:     403,
	ReasonRoleM2MOnly:      403,
	ReasonPersonBasis:      403,
	ReasonKommuneNotServed: 403,
	ReasonNotFound:         404,
	ReasonMethodNotAllowed: 405,
	ReasonGone:             410,
	ReasonConflict:         409,
	ReasonBusy:             503,
	ReasonUpstreamThrottle: 429,
	ReasonUpstream:         502,
	ReasonUpstreamTimeout:  504,
	ReasonAudit:            503,
	ReasonUnavailable:      503,
	ReasonInternal:         500,
}

// Status is the status of an answer refused for r (500 for a reason
// missing from the table).
func (r Reason) Status() int {
	if s, ok := statuses[r]; ok {
		return s
	}
	return 500
}

// Error is a typed denial or failure. Message is English for fagsystem
// developers and never holds personal data or upstream text; the portal
// shows Norwegian() instead.
type Error struct {
	Reason Reason
	// Element is the element the role lacks (element-not-in-role,
	// confidential-not-allowed), Part the requested part that brought it in.
	Element, Part string
	Message       string
	// RetryAfter is set with the throttling reasons.
	RetryAfter time.Duration
	// AuditReason, when set, is the audit record's reason instead of Reason
	// (where the caller must not learn the real one).
	AuditReason string
}

func (e *Error) Error() string { return string(e.Reason) + ": " + e.Message }

// Status is the status the caller is answered with.
func (e *Error) Status() int { return e.Reason.Status() }

// Invalid is bad input; msg must not hold personal data (identity numbers
// are redacted anyway).
func Invalid(msg string) *Error {
	return &Error{Reason: ReasonInvalid, Message: freg.RedactIdentityNumbers(msg)}
}

func deny(r Reason, msg string) *Error { return &Error{Reason: r, Message: msg} }

// Failure is the error of a failed internal step: 503 while the database
// cannot be reached (the caller may retry), else the generic 500.
func Failure(err error) *Error {
	if errors.Is(err, store.ErrUnavailable) {
		return deny(ReasonUnavailable, "the service is temporarily unavailable, retry later")
	}
	return deny(ReasonInternal, "internal error")
}

// AsError returns err as an *Error: typed errors as they are, FREG client
// errors mapped to our own reason and message (the upstream's text never
// reaches the caller), anything else as an upstream failure (the service
// turns its own failures into typed internal errors). kind is the upstream
// failure kind counted in folkevakt_upstream_errors_total ("" for none).
func AsError(err error) (e *Error, kind string) {
	if errors.As(err, &e) {
		return e, ""
	}
	switch {
	case errors.Is(err, freg.ErrNotFound):
		return deny(ReasonNotFound, "no such person"), ""
	case errors.Is(err, freg.ErrNotReady):
		return deny(ReasonNotFound, "batch not ready, retry later"), ""
	case errors.Is(err, freg.ErrGone):
		return deny(ReasonGone, "unknown job or batch"), ""
	case errors.Is(err, freg.ErrInvalid):
		return deny(ReasonInvalid, "Folkeregisteret rejected the request"), "invalid"
	case errors.Is(err, freg.ErrThrottled):
		return &Error{Reason: ReasonUpstreamThrottle, Message: "Folkeregisteret is throttling, retry later", RetryAfter: time.Second}, "throttled"
	case errors.Is(err, freg.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return deny(ReasonUpstreamTimeout, "Folkeregisteret did not answer in time"), "timeout"
	case errors.Is(err, freg.ErrForbidden):
		return deny(ReasonUpstream, "Folkeregisteret refused the gateway"), "forbidden"
	}
	return deny(ReasonUpstream, "Folkeregisteret failed"), "failure"
}
