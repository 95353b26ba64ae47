package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"folkevakt/gateway/access"
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

// writeFiks answers e in the Fiks body on the request path p: the status is
// the reason's (access.Reason.Status, the one table), the message the
// service's own.
func writeFiks(c *gin.Context, e *access.Error, path string, now time.Time) fiksError {
	status := e.Status()
	b := fiksError{
		Timestamp: now.UnixMilli(),
		Status:    status,
		Error:     http.StatusText(status),
		ErrorID:   uuid.NewString(),
		Path:      freg.RedactIdentityNumbers(path),
		Message:   e.Message,
		ErrorCode: string(e.Reason),
	}
	if status == http.StatusTooManyRequests {
		c.Header("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="folkevakt"`)
	}
	c.JSON(status, b)
	return b
}

// retryAfterSeconds renders Retry-After (whole seconds, at least 1).
func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
