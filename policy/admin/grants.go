package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"folkevakt/store"
)

// GrantInput is what a caller specifies for a new grant.
type GrantInput struct {
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// CreateGrant gives role roleID to a group, user or integration of the same
// organisation, optionally until ExpiresAt (which must be in the future).
// An unknown role is ErrNotFound; an unknown subject a ValidationError on
// subject; the same subject twice ErrConflict.
func (s *Service) CreateGrant(ctx context.Context, orgID, roleID string, in GrantInput) (store.Grant, error) {
	if _, err := s.GetRole(ctx, orgID, roleID); err != nil {
		return store.Grant{}, err
	}
	if err := s.checkSubject(ctx, orgID, in.Kind, in.Subject, ""); err != nil {
		return store.Grant{}, err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return store.Grant{}, store.Invalid("expiresAt", "must be in the future")
	}
	g, err := s.store.Tenant(orgID).CreateGrant(ctx, store.Grant{RoleID: roleID, Kind: in.Kind, SubjectID: in.Subject, ExpiresAt: in.ExpiresAt})
	if errors.Is(err, store.ErrConflict) {
		return g, fmt.Errorf("the role is already granted to this %s: %w", in.Kind, store.ErrConflict)
	}
	return g, notFound("role", err)
}

// checkSubject makes sure a grant subject exists in the organisation.
func (s *Service) checkSubject(ctx context.Context, orgID, kind, id, prefix string) error {
	if id == "" {
		return store.Invalid(prefix+"subject", "must not be empty")
	}
	tn := s.store.Tenant(orgID)
	var err error
	switch kind {
	case store.SubjectGroup:
		_, err = tn.GetGroup(ctx, id)
	case store.SubjectUser:
		_, err = tn.GetUser(ctx, id)
	case store.SubjectIntegration:
		_, err = tn.GetIntegration(ctx, id)
	default:
		return store.Invalid(prefix+"kind", "must be %q, %q or %q", store.SubjectGroup, store.SubjectUser, store.SubjectIntegration)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Invalid(prefix+"subject", "no %s with id %q in this organisation", kind, id)
	}
	return err
}

// ListGrants returns the grants of a role (an unknown role is ErrNotFound).
func (s *Service) ListGrants(ctx context.Context, orgID, roleID string) ([]store.Grant, error) {
	if _, err := s.GetRole(ctx, orgID, roleID); err != nil {
		return nil, err
	}
	return s.store.Tenant(orgID).ListGrants(ctx, store.GrantQuery{RoleID: roleID})
}

// RevokeGrant deletes grant grantID of role roleID.
func (s *Service) RevokeGrant(ctx context.Context, orgID, roleID, grantID string) error {
	tn := s.store.Tenant(orgID)
	g, err := tn.GetGrant(ctx, grantID)
	if err != nil || g.RoleID != roleID {
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("grant not found: %w", store.ErrNotFound)
		}
		return err
	}
	return notFound("grant", tn.DeleteGrant(ctx, grantID))
}
