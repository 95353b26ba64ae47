// Package admin is the service layer behind the admin API, the operator CLI
// and the web console: every rule about organisations, tokens, roles,
// integrations and grants is implemented here once, over the store.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"folkevakt/gateway/auth"
	"folkevakt/gateway/freg/ident"
	"folkevakt/policy/secret"
	"folkevakt/store"
)

// Options configure a Service.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
}

// Service implements the administrative operations.
type Service struct {
	store store.Store
	log   *slog.Logger
	now   func() time.Time
}

// New returns a Service over st.
func New(st store.Store, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: st, log: o.Logger, now: o.Now}
}

// EnsureOrganisation returns the organisation with orgNumber, creating it if
// needed and bringing name and kommunenummer up to date (idempotent; used by
// bootstrap at every start).
func (s *Service) EnsureOrganisation(ctx context.Context, orgNumber, name string, kommuner []string) (store.Organisation, error) {
	if err := validateOrganisation(orgNumber, name, kommuner); err != nil {
		return store.Organisation{}, err
	}
	o, err := s.store.GetOrganisationByNumber(ctx, orgNumber)
	if errors.Is(err, store.ErrNotFound) {
		return s.store.CreateOrganisation(ctx, store.Organisation{OrgNumber: orgNumber, Name: name, Kommunenummer: kommuner})
	}
	if err != nil {
		return store.Organisation{}, err
	}
	if o.Name == name && slices.Equal(o.Kommunenummer, kommuner) {
		return o, nil
	}
	return s.store.UpdateOrganisation(ctx, o.ID, func(o store.Organisation) (store.Organisation, error) {
		o.Name, o.Kommunenummer = name, kommuner
		return o, nil
	})
}

// CreateOrganisation adds a new organisation (operator only); its built-in
// tjenesteområder are seeded by the store. A taken orgNumber is ErrConflict.
func (s *Service) CreateOrganisation(ctx context.Context, orgNumber, name string, kommuner []string) (store.Organisation, error) {
	name = strings.TrimSpace(name)
	if err := validateOrganisation(orgNumber, name, kommuner); err != nil {
		return store.Organisation{}, err
	}
	if _, err := s.store.GetOrganisationByNumber(ctx, orgNumber); err == nil {
		return store.Organisation{}, fmt.Errorf("organisation %s already exists: %w", orgNumber, store.ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Organisation{}, err
	}
	return s.store.CreateOrganisation(ctx, store.Organisation{OrgNumber: orgNumber, Name: name, Kommunenummer: kommuner})
}

// ListOrganisations returns every organisation (operator only).
func (s *Service) ListOrganisations(ctx context.Context) ([]store.Organisation, error) {
	return s.store.ListOrganisations(ctx)
}

// OrganisationByNumber finds an organisation by its organisation number; a
// malformed number is a ValidationError on orgNumber.
func (s *Service) OrganisationByNumber(ctx context.Context, orgNumber string) (store.Organisation, error) {
	if err := ident.ValidOrgNumber(orgNumber); err != nil {
		return store.Organisation{}, store.Invalid("orgNumber", "%v", err)
	}
	o, err := s.store.GetOrganisationByNumber(ctx, orgNumber)
	if errors.Is(err, store.ErrNotFound) {
		return o, fmt.Errorf("organisation %s not found: %w", orgNumber, store.ErrNotFound)
	}
	return o, err
}

// ListTokens returns an organisation's tokens (hashes are never serialised).
func (s *Service) ListTokens(ctx context.Context, orgID string) ([]store.Token, error) {
	return s.store.Tenant(orgID).ListTokens(ctx)
}

// DeleteToken revokes a token; authentication forgets it at once.
func (s *Service) DeleteToken(ctx context.Context, orgID, id string) error {
	if err := s.store.Tenant(orgID).DeleteToken(ctx, id); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	return nil
}

func validateOrganisation(orgNumber, name string, kommuner []string) error {
	if err := ident.ValidOrgNumber(orgNumber); err != nil {
		return store.Invalid("orgNumber", "%v", err)
	}
	if strings.TrimSpace(name) == "" {
		return store.Invalid("name", "must not be empty")
	}
	if len(kommuner) == 0 {
		return store.Invalid("kommunenummer", "at least one kommunenummer is needed")
	}
	for _, k := range kommuner {
		if len(k) != 4 || strings.Trim(k, "0123456789") != "" {
			return store.Invalid("kommunenummer", "%q is not 4 digits", k)
		}
	}
	return nil
}

// CreateToken makes a new admin or SCIM token for an organisation and
// returns it in clear this once; only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, orgID, kind, name string) (string, store.Token, error) {
	token := secret.NewToken(kind)
	t, err := s.storeToken(ctx, orgID, kind, name, token)
	return token, t, err
}

