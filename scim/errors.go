package scim

import (
	"errors"
	"net/http"

	scimerrors "github.com/elimity-com/scim/errors"

	"folkevakt/store"
)

// Every error this package hands to elimity is a scimerrors.ScimError:
// anything else would be turned into a 500 carrying err.Error().

func badRequest(typ scimerrors.ScimType, detail string) scimerrors.ScimError {
	return scimerrors.ScimError{ScimType: typ, Detail: detail, Status: http.StatusBadRequest}
}

func invalidValue(detail string) scimerrors.ScimError {
	return badRequest(scimerrors.ScimTypeInvalidValue, detail)
}

// errUnavailable: the database cannot be reached; nothing was changed and
// the client (Entra retries) may send the request again.
var errUnavailable = scimerrors.ScimError{Detail: "The service is temporarily unavailable; retry later.", Status: http.StatusServiceUnavailable}

func invalidPath(detail string) scimerrors.ScimError {
	return badRequest(scimerrors.ScimTypeInvalidPath, detail)
}

// fault logs an unexpected error once, with the route and request id but no
// payload, and returns the generic 500.
func (h *Handler) fault(r *http.Request, err error) error {
	h.logger.ErrorContext(r.Context(), "scim request failed",
		"route", routeTemplate(r.URL.Path), "method", r.Method,
		"request_id", requestID(r), "error", err)
	return scimerrors.ScimErrorInternal
}

// storeError maps a store error to its SCIM error. id names the resource the
// request addressed (echoed in 404s, as SCIM clients expect).
func (h *Handler) storeError(r *http.Request, err error, id string) error {
	var se scimerrors.ScimError
	var ve *store.ValidationError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, store.ErrNotFound):
		return scimerrors.ScimErrorResourceNotFound(id)
	case errors.Is(err, store.ErrConflict):
		return scimerrors.ScimErrorUniqueness
	case errors.As(err, &ve):
		return invalidValue("invalid value for " + ve.Field)
	case errors.Is(err, store.ErrInvalid):
		return scimerrors.ScimErrorInvalidValue
	case errors.Is(err, store.ErrUnavailable):
		state(r.Context()).unavailable = true
		return errUnavailable
	default:
		return h.fault(r, err)
	}
}
