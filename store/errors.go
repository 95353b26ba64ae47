package store

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule would be broken (e.g. a second user with
	// the same userName) or a concurrent update won.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input breaks a rule; use *ValidationError to name the field.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: the database cannot be reached now (lost connection,
	// server down or restarting). Nothing was changed; the same call may
	// succeed later, so callers answer 503 rather than 500.
	ErrUnavailable = errors.New("database unavailable")
)

// ValidationError names the offending field. It matches ErrInvalid.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Invalid builds a *ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