// EnsureToken makes sure token (chosen by the operator, e.g. from
// FOLKEVAKT_BOOTSTRAP_ADMIN_TOKEN) is a valid token of the given kind for
// the organisation. It is idempotent.
func (s *Service) EnsureToken(ctx context.Context, orgID, kind, name, token string) error {
	existing, err := s.store.FindTokens(ctx, secret.Lookup(token))
	if err != nil {
		return err
	}
	for _, t := range existing {
		if ok, _ := secret.Verify(t.Hash, token); ok {
			if t.OrgID != orgID || t.Kind != kind {
				return store.Invalid("token", "already in use by another organisation or for another kind")
			}
			return nil
		}
	}
	_, err = s.storeToken(ctx, orgID, kind, name, token)
	return err
}

func (s *Service) storeToken(ctx context.Context, orgID, kind, name, token string) (store.Token, error) {
	if kind != store.TokenAdmin && kind != store.TokenSCIM {
		return store.Token{}, store.Invalid("kind", "must be %q or %q", store.TokenAdmin, store.TokenSCIM)
	}
	if strings.TrimSpace(name) == "" {
		return store.Token{}, store.Invalid("name", "must not be empty")
	}
	if _, err := s.store.GetOrganisation(ctx, orgID); err != nil {
		return store.Token{}, fmt.Errorf("organisation: %w", err)
	}
	hash, err := secret.Hash(token)
	if err != nil {
		return store.Token{}, err
	}
	return s.store.Tenant(orgID).CreateToken(ctx, store.Token{Kind: kind, Name: name, Lookup: secret.Lookup(token), Hash: hash})
}

// Organisation returns the organisation with id.
func (s *Service) Organisation(ctx context.Context, orgID string) (store.Organisation, error) {
	return s.store.GetOrganisation(ctx, orgID)
}

// SetSignIn sets the organisation's own OIDC tenant for its employees; a
// zero SignIn returns it to the instance's settings. The client secret is
// never taken, only the absolute path of a file that holds it.
func (s *Service) SetSignIn(ctx context.Context, orgID string, si store.SignIn) (store.Organisation, error) {
	si.Issuer, si.ClientID, si.Audience = strings.TrimSpace(si.Issuer), strings.TrimSpace(si.ClientID), strings.TrimSpace(si.Audience)
	si.ClientSecretFile, si.ConsoleGroup = strings.TrimSpace(si.ClientSecretFile), strings.TrimSpace(si.ConsoleGroup)
	if si.Issuer == "" && si != (store.SignIn{}) {
		return store.Organisation{}, store.Invalid("issuer", "required with the other sign-in settings")
	}
	if si.Issuer != "" {
		if err := auth.ValidOIDCIssuer(si.Issuer); err != nil {
			return store.Organisation{}, store.Invalid("issuer", "%v", err)
		}
		if si.ClientID == "" {
			return store.Organisation{}, store.Invalid("clientId", "required with an issuer")
		}
	}
	for field, v := range map[string]string{"clientId": si.ClientID, "audience": si.Audience, "consoleGroup": si.ConsoleGroup} {
		if len(v) > 256 {
			return store.Organisation{}, store.Invalid(field, "at most 256 characters")
		}
	}
	if si.ClientSecretFile != "" && (!filepath.IsAbs(si.ClientSecretFile) || len(si.ClientSecretFile) > 1024) {
		return store.Organisation{}, store.Invalid("clientSecretFile", "must be an absolute path")
	}
	return s.store.UpdateOrganisation(ctx, orgID, func(o store.Organisation) (store.Organisation, error) {
		o.SignIn = si
		return o, nil
	})
}
