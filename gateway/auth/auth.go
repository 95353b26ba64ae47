// Package auth authenticates gateway callers: machine callers (integration
// id + password and a Maskinporten access token) and employees (an ID token
// from the configured OIDC issuer, mapped to a SCIM user). The `dev` issuers
// keep their signing keys in the data directory.
package auth

import (
	"errors"
)

// Principal is an authenticated caller.
type Principal struct {
	Kind      string // store.SubjectIntegration or store.SubjectUser
	OrgID     string
	SubjectID string // integration id or SCIM user id
	Name      string // integration name or userName: for audit records, never for logs
}

// Errors. Failure is wrapped with a short reason that is safe to log and to
// show ("expired token", "wrong consumer", …) and never contains a secret.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrThrottled: too many failed attempts for this integration or address.
	ErrThrottled = errors.New("too many failed attempts")
)
