package gateway

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"folkevakt/gateway/freg"
)

// fiksError is the error body of KS Fiks (freg.md §8). Path is the request
// path with identity numbers redacted; Message never holds personal data.
type fiksError struct {
	Timestamp int64  `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	ErrorID   string `json:"errorId"`
	Path      string `json:"path"`
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

// Error codes (errorCode in the body, reason in the audit record and in the
// decision metric). Policy reasons (policy.Reason*) are used as they are.
const (
	codeInvalid          = "invalid-request"
	codeUnauthenticated  = "unauthenticated"
	codeThrottled        = "throttled"
	codeRoleM2MOnly      = "role-m2m-only"
	codePersonBasis      = "person-basis-required"
	codeNotFound         = "not-found"
	codeMethodNotAllowed = "method-not-allowed"
	codeGone             = "gone"
	codeKommuneNotServed = "kommune-not-served"
	codeUpstreamThrottle = "upstream-throttled"
	codeUpstream         = "upstream-failure"
	codeUpstreamTimeout  = "upstream-timeout"
	codeAudit            = "audit-unavailable"
	codeInternal         = "internal-error"
)

// apiError is a refusal or failure on its way to the client.
type apiError struct {
	status  int
	code    string
	message string // safe to show: no identity numbers, no internals
	// retryAfter is set for 429.
	retryAfter time.Duration
	// auditReason, when set, is the audit record's reason instead of code
	// (when the client must not learn the real one).
	auditReason string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalid, message: freg.RedactIdentityNumbers(msg)}
}

func forbidden(code, msg string) *apiError {
	return &apiError{status: http.StatusForbidden, code: code, message: msg}
}

// upstreamError maps an error of the FREG client to the client's answer and
// the kind counted in folkevakt_upstream_errors_total ("" if not an upstream
// fault).
func upstreamError(err error) (*apiError, string) {
	switch {
	case errors.Is(err, freg.ErrNotFound):
		return &apiError{status: http.StatusNotFound, code: codeNotFound, message: "no such person"}, ""
	case errors.Is(err, freg.ErrNotReady):
		return &apiError{status: http.StatusNotFound, code: codeNotFound, message: "batch not ready, retry later"}, ""
	case errors.Is(err, freg.ErrGone):
		return &apiError{status: http.StatusGone, code: codeGone, message: "unknown job or batch"}, ""
	case errors.Is(err, freg.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, code: codeInvalid, message: "Folkeregisteret rejected the request"}, "invalid"
	case errors.Is(err, freg.ErrThrottled):
		return &apiError{status: http.StatusTooManyRequests, code: codeUpstreamThrottle, message: "Folkeregisteret is throttling, retry later", retryAfter: time.Second}, "throttled"
	case errors.Is(err, freg.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusGatewayTimeout, code: codeUpstreamTimeout, message: "Folkeregisteret did not answer in time"}, "timeout"
	case errors.Is(err, freg.ErrForbidden):
		return &apiError{status: http.StatusBadGateway, code: codeUpstream, message: "Folkeregisteret refused the gateway"}, "forbidden"
	default:
		return &apiError{status: http.StatusBadGateway, code: codeUpstream, message: "Folkeregisteret failed"}, "failure"
	}
}

// errorBody builds the Fiks body for e on the request path p.
func errorBody(e *apiError, path string, now time.Time) fiksError {
	return fiksError{
		Timestamp: now.UnixMilli(),
		Status:    e.status,
		Error:     http.StatusText(e.status),
		ErrorID:   uuid.NewString(),
		Path:      freg.RedactIdentityNumbers(path),
		Message:   e.message,
		ErrorCode: e.code,
	}
}

// retryAfterSeconds renders Retry-After (whole seconds, at least 1).
func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
