package admin

import (
	"context"
	"strings"
	"unicode/utf8"

	"folkevakt/gateway/freg/ident"
	"folkevakt/policy/secret"
	"folkevakt/store"
)

// IntegrationInput is what a caller specifies for a new integration.
type IntegrationInput struct {
	Name        string `json:"name"`
	OrgNumber   string `json:"orgNumber"`
	Description string `json:"description"`
}

// IntegrationSecret is an integration with its password in clear, returned
// only by create and rotate; the password is never stored or shown again.
type IntegrationSecret struct {
	store.Integration
	Password string `json:"password"`
}

// CreateIntegration validates in, generates a password of 256 random bits,
// stores its argon2id hash and returns the password this once.
func (s *Service) CreateIntegration(ctx context.Context, orgID string, in IntegrationInput) (IntegrationSecret, error) {
	i := store.Integration{Name: strings.TrimSpace(in.Name), OrgNumber: strings.TrimSpace(in.OrgNumber),
		Description: strings.TrimSpace(in.Description)}
	switch {
	case i.Name == "":
		return IntegrationSecret{}, store.Invalid("name", "must not be empty")
	case utf8.RuneCountInString(i.Name) > maxNameLen:
		return IntegrationSecret{}, store.Invalid("name", "longer than %d characters", maxNameLen)
	case utf8.RuneCountInString(i.Description) > maxDescriptionLen:
		return IntegrationSecret{}, store.Invalid("description", "longer than %d characters", maxDescriptionLen)
	}
	if err := ident.ValidOrgNumber(i.OrgNumber); err != nil {
		return IntegrationSecret{}, store.Invalid("orgNumber", "%v", err)
	}
	password := secret.NewPassword()
	hash, err := secret.Hash(password)
	if err != nil {
		return IntegrationSecret{}, err
	}
	i.PasswordHash = hash
	out, err := s.store.Tenant(orgID).CreateIntegration(ctx, i)
	if err != nil {
		return IntegrationSecret{}, err
	}
	return IntegrationSecret{Integration: out, Password: password}, nil
}

// RotateIntegrationPassword replaces the password; the old one stops
// working when this returns.
func (s *Service) RotateIntegrationPassword(ctx context.Context, orgID, id string) (IntegrationSecret, error) {
	password := secret.NewPassword()
	hash, err := secret.Hash(password)
	if err != nil {
		return IntegrationSecret{}, err
	}
	out, err := s.store.Tenant(orgID).UpdateIntegration(ctx, id, func(i store.Integration) (store.Integration, error) {
		i.PasswordHash = hash
		return i, nil
	})
	if err != nil {
		return IntegrationSecret{}, notFound("integration", err)
	}
	return IntegrationSecret{Integration: out, Password: password}, nil
}

// GetIntegration returns one integration (without its hash in JSON).
func (s *Service) GetIntegration(ctx context.Context, orgID, id string) (store.Integration, error) {
	i, err := s.store.Tenant(orgID).GetIntegration(ctx, id)
	return i, notFound("integration", err)
}

// ListIntegrations returns the organisation's integrations.
func (s *Service) ListIntegrations(ctx context.Context, orgID string) ([]store.Integration, error) {
	return s.store.Tenant(orgID).ListIntegrations(ctx)
}

// DeleteIntegration deletes an integration and its grants.
func (s *Service) DeleteIntegration(ctx context.Context, orgID, id string) error {
	return notFound("integration", s.store.Tenant(orgID).DeleteIntegration(ctx, id))
}
