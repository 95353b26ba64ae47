package fregsim

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"folkevakt/gateway/freg"
)

// Wire-level failures that no freg.Client reports; they share the error
// table with the freg sentinels so that every status is decided in one place.
var (
	errNoRoute     = errors.New("unknown resource")
	errMethod      = errors.New("method not allowed")
	errAccept      = errors.New("not acceptable: only application/json is served")
	errContentType = errors.New("unsupported media type: Content-Type must be application/json")
	errTooLarge    = errors.New("request body too large")
)

// wireError is FREG's documented error body.
type wireError struct {
	Kode    string `json:"kode"`
	Melding string `json:"melding"`
}

// errorTable maps errors to status, kode and melding; the first entry that
// errors.Is matches wins. Only ErrInvalid passes its detail to the caller,
// and that detail never holds a parameter value (see freg.ParseSearchQuery).
var errorTable = []struct {
	err     error
	status  int
	kode    string
	melding string
}{
	{freg.ErrInvalid, http.StatusBadRequest, "FREG-001", ""},
	{freg.ErrNotFound, http.StatusNotFound, "FREG-002", "not found"},
	{errNoRoute, http.StatusNotFound, "FREG-003", "unknown resource"},
	{freg.ErrNotReady, http.StatusNotFound, "FREG-004", "batch not ready, retry later"},
	{freg.ErrGone, http.StatusGone, "FREG-005", "unknown job or batch"},
	{freg.ErrForbidden, http.StatusForbidden, "FREG-006", "not authorised"},
	{errMethod, http.StatusMethodNotAllowed, "FREG-007", "method not allowed"},
	{errAccept, http.StatusNotAcceptable, "FREG-008", "only application/json is served"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "FREG-009", "request body too large"},
	{errContentType, http.StatusUnsupportedMediaType, "FREG-010", "Content-Type must be application/json"},
	{freg.ErrThrottled, http.StatusTooManyRequests, "FREG-011", "too many requests"},
	{freg.ErrUpstream, http.StatusBadGateway, "FREG-012", "upstream failure"},
	{freg.ErrTimeout, http.StatusGatewayTimeout, "FREG-013", "upstream timeout"},
}

// specBody is the error body in the shape the official spec lists for the
// route and status, where it lists one: FolkeregisterFeilmelding for 401
// and 403, ErrorMessageForExternalUsers for the feed's 404, and the
// uttrekk batch's own answer for 404 and 410. Elsewhere it is FREG's
// documented {"kode","melding"}.
func specBody(route string, status int, e wireError) any {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return struct {
			HTTPStatus  int    `json:"httpStatus"`
			Feilkode    string `json:"feilkode"`
			Feilmelding string `json:"feilmelding"`
		}{status, e.Kode, e.Melding}
	case strings.HasSuffix(route, "hendelser/feed") && status == http.StatusNotFound:
		return struct {
			HTTPStatus int    `json:"httpStatus"`
			Code       string `json:"code"`
			Message    string `json:"message"`
		}{status, e.Kode, e.Melding}
	case strings.HasSuffix(route, "batch/{batchnr}") && (status == http.StatusNotFound || status == http.StatusGone):
		return struct {
			Feilmelding string `json:"feilmelding"`
		}{e.Kode + " " + e.Melding}
	}
	return e
}

// internalError answers anything the table does not know.
var internalError = wireError{Kode: "FREG-014", Melding: "internal error"}

// throttleRetryAfter is the Retry-After (milliseconds, as FREG sends it)
// passed on when the register reports throttling.
const throttleRetryAfter = "1000"

// writeError answers err in FREG's error format. Server-side failures are
// logged once here; freg.Client implementations keep personal data out of
// their errors, so the error text is safe to log.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	for _, e := range errorTable {
		if !errors.Is(err, e.err) {
			continue
		}
		body := wireError{Kode: e.kode, Melding: e.melding}
		if e.err == freg.ErrInvalid {
			body.Melding = freg.RedactIdentityNumbers(strings.TrimPrefix(err.Error(), freg.ErrInvalid.Error()+": "))
		}
		if e.status >= 500 {
			s.log.LogAttrs(r.Context(), slog.LevelError, "register failure", slog.String("route", r.Pattern), slog.String("error", err.Error()))
		}
		if e.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", throttleRetryAfter)
		}
		s.writeJSON(w, r, e.status, specBody(r.Pattern, e.status, body))
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", slog.String("route", r.Pattern), slog.String("error", err.Error()))
	s.writeJSON(w, r, http.StatusInternalServerError, internalError)
}
